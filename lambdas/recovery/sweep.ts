/**
 * The recovery sweeper (docs/design.md, "Recovery"). One sweep finds in-doubt work
 * through the two sparse indexes (open coordinator log items, PREPARED participant records), re-reads
 * each transaction consistently, and for those past their deadline and the grace reads or logs the
 * decision and drives it, whether or not the coordinator still runs. Safe to run twice at once and beside a live coordinator: the conditional decision
 * write is the only arbiter, and every participant action is idempotent.
 */
import { type CoordinatorLogItem, isOnePhaseRequest } from '../coordinatorLog/coordinatorLog.js';
import { LIMITS } from '../request/transactionRequest.js';
import { METRICS } from '../observability/metricNames.js';
import { type MetricsRecorder, noMetrics } from '../observability/recorder.js';
import { type DriveResult, deliver, driveDecision, learnOnePhaseOutcome } from './driveDecision.js';
import { PRESUMED_DECISION, assess, openCreatedBefore, preparedBefore } from './inDoubt.js';
import type { PreparedRecordRef, RecoveryPorts } from './ports.js';
import type { RecoveryConfig } from './recoveryConfig.js';

export type RecoveryLog = (message: string, detail: Record<string, unknown>) => void;

export interface SweepOptions {
  metrics?: MetricsRecorder;
  log?: RecoveryLog;
  /**
   * Wall-clock time (ms since the epoch) after which the sweep takes up no further transaction, so a
   * Lambda returns before its timeout; the ones left over wait for the next sweep.
   */
  stopTakingAt?: number;
}

export type TransactionOutcome =
  /**
   * decidedNow: this run's conditional write logged the decision (otherwise it found one logged);
   * orphan: the transaction had no log item, only PREPARED records, and this run created it with ABORT.
   */
  | ({ kind: 'driven'; decidedNow: boolean; orphan?: true } & DriveResult)
  | { kind: 'notDue'; txnId: string; dueAt: string }
  | { kind: 'final'; txnId: string; stragglers: StragglerOutcome[] }
  | { kind: 'noLogItem'; txnId: string; orphans: StragglerOutcome[] };

/** A PREPARED record whose transaction is final (or has no log item at all), and what recovery did with it. */
export interface StragglerOutcome {
  participant: string;
  action: 'commit' | 'abort' | 'none';
  result: 'acknowledged' | 'violation' | 'failed' | 'notPrepared' | 'tooYoung';
  detail?: string;
}

export interface SweepReport {
  startedAt: string;
  /** Transactions looked at: open log items and the transactions of old PREPARED records. */
  examined: number;
  transactions: TransactionOutcome[];
  /** Transactions this sweep marked COMMITTED/ABORTED. */
  finalized: number;
  /** Decisions this sweep logged (always ABORT: presumed abort). */
  decided: number;
  /** Transactions recovery acted on that still wait for some participant. */
  pending: number;
  orphansAborted: number;
  /** Protocol violations answered during this sweep: heuristic hazards, never hidden. */
  hazards: number;
  errors: Array<{ txnId: string; error: string }>;
  /** Transactions found but not looked at because the sweep ran out of time (stopTakingAt). */
  deferred: number;
  /** Nothing was acted on, nothing is pending and nothing failed: recovery has no work left now. */
  quiet: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Works through the items, `concurrency` at a time, until they run out or `more()` says stop; returns how many were left. */
async function inBatches<T>(items: readonly T[], concurrency: number, more: () => boolean, work: (item: T) => Promise<void>): Promise<number> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length && more()) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
  return items.length - next;
}

export interface RecoverOptions {
  /** Participants holding an old PREPARED record of this transaction (found through the inDoubt index). */
  stragglers?: readonly PreparedRecordRef[];
  metrics?: MetricsRecorder;
}

/**
 * Recovers one transaction once its deadline (plus grace) has passed, coordinator running or not:
 * reads the logged decision or logs ABORT, and drives it. The sweep's unit of work.
 */
