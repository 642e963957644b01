/** `npm start`'s entry (local/start.js, which runs local/start.ts) as a child process, and a wait for a line of its output. */
import { type ChildProcess, spawn } from 'node:child_process';
import { shortLivedDynamoLocalEnv } from './shortLivedDynamoLocal.js';

const ROOT = new URL('../..', import.meta.url).pathname;

export interface Started {
  child: ChildProcess;
  output: () => string;
  /** The exit code; a process ended by a signal exits with null, and `child.signalCode` names the signal. */
  exited: Promise<number | null>;
}

export interface StartOptions {
  /**
   * Run it as a user types it, `npm start -- <args>`, in a process group of its own as a shell runs a
   * foreground job (so a test can signal the whole group, as Ctrl-C does), instead of Node directly.
   */
  viaNpmStart?: boolean;
}

/**
 * Starts local/start.ts with these arguments and extra environment; stdout and stderr are collected.
 * The DynamoDB Local it starts lives for seconds: it gets the cheaper Java start (shortLivedDynamoLocal.ts).
 */
export function startPakkaProcess(args: string[], env: Record<string, string> = {}, options: StartOptions = {}): Started {
  // Otherwise the command the start script runs (package.json), without npm around it.
  const [command, commandArgs] = options.viaNpmStart ? ['npm', ['start', '--', ...args]] : [process.execPath, ['local/start.js', ...args]];
  const child = spawn(command, commandArgs, {
    cwd: ROOT,
    env: { ...process.env, ...shortLivedDynamoLocalEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.viaNpmStart === true,
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Polls `probe` every 50 ms until it gives a value; throws, naming `what`, when the time passes first. */
export async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The first match of `pattern` in the output; throws if the process exits or the time passes first. */
export async function waitForOutput(started: Started, pattern: RegExp, timeoutMs = 45_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = started.output().match(pattern);
    if (found) return found;
    if (started.child.exitCode !== null) throw new Error(`exited ${started.child.exitCode} before printing ${pattern}: ${started.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms: ${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
