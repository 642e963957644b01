/**
 * The largest request the API accepts, run through the coordinator's real ASL on the local engine, against
 * the AWS limits that grow with a request: Step Functions' 256 KiB for a state's input or output ("Step
 * Functions service quotas": "Maximum input or output size for a task, state, or execution: 256 KiB of data
 * as a UTF-8 encoded string") and DynamoDB's 400 KB item ("Service, account, and table quotas in Amazon
 * DynamoDB") for the coordinator log item. Every state the execution enters is measured, on the commit
 * path and on the abort path, not just the one after PrepareAll.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { awsWriteUnits } from '../../bench/awsWriteUnits.js';
import { type AttributeMap, itemSize } from '../../bench/capacity.js';
import { claimItem } from '../../lambdas/request/txnClaim.js';
import { COORDINATOR_LOG_SCHEMA } from '../../lambdas/tableSchemas.js';
import { marshall } from '@aws-sdk/util-dynamodb';
import { type ParticipantConfig, parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { localFunctionArn } from '../../lambdas/config/participantFunctions.js';
import { jsonBody } from '../../lambdas/api/request.js';
import { LIMITS, TXN_ID_PATTERN } from '../../lambdas/request/transactionRequest.js';
import type { LocalPakka, StartedTransaction } from '../../local/pakka.js';
import { testPakka } from '../support/pakka.js';
import { TEST_VARIANT } from '../support/variant.js';
import { MAX_TRANSACTION_TIMEOUT_SECONDS } from '../../lambdas/config/coordinatorVariant.js';
import { MAX_MINOR_UNITS } from '../../lambdas/participants/kinds/fields.js';

const KiB = 1024;
/** Step Functions' limit on a state's input and output, and on an execution's input. */
const STATE_LIMIT = 256 * KiB;
/** DynamoDB's item limit, names and values together. */
const ITEM_LIMIT = 400 * KiB;

/**
 * The longest function ARN a participant can have: a Pakka-built function is named
 * `<stack name (at most 23)>-<participant (at most 40)>`, at most 64 characters, and a team's own may add
 * a qualifier (an alias, up to 128); the longest partition and region names.
 */
const LONGEST_FUNCTION_ARN = `arn:aws-us-gov:lambda:ap-southeast-5:123456789012:function:${'f'.repeat(64)}:${'a'.repeat(128)}`;

const utf8 = (value: unknown) => Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
const occurrences = (text: string, part: string) => text.split(part).length - 1;

/** As many participants as a request may name, each with the longest name the config allows. */
const NAMES = Array.from({ length: LIMITS.maxParticipants }, (_, i) => `p${String(i).padStart(2, '0')}-${'n'.repeat(36)}`);
const CONFIG: ParticipantConfig = parseParticipantConfig({
  participants: Object.fromEntries(NAMES.map((name) => [name, { kind: 'ledger' }])),
});

/**
 * The body of the largest request the API accepts: every participant, every operation, the longest
 * txnId, and keys as long as the 64 KB body leaves room for. The API takes numbers in digits only (no
 * exponent) and strings as they are, so the execution input carries the operations in as many bytes as the body.
 */
function largestBody(): string {
  const txnId = `t${'x'.repeat(79)}`;
  expect(txnId).toMatch(TXN_ID_PATTERN);
  const text = (keyLength: number, extra: number) => {
    let left = extra;
    const participants = NAMES.map((name) => {
      const operations = Array.from({ length: LIMITS.maxOperationsPerParticipant }, (_, j) => {
        const grow = left > 0 && keyLength < 128 ? 1 : 0;
        left -= grow;
        const key = `k${String(j).padStart(2, '0')}-`.padEnd(keyLength + grow, 'k');
        return `{"op":"credit","key":"${key}","amount":${MAX_MINOR_UNITS}}`;
      });
      return `{"name":"${name}","operations":[${operations.join(',')}]}`;
    });
    return `{"txnId":"${txnId}","timeoutSeconds":${MAX_TRANSACTION_TIMEOUT_SECONDS[TEST_VARIANT]},"participants":[${participants.join(',')}]}`;
  };
  let keyLength = 4;
  while (keyLength < 128 && utf8(text(keyLength + 1, 0)) <= LIMITS.maxBodyBytes) keyLength += 1;
  const body = text(keyLength, LIMITS.maxBodyBytes - utf8(text(keyLength, 0)));
  return body;
}