export async function recoverTransaction(
  txnId: string,
  ports: RecoveryPorts,
  config: RecoveryConfig,
  options: RecoverOptions = {},
): Promise<TransactionOutcome> {
  const metrics = options.metrics ?? noMetrics;
  const stragglers = options.stragglers ?? [];
  const item = await ports.log.read(txnId);
  if (!item) return recoverOrphan(txnId, stragglers, ports, config, metrics);
  const assessment = assess(item, ports.now(), config);
  if (assessment.kind === 'final') return { kind: 'final', txnId, stragglers: await deliverToStragglers(item, stragglers, ports, config) };
  if (assessment.kind === 'notDue') return { kind: 'notDue', txnId, dueAt: assessment.dueAt };
  const driven = await decideAndDrive(item, ports, { decidedBy: 'recovery' }, metrics);
  // A participant the log does not name (prepared by an execution of another request under this txnId) was never asked: presumed abort.
  const outsiders = stragglers.filter((s) => !item.participantsJson.some((p) => p.name === s.participant));
  if (outsiders.length && driven.kind === 'driven') await deliverToStragglers({ ...item, decision: driven.decision }, outsiders, ports, config);
  return driven;
}

/** Reads the logged decision, or logs one (it may lose to a late coordinator: then the winner is obeyed), and drives it. */
export async function decideAndDrive(
  item: CoordinatorLogItem,
  ports: RecoveryPorts,
  author: { decidedBy: string; note?: string },
  metrics: MetricsRecorder = noMetrics,
  decision = item.decision ?? PRESUMED_DECISION,
): Promise<TransactionOutcome> {
  // Found once: the first time recovery or an operator takes the transaction up (each delivery adds a recovery attempt).
  if (!item.recoveryAttempts) metrics.count(METRICS.inDoubtFound);
  let current = item;
  let decidedNow = false;
  if (!current.decision) {
    // A one-phase commit was decided by its participant's own write: learn that decision, whatever was asked for.
    const chosen = isOnePhaseRequest(current) ? await learnOnePhaseOutcome(ports.participants, current) : decision;
    const write = await ports.log.logDecision(item.txnId, chosen, author, iso(ports.now()));
    if (!write.item?.decision) throw new Error(`transaction ${item.txnId}: no decision could be logged or read`);
    current = write.item;
    decidedNow = write.won;
  }
  const logged = current.decision;
  if (!logged) throw new Error(`transaction ${item.txnId}: no decision after logging one`);
  const driven = await driveDecision(current, logged, ports);
  // Violations are counted where they happen (the participant) and hazards once per final
  // transaction (its outcome report), so recovery does not count them a second time.
  if (driven.final) metrics.count(METRICS.inDoubtResolved);
  return { kind: 'driven', decidedNow, ...driven };
}

async function preparedRecordIsOld(
  { participant, txnId, operations }: PreparedRecordRef,
  ports: RecoveryPorts,
  config: RecoveryConfig,
): Promise<'old' | 'notPrepared' | 'tooYoung'> {
  // The index is eventually consistent: ask the participant what it holds now (a hold in its item is found by its operations).
  const status = await ports.participants.send(participant, { action: 'status', txnId, ...(operations ? { operations } : {}) });
  if (!('state' in status) || status.state !== 'PREPARED') return 'notPrepared';
  const since = status.preparedAt ? Date.parse(status.preparedAt) : 0;
  return since <= Date.parse(preparedBefore(ports.now(), config)) ? 'old' : 'tooYoung';
}

/**
 * PREPARED records of a transaction with no coordinator log item: its coordinator never logged a
 * decision (the item is written only then). Once a record is old enough that no coordinator can still
 * be preparing, recovery logs ABORT, creating the item (presumed abort, and a late coordinator's
 * decision write then fails and obeys it), and drives it to those participants.
 */
