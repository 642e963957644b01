/**
 * Chaos with kill -9 cycles: the service (coordinator and participants) runs in a child process that is
 * killed with SIGKILL while transfers are in flight, again and again, under AWS's conflict rules (the local
 * DynamoDB client's default). Each life gets a batch of transfers; the run kills it after a seeded number of
 * them finished, so the others are cut off wherever they were (before the claim, mid-prepare, between the
 * decision and phase 2). A client that got no answer retries the same request, so the next life submits
 * the cut-off transfers again under the same txnId. A recovery sweeper with the real clock runs throughout,
 * as on AWS; at the end recovery runs until quiet and I1–I5 are checked over the tables, with every answer
 * and decision write the killed lives journaled before they died (ledgerWorld.ts, JournalEntry).
 *
 * Every eighth transaction is not a transfer but money moved in or out of the payee's bank (a deposit from outside or a
 * withdrawal to outside: one escrow operation at one participant, ledgerWorld.ts OutsideMove). The coordinator sends it
 * commitOnePhase and the payee's bank holds in its items, so it takes the claim-first path (docs/design.md, "One-phase
 * commit", "Claim first"), and the kills land on it in flight like on the transfers. The sum the balances must have is the
 * funded sum plus the deposits and minus the withdrawals whose records say they committed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../../bench/drive.js';
import { type Account, type DecisionWrite, type JournalEntry, LedgerWorld, type Payment, isOutsideMove } from './ledgerWorld.js';
import { ITEM_HOLD_LAYOUT } from '../../lambdas/participants/itemIntents.js';
import { killCyclesConfig } from './killCyclesConfig.js';

const WORKER = fileURLToPath(new URL('./killCyclesWorker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Short enough that the sweeper with the real clock finishes cut-off transactions during the run. */
const TRANSFER_TIMEOUT_SECONDS = 8;
/** How often the sweeper of the run looks for work: `npm start`'s sweeper runs on a timer too. */
const SWEEP_EVERY_MS = 1_000;
/** Every this many transactions, one is a deposit or withdrawal (one-phase, claim first) instead of a transfer. */
const OUTSIDE_MOVE_EVERY = 8;

export interface KillCyclesOptions {
  endpoint: string;
  seed: number;
  transactions: number;
  /** Transfers handed to one life of the service. */
  batch: number;
  /** Transfers one life keeps in flight. */
  concurrency: number;
  /** Accounts per bank; the switch has one fee account every transfer credits (the hot item). */
  accounts: number;
  /** At most this many lives are killed (default: no limit); the lives after them finish their batch. */
  maxKills?: number;
  /** The chance that a life is killed (default 0.85); the others finish their batch, as a deploy's old instance does. */
  killChance?: number;
  log?: (line: string) => void;
}

export interface KillCyclesResult {
  problems: string[];
  transactions: number;
  committed: number;
  aborted: number;
  lives: number;
  /** Lives ended by SIGKILL with transfers still in flight. */
  kills: number;
  /** Submits cut off by a kill, and so submitted again by the next life. */
  interrupted: number;
  /** Submits that failed as the API's 5xx would (a DynamoDB call timed out), and so were sent again. */
  failedSubmits: number;
  /** Transactions whose decision recovery wrote or whose phase 2 recovery finished. */
  byRecovery: number;
  /** Deposits and withdrawals submitted (one participant, one escrow operation: sent commitOnePhase). */
  outsideMoves: number;
  /** Of those, submits a life did not finish (cut off by its kill, or failed as a 5xx), so submitted again: one per time. */
  outsideMovesInterrupted: number;
  /** Participant records of the run's transactions that a one-phase commit claimed first (layout 3, onePhase), at the end. */
  claimFirstRecords: number;
  seconds: number;
}

interface Submission {
  txnId: string;
  payment: Payment;
  timeoutSeconds: number;
}