const apiEvent = (body: string) => ({ body, isBase64Encoded: false, headers: { 'Content-Type': 'application/json' } }) as unknown as APIGatewayProxyEvent;

interface Measured {
  /** Bytes of the largest state input or output, and where. */
  largest: { bytes: number; where: string };
  /** Bytes of the state PrepareAll leaves (its output). */
  afterPrepareAll: number;
  /** The same two with every function ARN as long as an ARN can be. */
  largestWithLongestArns: number;
  afterPrepareAllWithLongestArns: number;
  /** The coordinator log item as DynamoDB holds it, by AWS's size rules. */
  logItemBytes: number;
  status: unknown;
}

async function measure(pakka: LocalPakka, started: StartedTransaction): Promise<Measured> {
  const localArnLength = localFunctionArn(NAMES[0] ?? '').length;
  const longer = (json: string) =>
    utf8(json) + NAMES.reduce((sum, name) => sum + occurrences(json, localFunctionArn(name)), 0) * (LONGEST_FUNCTION_ARN.length - localArnLength);
  let largest = { bytes: 0, where: '', json: '' };
  let afterPrepareAll = '';
  for await (const event of started.execution.eventLogs) {
    if (!('state' in event)) continue;
    for (const [side, value] of [
      ['input', event.state.input],
      ['output', event.state.output],
    ] as const) {
      if (value === undefined) continue;
      const json = JSON.stringify(value);
      if (utf8(json) > largest.bytes) largest = { bytes: utf8(json), where: `${event.state.name} ${side}`, json };
    }
    if (event.type === 'StateExited' && event.state.name === 'PrepareAll' && event.index === undefined) afterPrepareAll = JSON.stringify(event.state.output);
  }
  const outcome = await started.done;
  const { Item } = await pakka.client.send(
    new GetItemCommand({ TableName: pakka.tables.coordinatorLog, Key: { txnId: { S: started.txnId } }, ConsistentRead: true }),
  );
  expect(afterPrepareAll, 'PrepareAll ran').not.toBe('');
  return {
    largest: { bytes: largest.bytes, where: largest.where },
    afterPrepareAll: utf8(afterPrepareAll),
    largestWithLongestArns: longer(largest.json),
    afterPrepareAllWithLongestArns: longer(afterPrepareAll),
    logItemBytes: itemSize(Item as AttributeMap | undefined),
    status: outcome.ok ? outcome.output : outcome.error,
  };
}