async function recoverOrphan(
  txnId: string,
  stragglers: readonly PreparedRecordRef[],
  ports: RecoveryPorts,
  config: RecoveryConfig,
  metrics: MetricsRecorder,
): Promise<TransactionOutcome> {
  const ages = await Promise.all(stragglers.map(async (ref) => ({ ref, age: await preparedRecordIsOld(ref, ports, config) })));
  const old = ages.filter((a) => a.age === 'old').map((a) => a.ref);
  if (!old.length) {
    return {
      kind: 'noLogItem',
      txnId,
      orphans: ages.map(({ ref, age }): StragglerOutcome => ({ participant: ref.participant, action: 'none', result: age === 'old' ? 'notPrepared' : age })),
    };
  }
  const createdAt = old.map((r) => r.inDoubtSince).sort()[0] ?? iso(ports.now());
  // Once its oldest record is old enough the transaction is aborted as a whole: its younger records (prepared
  // moments later by the same coordinator) are released in the same sweep, not left for the next one.
  const held = ages.filter((a) => a.age !== 'notPrepared').map((a) => a.ref);
  const write = await ports.log.logOrphanDecision(
    txnId,
    PRESUMED_DECISION,
    { decidedBy: 'recovery' },
    held.map((r) => ({ name: r.participant, ...(r.operations ? { operations: r.operations } : {}) })),
    createdAt,
    iso(ports.now()),
  );
  if (!write.item) throw new Error(`transaction ${txnId}: no decision could be logged or read`);
  // A coordinator logged its decision first: the transaction is an ordinary one now.
  if (!write.won) return recoverTransaction(txnId, ports, config, { stragglers, metrics });
  metrics.count(METRICS.inDoubtFound);
  const driven = await driveDecision(write.item, 'ABORT', ports);
  if (driven.final) metrics.count(METRICS.inDoubtResolved);
  return { kind: 'driven', decidedNow: true, orphan: true, ...driven };
}

/** A final transaction whose participant still holds PREPARED: it missed the decision; deliver it. */
async function deliverToStragglers(
  item: CoordinatorLogItem,
  stragglers: readonly PreparedRecordRef[],
  ports: RecoveryPorts,
  config: RecoveryConfig,
): Promise<StragglerOutcome[]> {
  const outcomes = await Promise.all(
    stragglers.map(async (ref): Promise<StragglerOutcome> => {
      const { participant } = ref;
      const age = await preparedRecordIsOld(ref, ports, config);
      if (age !== 'old') return { participant, action: 'none', result: age };
      const entry = item.participantsJson.find((p) => p.name === participant);
      // Not a participant of this transaction by its log: it was never asked, so it cannot be committed (presumed abort).
      const decision = entry && item.decision ? item.decision : 'ABORT';
      // A hold in its item is found only by its operations: the log's, or else the entry's own.
      const operations = entry?.operations.length ? entry.operations : ref.operations;
      const delivery = await deliver(ports.participants, participant, decision, item.txnId, operations);
      return straggler(participant, decision === 'COMMIT' ? 'commit' : 'abort', delivery);
    }),
  );
  const violations = outcomes.filter((o) => o.result === 'violation').map((o) => `${o.participant}:${o.detail ?? ''}`);
  await ports.log.addViolations(item.txnId, violations);
  return outcomes;
}

function straggler(participant: string, action: 'commit' | 'abort', delivery: Awaited<ReturnType<typeof deliver>>): StragglerOutcome {
  switch (delivery.kind) {
    case 'acknowledged':
      return { participant, action, result: 'acknowledged' };
    case 'violation':
      return { participant, action, result: 'violation', detail: delivery.code };
    case 'failed':
      return { participant, action, result: 'failed', detail: delivery.error };
  }
}