function transfersOf(
  options: KillCyclesOptions,
  prefix: string,
  random: () => number,
): { submissions: Submission[]; balances: Array<Account & { balance: number }> } {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const balances: Array<Account & { balance: number }> = [];
  for (let i = 0; i < options.accounts; i++) {
    balances.push({ participant: 'payer-bank', key: `a${i}`, balance: int(20_000, 200_000) });
    balances.push({ participant: 'payee-bank', key: `b${i}`, balance: int(20_000, 200_000) });
  }
  balances.push({ participant: 'upi-switch', key: 'fees', balance: 1 });
  const submissions: Submission[] = [];
  for (let i = 0; i < options.transactions; i++) {
    if (i % OUTSIDE_MOVE_EVERY === OUTSIDE_MOVE_EVERY - 1) {
      // At the payee's bank, which holds in its items: the claim-first path. Now and then a withdrawal larger than any balance.
      const deposit = random() < 0.5;
      const amount = !deposit && random() < 0.05 ? 1_000_000 : int(1, 5_000);
      const account: Account = { participant: 'payee-bank', key: `b${int(0, options.accounts - 1)}` };
      submissions.push({
        txnId: `${prefix}m${i}`,
        payment: { account, direction: deposit ? 'deposit' : 'withdrawal', amount },
        timeoutSeconds: TRANSFER_TIMEOUT_SECONDS,
      });
      continue;
    }
    const forward = random() < 0.5;
    const from: Account = forward
      ? { participant: 'payer-bank', key: `a${int(0, options.accounts - 1)}` }
      : { participant: 'payee-bank', key: `b${int(0, options.accounts - 1)}` };
    const to: Account = forward
      ? { participant: 'payee-bank', key: `b${int(0, options.accounts - 1)}` }
      : { participant: 'payer-bank', key: `a${int(0, options.accounts - 1)}` };
    // Now and then more than any balance holds, so insufficient funds are part of the mix.
    const amount = random() < 0.05 ? 1_000_000 : int(1, 5_000);
    submissions.push({
      txnId: `${prefix}t${i}`,
      payment: { from, to, amount, fee: Math.floor(amount / 100), feeAccount: 'fees' },
      timeoutSeconds: TRANSFER_TIMEOUT_SECONDS,
    });
  }
  return { submissions, balances };
}

interface Life {
  done: Set<string>;
  failed: number;
  killed: boolean;
  code: number | null;
  output: string;
}

/** One life of the service: submits `batch`, and is SIGKILLed once `killAfter` of them are done (never, if undefined). */
async function live(options: KillCyclesOptions, prefix: string, journal: string, batch: Submission[], killAfter: number | undefined): Promise<Life> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    cwd: ROOT,
    env: { ...process.env, KILL_ENDPOINT: options.endpoint, KILL_PREFIX: prefix, KILL_JOURNAL: journal, KILL_CONCURRENCY: String(options.concurrency) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const life: Life = { done: new Set(), failed: 0, killed: false, code: null, output: '' };
  let pending = '';
  child.stderr?.on('data', (d: Buffer) => (life.output += d.toString()));
  child.stdout?.on('data', (d: Buffer) => {
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line === 'ready') {
        for (const s of batch) child.stdin?.write(`${JSON.stringify(s)}\n`);
        child.stdin?.end();
      } else if (line.startsWith('done ')) {
        life.done.add(line.split(' ')[1] ?? '');
        if (!life.killed && killAfter !== undefined && life.done.size >= killAfter) {
          life.killed = true;
          child.kill('SIGKILL');
        }
      } else if (line.startsWith('failed ')) life.failed++;
      else life.output += `${line}\n`;
    }
  });
  // `close`, not `exit`: every line the process wrote before it died has been read by then.
  life.code = await new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return life;
}

/**
 * Decision writes from the journals: each one that landed, and, for a transaction whose logged decision
 * nobody saw land, the write a killed life sent without living to see its answer (it is the only writer
 * that can have put it there).
 */
function journaledDecisions(entries: JournalEntry[]): { landed: DecisionWrite[]; cutOff: DecisionWrite[] } {
  const landed: DecisionWrite[] = [];
  const open = new Map<string, DecisionWrite[]>();
  const key = (w: DecisionWrite) => `${w.txnId} ${w.decision}`;
  for (const entry of entries) {
    if (entry.k !== 'decision') continue;
    const k = key(entry.write);
    if (entry.phase === 'sent') open.set(k, [...(open.get(k) ?? []), entry.write]);
    else {
      open.get(k)?.pop();
      if (entry.phase === 'landed') landed.push(entry.write);
    }
  }
  return { landed, cutOff: [...open.values()].flat() };
}

