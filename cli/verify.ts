/**
 * `pakka verify`: what a team runs right after `cdk deploy` (or against `npm start`) to see the
 * deployment work end to end through its API: a commit across its participants, an abort with its
 * reason, idempotent submission, a transaction left stuck on purpose and finished by recovery, and the
 * metrics and alarms. Each check ends passed, failed or skipped (with the reason); the participants
 * and operations come from GET /participants, and every key it writes is new (`pakka-verify-<run>-…`).
 */
import { LIMITS } from '../lambdas/request/transactionRequest.js';
import { FAULT_HEADER, STOP_AFTER_PREPARE } from '../lambdas/request/coordinatorFault.js';
import { stackAlarmNames } from '../lambdas/observability/alarmNames.js';
import { METRICS, METRIC_NAMESPACE, METRIC_SERVICE, type MetricName } from '../lambdas/observability/metricNames.js';
import { prometheusName } from '../lambdas/observability/prometheusNames.js';
import { ApiCallError, type PakkaClient, type ParticipantInfo, type TransactionStatus } from './client.js';
import { type CloudWatchClient, alarmNamesWithPrefix, getMetricData } from './cloudWatch.js';
import { parsePrometheusText, sumOf } from './prometheusText.js';

export type CheckResult = 'passed' | 'failed' | 'skipped';

export interface CheckReport {
  check: string;
  result: CheckResult;
  detail: string;
}