describe('the largest request the API accepts', () => {
  let pakka: LocalPakka;
  let body: string;
  beforeAll(async () => {
    pakka = await testPakka({ config: CONFIG });
    body = largestBody();
  });

  it('is as large as the API allows: one byte more is refused', () => {
    expect(utf8(body)).toBe(LIMITS.maxBodyBytes);
    expect(() => jsonBody(apiEvent(`${body} `))).toThrow(`body must be at most ${LIMITS.maxBodyBytes} bytes`);
    const validated = pakka.validate(jsonBody(apiEvent(body)));
    expect(validated.ok).toBe(true);
  });

  it('keeps every state of a commit, and the log item, within AWS limits', async () => {
    const validated = pakka.validate(jsonBody(apiEvent(body)));
    if (!validated.ok) throw new Error(validated.error.message);
    const started = await pakka.submit(validated.value, 'i'.repeat(255));
    if (!('done' in started)) throw new Error(`not started: ${started.kind}`);
    expect(utf8(JSON.stringify(started.input))).toBeLessThan(STATE_LIMIT);
    const measured = await measure(pakka, started);
    console.info(`largest request, commit: ${JSON.stringify(measured)}`);
    expect(measured.status).toMatchObject({ status: 'COMMITTED' });
    expect(measured.afterPrepareAllWithLongestArns).toBeLessThan(STATE_LIMIT);
    expect(measured.largestWithLongestArns).toBeLessThan(STATE_LIMIT);
    expect(measured.logItemBytes).toBeLessThan(ITEM_LIMIT);
  });

  it('keeps every state of an abort, and the log item, within AWS limits', async () => {
    // The last participant's last operation debits an account nobody credited: a no, after every other prepared.
    const request = JSON.parse(body) as { txnId: string; participants: Array<{ operations: Array<Record<string, unknown>> }> };
    const last = request.participants.at(-1)?.operations.at(-1);
    if (!last) throw new Error('no operation');
    last.op = 'debit';
    last.key = `z${String(last.key).slice(1)}`;
    request.txnId = `a${request.txnId.slice(1)}`;
    const validated = pakka.validate(request);
    if (!validated.ok) throw new Error(validated.error.message);
    const started = await pakka.submit(validated.value, 'j'.repeat(255));
    if (!('done' in started)) throw new Error(`not started: ${started.kind}`);
    const measured = await measure(pakka, started);
    console.info(`largest request, abort: ${JSON.stringify(measured)}`);
    expect(measured.status).toMatchObject({ status: 'ABORTED' });
    expect(measured.largestWithLongestArns).toBeLessThan(STATE_LIMIT);
    expect(measured.logItemBytes).toBeLessThan(ITEM_LIMIT);
  });
});

describe('a transfer of four participants', () => {
  it('leaves a log item of one write unit: names and operations, no function ARNs or timeouts', async () => {
    const pakka = await testPakka();
    const fund = await pakka.runTransaction({ participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: 'alice', amount: 100_000 }] }] });
    expect(fund.ok).toBe(true);
    const validated = pakka.validate({
      participants: [
        { name: 'payer-bank', operations: [{ op: 'debit', key: 'alice', amount: 25_200 }] },
        { name: 'payee-bank', operations: [{ op: 'credit', key: 'bob', amount: 25_000 }] },
        { name: 'upi-switch', operations: [{ op: 'credit', key: 'fees', amount: 200 }] },
        { name: 'sms-gateway', operations: [{ op: 'enqueue', key: 'sms-bob', message: 'You received 250.00 from alice' }] },
      ],
    });
    if (!validated.ok) throw new Error(validated.error.message);
    const started = await pakka.submit(validated.value, 'upi-transfer-0001');
    if (!('done' in started)) throw new Error(`not started: ${started.kind}`);
    const outcome = await started.done;
    expect(outcome.ok && outcome.output).toMatchObject({ status: 'COMMITTED' });
    const { Item } = await pakka.client.send(
      new GetItemCommand({ TableName: pakka.tables.coordinatorLog, Key: { txnId: { S: started.txnId } }, ConsistentRead: true }),
    );
    const item = Item as AttributeMap;
    const claimed = marshall(claimItem(started.input, new Date().toISOString()), { removeUndefinedValues: true });
    const units = awsWriteUnits({ before: claimed, after: item, transactional: false }, COORDINATOR_LOG_SCHEMA);
    console.info(`log item of a four-participant transfer: ${itemSize(item)} B, its decision write ${units.table} WRU (+${units.indexes} for indexes)`);
    expect(item.participantsJson?.S).not.toContain('arn:');
    expect(item.participantsJson?.S).not.toContain('TimeoutSeconds');
    expect(itemSize(item)).toBeLessThanOrEqual(KiB);
    expect(units.table).toBe(1);
  });
});