export async function runKillCycles(options: KillCyclesOptions): Promise<KillCyclesResult> {
  const started = Date.now();
  const random = seededRandom(options.seed);
  const world = await LedgerWorld.create({ endpoint: options.endpoint, config: killCyclesConfig(), fastRetriesMs: 20 });
  const prefix = world.tablePrefix;
  const journals = mkdtempSync(join(tmpdir(), 'pakka-kill-'));
  const result: KillCyclesResult = {
    problems: [],
    transactions: options.transactions,
    committed: 0,
    aborted: 0,
    lives: 0,
    kills: 0,
    interrupted: 0,
    failedSubmits: 0,
    byRecovery: 0,
    outsideMoves: 0,
    outsideMovesInterrupted: 0,
    claimFirstRecords: 0,
    seconds: 0,
  };
  let sweeping = true;
  const sweeper = (async () => {
    const recovery = world.recovery({ now: () => Date.now() });
    while (sweeping) {
      await recovery.sweep();
      await new Promise((resolve) => setTimeout(resolve, SWEEP_EVERY_MS));
    }
  })();
  try {
    const { submissions, balances } = transfersOf(options, prefix, random);
    await world.fund(balances);
    for (const s of submissions) world.expect(s.txnId, s.payment);
    result.outsideMoves = world.outsideMoves.size;
    const queue = [...submissions];
    while (queue.length) {
      const batch = queue.splice(0, options.batch);
      // Most lives die with transfers in flight; a life killed after k of its batch finished cuts off the rest.
      const mayKill = result.kills < (options.maxKills ?? Number.POSITIVE_INFINITY);
      const killAfter = mayKill && batch.length > 1 && random() < (options.killChance ?? 0.85) ? 1 + Math.floor(random() * (batch.length - 1)) : undefined;
      const life = await live(options, prefix, join(journals, `life-${result.lives}.jsonl`), batch, killAfter);
      result.lives++;
      const cutOff = batch.filter((s) => !life.done.has(s.txnId));
      if (!life.killed && life.code !== 0) throw new Error(`a life of the service ended by itself (exit ${life.code}):\n${life.output.slice(-4000)}`);
      if (life.killed && cutOff.length) result.kills++;
      result.interrupted += cutOff.length - life.failed;
      result.outsideMovesInterrupted += cutOff.filter((s) => isOutsideMove(s.payment)).length;
      result.failedSubmits += life.failed;
      // The clients of the cut-off and failed transfers got no answer or a 5xx: they send the same request again.
      queue.unshift(...cutOff);
      options.log?.(
        `  life ${result.lives}: ${life.done.size} of ${batch.length} done${life.killed ? ', then SIGKILL' : ''}; ${queue.length} transactions left`,
      );
    }
    sweeping = false;
    await sweeper;

    // Faults have stopped: recovery, its clock past every deadline, until a sweep finds nothing to do.
    const recovery = world.recovery();
    const reports = [...(await recovery.sweepUntilQuiet(40)), ...(await recovery.sweepUntilQuiet(40))];
    // Every delivery this process recorded so far is recovery's: the lives' own come from their journals.
    const finishedByRecovery = new Set(world.injector.deliveries.filter((d) => d.action === 'commit' || d.action === 'abort').map((d) => d.txnId));

    const entries = readdirSync(journals).flatMap((file) =>
      readFileSync(join(journals, file), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as JournalEntry),
    );
    for (const entry of entries) if (entry.k === 'delivery') world.injector.deliveries.push(entry.delivery);
    const { landed, cutOff } = journaledDecisions(entries);
    world.decisionWrites.push(...landed);
    const items = await world.scanParticipants();
    const log = await world.scanLog(items);
    const seen = new Set(world.decisionWrites.map((w) => w.txnId));
    for (const l of log) {
      const unseen = l.decision !== undefined && !seen.has(l.txnId) ? cutOff.find((w) => w.txnId === l.txnId && w.decision === l.decision) : undefined;
      if (unseen) world.decisionWrites.push(unseen);
    }
    result.problems = await world.invariantViolations();
    const last = reports.at(-1);
    if (last && !last.quiet) result.problems.push(`I5 recovery never became quiet: ${JSON.stringify(last).slice(0, 2000)}`);
    const ours = log.filter((l) => world.submitted.has(l.txnId));
    result.committed = ours.filter((l) => l.status === 'COMMITTED').length;
    result.aborted = ours.filter((l) => l.status === 'ABORTED').length;
    result.claimFirstRecords = items.filter(
      ({ item }) => String(item.pk).startsWith('TXN#') && world.submitted.has(String(item.txnId)) && item.layout === ITEM_HOLD_LAYOUT && item.onePhase === true,
    ).length;
    result.byRecovery = ours.filter((l) => l.decidedBy === 'recovery' || finishedByRecovery.has(l.txnId)).length;
    return result;
  } finally {
    sweeping = false;
    await sweeper.catch(() => undefined);
    result.seconds = Math.round((Date.now() - started) / 1000);
    rmSync(journals, { recursive: true, force: true });
    await world.destroy();
  }
}