/** One sweep over everything in doubt. Never throws for one transaction: its error is reported and the sweep goes on. */
export async function runSweep(ports: RecoveryPorts, config: RecoveryConfig, options: SweepOptions = {}): Promise<SweepReport> {
  const metrics = options.metrics ?? noMetrics;
  const log = options.log ?? (() => {});
  const now = ports.now();
  // Nothing begun after this can be past its deadline and the grace. A PREPARED record older than it is
  // looked into: its log item (when there is one) tells whether it is due, so a decided transaction is
  // taken up at its own deadline and grace, not only once the record is older than any deadline.
  const dueBefore = openCreatedBefore(now, config, LIMITS.minTimeoutSeconds);
  // The age alarm needs the oldest lock however young, not only the records old enough to act on: the same read gives both.
  const [openIds, { refs: prepared, oldestSince: oldestPrepared }] = await Promise.all([
    ports.log.openTransactions(dueBefore, config.maxTransactionsPerSweep),
    ports.inDoubt.preparedBefore(dueBefore, config.maxTransactionsPerSweep),
  ]);
  const stragglers = new Map<string, PreparedRecordRef[]>();
  for (const ref of prepared) stragglers.set(ref.txnId, [...(stragglers.get(ref.txnId) ?? []), ref]);
  const txnIds = [...new Set([...openIds, ...stragglers.keys()])].slice(0, config.maxTransactionsPerSweep);

  const oldest = oldestPrepared ?? prepared[0]?.inDoubtSince;
  metrics.gauge(METRICS.oldestInDoubtAgeSeconds, oldest ? Math.max(0, Math.round((now - Date.parse(oldest)) / 1000)) : 0);

  const transactions: TransactionOutcome[] = [];
  const errors: SweepReport['errors'] = [];
  const stopTakingAt = options.stopTakingAt ?? Number.POSITIVE_INFINITY;
  const deferred = await inBatches(
    txnIds,
    config.concurrency,
    () => Date.now() < stopTakingAt,
    async (txnId) => {
      try {
        const outcome = await recoverTransaction(txnId, ports, config, { stragglers: stragglers.get(txnId) ?? [], metrics });
        transactions.push(outcome);
        if (outcome.kind === 'driven') {
          log(outcome.final ? 'recovery finished a transaction' : 'recovery left a transaction pending', {
            txnId,
            decision: outcome.decision,
            decidedNow: outcome.decidedNow,
            outcomes: outcome.outcomes,
            violations: outcome.violations,
            errors: outcome.errors,
          });
        } else if ((outcome.kind === 'noLogItem' && outcome.orphans.length) || (outcome.kind === 'final' && outcome.stragglers.length)) {
          log('recovery delivered to stragglers', { txnId, outcome });
        }
      } catch (error) {
        errors.push({ txnId, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
        log('recovery failed for a transaction; the next sweep retries', { txnId, error: String(error) });
      }
    },
  );

  const driven = transactions.filter((t) => t.kind === 'driven');
  const strays = transactions.flatMap((t) => (t.kind === 'noLogItem' ? t.orphans : t.kind === 'final' ? t.stragglers : []));
  const orphansAborted = driven.filter((t) => t.orphan).reduce((n, t) => n + t.outcomes.filter((o) => o === 'ACKED').length, 0);
  const strayHazards = strays.filter((s) => s.result === 'violation').length;
  const actedOnStrays = strays.some((s) => s.action !== 'none');
  const report: SweepReport = {
    startedAt: iso(now),
    examined: txnIds.length,
    transactions,
    finalized: driven.filter((t) => t.final).length,
    decided: driven.filter((t) => t.decidedNow).length,
    pending: driven.filter((t) => !t.final).length,
    orphansAborted,
    hazards: driven.reduce((n, t) => n + t.violations.length, 0) + strayHazards,
    errors,
    deferred,
    quiet: driven.length === 0 && !actedOnStrays && errors.length === 0 && deferred === 0,
  };
  return report;
}