export interface VerifyOptions {
  client: PakkaClient;
  /** CloudWatch in the API's region, signed: where a deployed API's metrics and alarms are. */
  cloudWatch?: CloudWatchClient;
  /** The stack name, which prefixes every alarm's name. */
  stackName: string;
  /** How long recovery may take to finish the stuck transaction (its deadline and grace included). */
  recoveryTimeoutMs: number;
  /** How long CloudWatch may take to show this run's outcomes (the outcome reporter reads a stream). */
  metricsTimeoutMs: number;
  /** Names this run's keys and txnIds; default: the time and a random part. */
  runId?: string;
  /** Told as each check ends. */
  progress?: (report: CheckReport) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** An operation that creates what it names when it commits, on a key nobody used: it votes yes. */
const CREATING: Readonly<Record<string, Record<string, unknown>>> = {
  credit: { amount: 1 },
  restock: { quantity: 1 },
  hold: { holder: 'pakka-verify' },
  enqueue: { message: 'pakka verify' },
};
/** An operation that votes no on a key nobody used, and the reason it gives. */
const REFUSED: Readonly<Record<string, { fields: Record<string, unknown>; reason: string }>> = {
  debit: { fields: { amount: 1 }, reason: 'INSUFFICIENT_FUNDS' },
  reserve: { fields: { quantity: 1 }, reason: 'OUT_OF_STOCK' },
  release: { fields: { holder: 'pakka-verify' }, reason: 'NOT_HOLDER' },
};
/** The committed value a counting operation leaves on a new key, in the item's view. */
const COUNTED: Readonly<Record<string, string>> = { credit: 'balance', restock: 'stock' };

interface Operation {
  participant: string;
  op: string;
  fields: Record<string, unknown>;
}

const request = (operations: readonly Operation[], key: (o: Operation) => string, extra: Record<string, unknown> = {}) => ({
  ...extra,
  participants: operations.map((o) => ({ name: o.participant, operations: [{ op: o.op, key: key(o), ...o.fields }] })),
});

const names = (transaction: TransactionStatus) => transaction.participants.map((p) => p.name).join(', ');

/** A failed check: its detail is the message. */
class CheckFailed extends Error {}
/** A check that cannot run on this target: its detail is why. */
class CheckSkipped extends Error {}

function explain(error: unknown): string {
  if (error instanceof ApiCallError) return `${error.status} ${error.code}: ${error.message}${error.field ? ` [${error.field}]` : ''}`;
  return error instanceof Error ? error.message : String(error);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runVerify(options: VerifyOptions): Promise<CheckReport[]> {
  const { client } = options;
  const sleep = options.sleep ?? defaultSleep;
  const run = options.runId ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const keyFor = (check: string) => (o: Operation) => `pakka-verify-${run}-${check}-${o.op}`;
  const reports: CheckReport[] = [];
  const check = async (name: string, body: () => Promise<string>) => {
    let report: CheckReport;
    try {
      report = { check: name, result: 'passed', detail: await body() };
    } catch (error) {
      report = { check: name, result: error instanceof CheckSkipped ? 'skipped' : 'failed', detail: explain(error) };
    }
    reports.push(report);
    options.progress?.(report);
  };
  const expect = (ok: boolean, message: string) => {
    if (!ok) throw new CheckFailed(message);
  };

  let participants: ParticipantInfo[] = [];
  await check('participants', async () => {
    participants = await client.participants();
    expect(participants.length > 0, 'GET /participants lists none');
    return `${participants.length}: ${participants.map((p) => `${p.name} (${p.kind})`).join(', ')}`;
  });
  const creating = participants.flatMap((p): Operation[] => {
    const op = p.operations.find((o) => o in CREATING);
    return op ? [{ participant: p.name, op, fields: CREATING[op] ?? {} }] : [];
  });
  const counting = creating.filter((o) => o.op in COUNTED);
  const needs = (what: string, ok: boolean) => {
    if (!ok) throw new CheckSkipped(`no participant takes ${what} (GET /participants)`);
  };

  let committed = 0;
  let aborted = 0;
  await check('commit', async () => {
    needs(Object.keys(CREATING).join(', '), creating.length > 0);
    const operations = creating.slice(0, LIMITS.maxParticipants);
    const transaction = await client.run(request(operations, keyFor('commit')));
    expect(transaction.status === 'COMMITTED', `${transaction.txnId} ended ${transaction.status} (${transaction.reason ?? 'no reason'}), not COMMITTED`);
    committed++;
    const notCommitted = transaction.participants.filter((p) => p.state !== 'COMMITTED' && p.vote !== 'READ_ONLY');
    expect(notCommitted.length === 0, `${transaction.txnId}: ${notCommitted.map((p) => `${p.name} is ${p.state}`).join(', ')}`);
    return `${transaction.txnId} COMMITTED across ${operations.length} participants (${names(transaction)}) in ${transaction.timings.totalMs ?? '?'} ms`;
  });

  await check('abort with its reason', async () => {
    const refusing = participants.flatMap((p) => {
      const op = p.operations.find((o) => o in REFUSED);
      const refused = op ? REFUSED[op] : undefined;
      return op && refused ? [{ operation: { participant: p.name, op, fields: refused.fields }, reason: refused.reason }] : [];
    });
    needs(Object.keys(REFUSED).join(', '), refusing.length > 0);
    const [first] = refusing;
    if (!first) throw new CheckSkipped('no participant can refuse');
    // Beside a yes from another participant, so the no aborts a two-phase transaction.
    const other = creating.find((o) => o.participant !== first.operation.participant);
    const transaction = await client.run(request([first.operation, ...(other ? [other] : [])], keyFor('abort')));
    expect(transaction.status === 'ABORTED', `${transaction.txnId} ended ${transaction.status}, not ABORTED`);
    aborted++;
    expect(transaction.reason === first.reason, `${transaction.txnId} ABORTED with reason ${transaction.reason ?? 'none'}, not ${first.reason}`);
    const voter = transaction.participants.find((p) => p.name === first.operation.participant);
    expect(voter?.vote === 'VOTE_ABORT', `${first.operation.participant} voted ${voter?.vote ?? 'nothing'}, not VOTE_ABORT`);
    return `${transaction.txnId} ABORTED, reason ${transaction.reason}: ${first.operation.participant} voted no to ${first.operation.op} on a new key`;
  });

  await check('idempotent retry', async () => {
    needs('credit or restock', counting.length > 0);
    const [operation] = counting;
    if (!operation) throw new CheckSkipped('no counting participant');
    const idempotencyKey = `pakka-verify-${run}-idempotency`;
    const body = request([operation], keyFor('idempotency'));
    const first = await client.run(body, { idempotencyKey });
    const again = await client.run(body, { idempotencyKey });
    expect(first.status === 'COMMITTED', `${first.txnId} ended ${first.status}, not COMMITTED`);
    committed++;
    expect(again.txnId === first.txnId, `the same Idempotency-Key and body gave ${again.txnId}, not ${first.txnId}`);
    expect(again.status === first.status, `the retry of ${first.txnId} says ${again.status}, the first ${first.status}`);
    const field = COUNTED[operation.op] ?? '';
    const item = await client.item(operation.participant, keyFor('idempotency')(operation));
    expect(
      item?.[field] === 1,
      `${operation.participant} ${keyFor('idempotency')(operation)} has ${field} ${String(item?.[field])} after two sends of +1: applied twice`,
    );
    return `Idempotency-Key sent twice: one transaction ${first.txnId} ${first.status}, applied once (${field} 1)`;
  });

  await check('idempotency conflict', async () => {
    needs('credit or restock', counting.length > 0);
    const [operation] = counting;
    if (!operation) throw new CheckSkipped('no counting participant');
    const key = keyFor('conflict');
    const changed: Operation = {
      ...operation,
      fields: Object.fromEntries(Object.entries(operation.fields).map(([k, v]) => [k, typeof v === 'number' ? v + 1 : v])),
    };
    const refusedWith = async (label: string, send: () => Promise<unknown>) => {
      try {
        await send();
      } catch (error) {
        if (error instanceof ApiCallError && error.status === 409 && error.code === 'IDEMPOTENCY_CONFLICT') return;
        throw new CheckFailed(`a different body under the same ${label} answered ${explain(error)}, not 409 IDEMPOTENCY_CONFLICT`);
      }
      throw new CheckFailed(`a different body under the same ${label} was accepted, not refused with 409 IDEMPOTENCY_CONFLICT`);
    };
    const committedFirst = async (send: () => Promise<TransactionStatus>) => {
      const first = await send();
      expect(first.status === 'COMMITTED', `${first.txnId} ended ${first.status}, not COMMITTED`);
      committed++;
    };
    const idempotencyKey = `pakka-verify-${run}-conflict`;
    await committedFirst(() => client.run(request([operation], key), { idempotencyKey }));
    await refusedWith('Idempotency-Key', () => client.submit(request([changed], key), { idempotencyKey }));
    const txnId = `pakka-verify-${run}-conflict`;
    await committedFirst(() => client.run(request([operation], key, { txnId })));
    await refusedWith('txnId', () => client.submit(request([changed], key, { txnId })));
    const field = COUNTED[operation.op] ?? '';
    const item = await client.item(operation.participant, key(operation));
    expect(item?.[field] === 2, `${operation.participant} ${key(operation)} has ${field} ${String(item?.[field])}, not 2: a refused body changed it`);
    return 'a different body under the same Idempotency-Key, and under the same txnId: 409 IDEMPOTENCY_CONFLICT, nothing applied';
  });

  await check('stuck transaction recovered', async () => {
    needs(Object.keys(CREATING).join(', '), creating.length > 0);
    // Two participants: a two-phase transaction, whose participants hold PREPARED records when the coordinator stops.
    const operations = creating.slice(0, 2);
    let txnId: string;
    try {
      const submitted = await client.submit(request(operations, keyFor('stuck'), { timeoutSeconds: LIMITS.minTimeoutSeconds }), { fault: STOP_AFTER_PREPARE });
      txnId = submitted.final ? submitted.transaction.txnId : submitted.txnId;
    } catch (error) {
      if (error instanceof ApiCallError && error.status === 400 && error.field === FAULT_HEADER) {
        throw new CheckSkipped(`fault injection is off on this deployment, so nothing can be left stuck on purpose (${error.message})`);
      }
      throw error;
    }
    const started = Date.now();
    const deadline = started + options.recoveryTimeoutMs;
    // First the fault: prepared everywhere, and no decision.
    let view = await client.transaction(txnId);
    while (!view.participants.every((p) => p.state === 'PREPARED') && view.decision === null && Date.now() < deadline) {
      await sleep(200);
      view = await client.transaction(txnId);
    }
    expect(
      view.decision === null,
      `${txnId} was decided (${view.decision}, by ${view.decidedBy ?? '?'}) before recovery ran: the fault did not stop the coordinator`,
    );
    expect(
      view.participants.every((p) => p.state === 'PREPARED'),
      `${txnId} never had every participant PREPARED: ${view.participants.map((p) => `${p.name} ${p.state}`).join(', ')}`,
    );
    // Then recovery: a sweep now, again until it has taken the transaction (past its deadline and recovery's grace).
    let sweeps = 0;
    while (Date.now() < deadline) {
      const sweep = await client.recover();
      sweeps++;
      view = await client.transaction(txnId);
      if (view.status === 'COMMITTED' || view.status === 'ABORTED') break;
      // A deployed API sweeps in the background (202): give each sweep time before starting another.
      await sleep(sweep.kind === 'started' ? 15_000 : 1_000);
      view = await client.transaction(txnId);
      if (view.status === 'COMMITTED' || view.status === 'ABORTED') break;
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    expect(view.status === 'ABORTED', `${txnId} is ${view.status} after ${seconds} s and ${sweeps} recovery sweeps, not ABORTED (presumed abort)`);
    aborted++;
    expect(view.decidedBy === 'recovery', `${txnId} was aborted by ${view.decidedBy ?? 'nobody known'}, not by recovery`);
    const left = view.participants.filter((p) => p.state !== 'ABORTED');
    expect(left.length === 0, `${txnId}: ${left.map((p) => `${p.name} is ${p.state}`).join(', ')}, not ABORTED`);
    return `${txnId} left PREPARED at ${names(view)} by the injected fault; recovery aborted it in ${seconds} s (${sweeps} sweep${sweeps === 1 ? '' : 's'} asked)`;
  });

  const onAws = await metricsOnAws(client);
  await check('metrics', async () => {
    if (committed + aborted === 0) throw new CheckSkipped('no transaction of this run ended, so there is no outcome to look for');
    if (!onAws) {
      const samples = parsePrometheusText(await client.metricsText());
      const total = (m: MetricName) => sumOf(samples, prometheusName(m));
      const found = { committed: total(METRICS.transactionsCommitted), aborted: total(METRICS.transactionsAborted) };
      expect(found.committed >= committed, `GET /metrics counts ${found.committed} committed transactions; this run committed ${committed}`);
      expect(found.aborted >= aborted, `GET /metrics counts ${found.aborted} aborted transactions; this run aborted ${aborted}`);
      return `GET /metrics: ${prometheusName(METRICS.transactionsCommitted)} ${found.committed}, ${prometheusName(METRICS.transactionsAborted)} ${found.aborted}`;
    }
    const cloudWatch = options.cloudWatch;
    if (!cloudWatch) throw new CheckFailed('the API keeps its metrics in CloudWatch, but requests are not signed, so CloudWatch cannot be read: say --region');
    const found = await outcomesInCloudWatch(cloudWatch, options.metricsTimeoutMs, sleep, { committed, aborted });
    expect(
      found.committed >= Math.min(committed, 1),
      `CloudWatch shows no ${METRICS.transactionsCommitted} in namespace ${METRIC_NAMESPACE} after ${options.metricsTimeoutMs / 1000} s`,
    );
    expect(
      found.aborted >= Math.min(aborted, 1),
      `CloudWatch shows no ${METRICS.transactionsAborted} in namespace ${METRIC_NAMESPACE} after ${options.metricsTimeoutMs / 1000} s`,
    );
    return `CloudWatch namespace ${METRIC_NAMESPACE}, last 15 minutes: ${METRICS.transactionsCommitted} ${found.committed}, ${METRICS.transactionsAborted} ${found.aborted}`;
  });

  await check('alarms', async () => {
    if (!onAws) throw new CheckSkipped('the local service has no alarms: on AWS they are CloudWatch alarms, checked when --url is the deployed API');
    const cloudWatch = options.cloudWatch;
    if (!cloudWatch) throw new CheckFailed('requests are not signed, so CloudWatch cannot be read: say --region');
    const expected = stackAlarmNames(
      options.stackName,
      participants.map((p) => p.name),
    );
    const present = new Set(await alarmNamesWithPrefix(cloudWatch, `${options.stackName}-`));
    const missing = expected.filter((name) => !present.has(name));
    expect(
      missing.length === 0,
      `${missing.length} of ${expected.length} alarms missing (is --stack ${options.stackName} the stack's name?): ${missing.join(', ')}`,
    );
    return `all ${expected.length} alarms of stack ${options.stackName} exist`;
  });
  return reports;
}

/** The local service serves GET /metrics; a deployed API answers 404 METRICS_IN_CLOUDWATCH. */
async function metricsOnAws(client: PakkaClient): Promise<boolean> {
  try {
    await client.metricsText();
    return false;
  } catch (error) {
    if (error instanceof ApiCallError && error.code === 'METRICS_IN_CLOUDWATCH') return true;
    return false; // the metrics check reads it again and reports the failure
  }
}

/** Sums of this run's outcome metrics in CloudWatch, read until they show or the timeout passes. */
async function outcomesInCloudWatch(
  cloudWatch: CloudWatchClient,
  timeoutMs: number,
  sleep: (ms: number) => Promise<void>,
  wanted: { committed: number; aborted: number },
): Promise<{ committed: number; aborted: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const end = Date.now() + 60_000;
    const results = await getMetricData(cloudWatch, {
      StartTime: new Date(end - 16 * 60_000).toISOString(),
      EndTime: new Date(end).toISOString(),
      MetricDataQueries: [
        {
          Id: 'committed',
          ReturnData: true,
          MetricStat: {
            Metric: { Namespace: METRIC_NAMESPACE, MetricName: METRICS.transactionsCommitted, Dimensions: [{ Name: 'service', Value: METRIC_SERVICE }] },
            Period: 60,
            Stat: 'Sum',
          },
        },
        {
          // Aborts carry a Reason: all of them, whatever the reason.
          Id: 'aborted',
          ReturnData: true,
          Expression: `SUM(SEARCH('{${METRIC_NAMESPACE},Reason,service} MetricName="${METRICS.transactionsAborted}"', 'Sum', 60))`,
          Period: 60,
        },
      ],
    });
    const total = (id: string) => (results.find((r) => r.Id === id)?.Values ?? []).reduce((a, b) => a + b, 0);
    const found = { committed: total('committed'), aborted: total('aborted') };
    if ((found.committed >= Math.min(wanted.committed, 1) && found.aborted >= Math.min(wanted.aborted, 1)) || Date.now() >= deadline) return found;
    await sleep(15_000);
  }
}
