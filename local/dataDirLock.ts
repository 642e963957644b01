/**
 * One Pakka per data folder. Two DynamoDB Locals on the same files corrupt each other (one stops
 * answering; a transaction can end COMMITTED with its transfer lost), so `npm start` takes
 * `<dataDir>/pakka.lock` before it starts DynamoDB Local: created atomically (`wx`), holding the
 * owner's PID and, once started, its DynamoDB Local's PID. A lock whose owner is alive refuses the
 * start and names that process. A lock whose owner is dead is stale: its DynamoDB Local, if still
 * running (the owner was killed before it could stop it), is killed by PID first, then the lock is
 * taken over.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const LOCK_FILE = 'pakka.lock';

const lockContent = z.object({
  pid: z.number().int().positive(),
  startedAt: z.string(),
  url: z.string().optional(),
  dynamoPid: z.number().int().positive().optional(),
});
export type LockContent = z.infer<typeof lockContent>;

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockContent,
  ) {
    super(
      `the data folder ${dataDir} is in use by another Pakka: process ${holder.pid}${holder.url ? ` serving ${holder.url}` : ''}, started ${holder.startedAt}. ` +
        `Stop it first (kill ${holder.pid}), or start with --in-memory or another --data-dir.`,
    );
    this.name = 'DataDirInUseError';
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a process, or undefined if it is gone (or cannot be read). */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    try {
      return execFileSync('ps', ['-p', String(pid), '-o', 'command='], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * Is `pid` the DynamoDB Local that served `dataDir`? Checked on its command line, so a PID the
 * system has since given to another process is never killed.
 */
export function isDynamoLocalOf(pid: number, dataDir: string): boolean {
  const command = commandLine(pid);
  if (command === undefined) return false;
  return command.includes('DynamoDBLocal') && command.includes(dataDir);
}

async function killAndWait(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  // SIGKILL cannot be refused; the process is gone once the kernel has reaped it.
  for (let i = 0; i < 200 && isAlive(pid) && commandLine(pid) !== undefined; i++) await new Promise((r) => setTimeout(r, 25));
}

function readLock(path: string): LockContent | undefined {
  try {
    const parsed = lockContent.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export interface DataDirLock {
  readonly path: string;
  /** Records what the next start must clean up if this process dies without stopping. */
  update(fields: Pick<LockContent, 'url' | 'dynamoPid'>): void;
  release(): void;
}

export interface AcquireOptions {
  /** Told when a stale DynamoDB Local is killed. */
  log?: (message: string) => void;
}

export async function acquireDataDirLock(dataDir: string, options: AcquireOptions = {}): Promise<DataDirLock> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  let content: LockContent = { pid: process.pid, startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(content), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
    }
    const holder = readLock(path);
    // Unreadable: maybe another start is writing it this instant. Never guess; say what to do.
    if (!holder) throw new Error(`${path} exists but cannot be read as a Pakka lock: if no Pakka is running on ${dataDir}, delete it`);
    if (holder.pid !== process.pid && isAlive(holder.pid)) throw new DataDirInUseError(dataDir, holder);
    if (holder.dynamoPid !== undefined && isDynamoLocalOf(holder.dynamoPid, dataDir)) {
      options.log?.(`killing DynamoDB Local ${holder.dynamoPid}, left running on ${dataDir} by process ${holder.pid}, which is gone`);
      await killAndWait(holder.dynamoPid);
    }
    // Remove the stale lock only if it is still the one judged stale: another start may have taken it meanwhile.
    const again = readLock(path);
    if (again && again.pid === holder.pid && again.startedAt === holder.startedAt) unlinkSync(path);
  }
  let released = false;
  return {
    path,
    update(fields) {
      content = { ...content, ...fields };
      writeFileSync(path, JSON.stringify(content));
    },
    release() {
      if (released) return;
      released = true;
      if (readLock(path)?.pid === process.pid) unlinkSync(path);
    },
  };
}
