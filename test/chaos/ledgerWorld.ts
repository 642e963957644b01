/**
 * A small world of UPI transfers for the fault and chaos tests: three ledger participants
 * (payer-bank, payee-bank, upi-switch) with tables of their own while the world lives (then
 * emptied for the next world: tablePool.ts), a LocalPakka wired through a FaultInjector, a LocalRecovery, and the checks of invariants I1-I5 read straight from the tables.
 * Used by vitest (test/recovery*.test.ts, test/chaos.test.ts) and by `npm run chaos`, so it takes the
 * DynamoDB endpoint as an argument instead of reading vitest's context.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type ParticipantConfig, parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { type CoordinatorLogItem, FINAL_STATUSES, isOnePhaseRequest, parseCoordinatorLogItem } from '../../lambdas/coordinatorLog/coordinatorLog.js';
import { PAKKA_ERROR } from '../../lambdas/protocol/errorNames.js';
import { type ParticipantRecordFacts, withDerivedStatus } from '../../lambdas/coordinatorLog/transactionStatus.js';
import { MAX_QUANTITY } from '../../lambdas/participants/escrow.js';
import { shardCapacity } from '../../lambdas/participants/hotItems.js';
import { storedRecord } from '../../lambdas/participants/record.js';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import type { RecoveryConfig } from '../../lambdas/recovery/recoveryConfig.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import { type DeliveryRecord, type FaultSpec, FaultInjector } from '../../local/faults.js';
import { LocalPakka, type StartedTransaction } from '../../local/pakka.js';
import { LocalRecovery, type LocalRecoveryOptions } from '../../local/recovery.js';
import type { CoordinatorVariant } from '../../lambdas/config/coordinatorVariant.js';
import { type PooledTables, closableClient, pooledTables } from '../support/tablePool.js';
import { TEST_VARIANT } from '../support/variant.js';

export const LEDGERS = ['payer-bank', 'payee-bank', 'upi-switch'] as const;
export type Ledger = (typeof LEDGERS)[number];

export const HOUR_MS = 3_600_000;

/**
 * The three ledgers, with a short prepare timeout so a late answer is a timeout within a test;
 * `shardedKeys` names each ledger's hot keys and their shard counts.
 */
export function ledgerConfig(
  prepareTimeoutSeconds = 1,
  commitTimeoutSeconds = 2,
  shardedKeys: Partial<Record<Ledger, Record<string, number>>> = {},
): ParticipantConfig {
  return parseParticipantConfig({
    defaults: { prepareTimeoutSeconds, commitTimeoutSeconds },
    participants: Object.fromEntries(LEDGERS.map((name) => [name, { kind: 'ledger', ...(shardedKeys[name] ? { shardedKeys: shardedKeys[name] } : {}) }])),
  });
}

export interface Account {
  participant: Ledger;
  key: string;
}

export interface Transfer {
  from: Account;
  to: Account;
  amount: number;
  /** Paid by the sender to the switch's fee account, out of `amount`. */
  fee: number;
  feeAccount?: string;
}

/** A transfer as a Pakka request: debit the sender, credit the receiver and the switch. Conserves the sum. */
export function transferRequest(txnId: string, t: Transfer, timeoutSeconds = 30) {
  const byParticipant = new Map<string, Array<Record<string, unknown>>>();
  const add = (participant: string, op: Record<string, unknown>) => byParticipant.set(participant, [...(byParticipant.get(participant) ?? []), op]);
  add(t.from.participant, { op: 'debit', key: t.from.key, amount: t.amount });
  add(t.to.participant, { op: 'credit', key: t.to.key, amount: t.amount - t.fee });
  if (t.fee > 0) add('upi-switch', { op: 'credit', key: t.feeAccount ?? 'fees', amount: t.fee });
  return { txnId, timeoutSeconds, participants: [...byParticipant].map(([name, operations]) => ({ name, operations })) };
}

/**
 * Money that enters or leaves the ledgers: a deposit from outside (a credit alone) or a withdrawal to outside (a debit
 * alone). One escrow operation at one participant, so the coordinator sends it commitOnePhase, and at a participant that
 * holds in its items it takes the claim-first path (docs/design.md, "One-phase commit", "Claim first").
 */
export interface OutsideMove {
  account: Account;
  direction: 'deposit' | 'withdrawal';
  amount: number;
}

/** What a client of the world submits: a transfer between ledgers, or money moved in or out of one. */
export type Payment = Transfer | OutsideMove;

export const isOutsideMove = (payment: Payment): payment is OutsideMove => 'direction' in payment;

/** What a committed move does to the sum of all balances. */
const signedAmount = (move: OutsideMove): number => (move.direction === 'deposit' ? move.amount : -move.amount);

/** A payment as a Pakka request; an outside move is one participant with one operation. */
export function paymentRequest(txnId: string, payment: Payment, timeoutSeconds = 30) {
  if (!isOutsideMove(payment)) return transferRequest(txnId, payment, timeoutSeconds);
  const { account, direction, amount } = payment;
  const operations = [{ op: direction === 'deposit' ? 'credit' : 'debit', key: account.key, amount }];
  return { txnId, timeoutSeconds, participants: [{ name: account.participant, operations }] };
}

/** A decision write seen on the wire: the log item's `decision` set by a successful conditional update. */
export interface DecisionWrite {
  txnId: string;
  decision: string;
}

const attr = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof (v as { S?: unknown })?.S === 'string' ? (v as { S: string }).S : undefined;

/**
 * What a world that another process may kill (test/chaos/killCycles.ts) writes down as it happens, so that
 * what it did survives a SIGKILL: each participant answer before the coordinator sees it, and each decision
 * write before it is sent (`sent`) and once DynamoDB answered (`landed` or `refused`).
 */
export type JournalEntry = { k: 'delivery'; delivery: DeliveryRecord } | { k: 'decision'; phase: 'sent' | 'landed' | 'refused'; write: DecisionWrite };

/** Records every successful decision write on the coordinator log, whoever sends it (the ASL, recovery, an operator). */
function observeDecisionWrites(client: DynamoDBClient, logTable: () => string, writes: DecisionWrite[], journal?: (entry: JournalEntry) => void): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Partial<UpdateItemCommandInput>;
      const isDecision =
        context.commandName === 'UpdateItemCommand' && input.TableName === logTable() && /\bdecision = :decision\b/.test(input.UpdateExpression ?? '');
      const txnId = isDecision ? attr(input.Key?.txnId) : undefined;
      const decision = isDecision ? attr(input.ExpressionAttributeValues?.[':decision']) : undefined;
      const write = txnId && decision ? { txnId, decision } : undefined;
      if (write) journal?.({ k: 'decision', phase: 'sent', write });
      try {
        const result = await next(args);
        if (write) {
          writes.push(write);
          journal?.({ k: 'decision', phase: 'landed', write });
        }
        return result;
      } catch (error) {
        if (write) journal?.({ k: 'decision', phase: 'refused', write });
        throw error;
      }
    },
    { step: 'initialize', name: 'pakkaObserveDecisionWrites' },
  );
}

export interface WorldOptions {
  endpoint: string;
  faults?: FaultSpec[];
  config?: ParticipantConfig;
  fastRetriesMs?: number;
  recovery?: Partial<RecoveryConfig>;
  /** Let faults reach recovery's deliveries too (default true). */
  faultsReachRecovery?: boolean;
  /** The coordinator workflow (default: the variant this test run exercises). */
  variant?: CoordinatorVariant;
  /** Called synchronously with each answer and decision write as it happens (see JournalEntry). */
  journal?: (entry: JournalEntry) => void;
}

export class LedgerWorld {
  readonly dynamo: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly injector: FaultInjector;
  readonly pakka: LocalPakka;
  readonly decisionWrites: DecisionWrite[] = [];
  readonly started: StartedTransaction[] = [];
  /** Every txnId submitted through the claim (submit), started or refused: each must end final in the log. */
  readonly submitted = new Set<string>();
  /** Sum of every balance the world funded; transfers must keep it. */
  funded = 0;
  /** The outside moves submitted, by txnId: each one its participant committed changes the sum the balances must have. */
  readonly outsideMoves = new Map<string, OutsideMove>();

  /** The most an item may hold: a shard of a sharded key holds its share of the largest value (hotItems.ts). */
  private capacityOf(participant: string, pk: string): number {
    for (const [key, shards] of this.pakka.config.get(participant)?.shardedKeys ?? []) {
      if (pk.startsWith(`ITEM#${key}#`)) return shardCapacity(shards);
    }
    return MAX_QUANTITY;
  }

  private constructor(
    readonly options: WorldOptions,
    private readonly tables: PooledTables,
  ) {
    const journal = options.journal;
    this.dynamo = closableClient(localDynamoClient(options.endpoint));
    this.doc = documentClient(this.dynamo);
    this.injector = new FaultInjector(options.faults ?? [], journal && ((delivery) => journal({ k: 'delivery', delivery })));
    this.pakka = new LocalPakka({
      dynamo: this.dynamo,
      config: options.config ?? ledgerConfig(),
      tablePrefix: tables.prefix,
      fastRetriesMs: options.fastRetriesMs ?? 2,
      variant: options.variant ?? TEST_VARIANT,
      ...this.injector.seams(),
    });
    this.injector.attach(this.pakka);
    observeDecisionWrites(this.dynamo, () => this.pakka.tables.coordinatorLog, this.decisionWrites, journal);
  }

  /** A world on tables of the pool (tablePool.ts): new ones, or emptied ones a destroyed world gave back. */
  static async create(options: WorldOptions): Promise<LedgerWorld> {
    return new LedgerWorld(options, await pooledTables(options.endpoint, options.config ?? ledgerConfig(), 'r'));
  }

  /**
   * A world over the tables another world holds (its `tablePrefix`): a second process of the same service.
   * The tables stay the other world's: this one gives nothing back to the pool.
   */
  static attach(options: WorldOptions & { tablePrefix: string }): LedgerWorld {
    return new LedgerWorld(options, { prefix: options.tablePrefix, release: async () => undefined });
  }

  /** The prefix of this world's tables, for a world another process attaches to them. */
  get tablePrefix(): string {
    return this.tables.prefix;
  }

  /** A sweeper; by default its clock runs an hour ahead, so every deadline and age threshold has passed. */
  recovery(options: Partial<Omit<LocalRecoveryOptions, 'dynamo'>> = {}): LocalRecovery {
    return new LocalRecovery(this.pakka, {
      dynamo: this.dynamo,
      now: () => Date.now() + HOUR_MS,
      ...(this.options.faultsReachRecovery !== false ? { invoke: this.injector.wrap((name, payload) => this.direct(name, payload)) } : {}),
      ...(this.options.recovery ? { config: this.options.recovery } : {}),
      ...options,
    });
  }

  /** Calls a participant's handler directly, past every fault (what an outside actor would do). */
  direct(name: string, payload: unknown): Promise<unknown> {
    const handler = this.pakka.participants.get(name);
    if (!handler) throw new Error(`no participant ${name}`);
    return handler(payload);
  }

  /** Credits each account through a committed transaction (no faults are armed for fund- ids). */
  async fund(accounts: ReadonlyArray<Account & { balance: number }>): Promise<void> {
    for (const ledger of LEDGERS) {
      const mine = accounts.filter((a) => a.participant === ledger);
      if (!mine.length) continue;
      // Worlds with a one-second prepare timeout (the fault tests) can time a prepare out on a loaded
      // machine; an aborted funding changed nothing, so it is simply run again under a new txnId.
      let result: Awaited<ReturnType<LocalPakka['runTransaction']>> | undefined;
      for (let attempt = 0; attempt < 3; attempt++) {
        result = await this.pakka.runTransaction({
          txnId: `fund-${randomUUID()}`,
          participants: [{ name: ledger, operations: mine.map((a) => ({ op: 'credit', key: a.key, amount: a.balance })) }],
        });
        if (!(result.ok && result.value.status === 'ABORTED' && result.value.reason === 'TIMEOUT')) break;
      }
      if (!result?.ok || result.value.status !== 'COMMITTED') throw new Error(`funding failed: ${JSON.stringify(result)}`);
      this.funded += mine.reduce((n, a) => n + a.balance, 0);
    }
  }

  /** Starts a transfer without waiting for it. */
  start(txnId: string, transfer: Transfer, timeoutSeconds = 30): StartedTransaction {
    const validated = this.pakka.validate(transferRequest(txnId, transfer, timeoutSeconds));
    if (!validated.ok) throw new Error(`invalid transfer: ${JSON.stringify(validated.error)}`);
    const started = this.pakka.start(validated.value);
    this.started.push(started);
    return started;
  }

  /** Records a submitted payment, as the world that checks the invariants must know it (another process may submit it). */
  expect(txnId: string, payment: Payment): void {
    this.submitted.add(txnId);
    if (isOutsideMove(payment)) this.outsideMoves.set(txnId, payment);
  }

  /**
   * Submits a payment as the API does: the txnId's claim first, then the start. Another payment
   * under a claimed txnId is refused (`conflict`) and changes nothing.
   */
  async submit(txnId: string, payment: Payment, timeoutSeconds = 30): Promise<'started' | 'conflict' | 'same'> {
    const validated = this.pakka.validate(paymentRequest(txnId, payment, timeoutSeconds));
    if (!validated.ok) throw new Error(`invalid payment: ${JSON.stringify(validated.error)}`);
    this.expect(txnId, payment);
    const started = await this.pakka.submit(validated.value);
    if (!('done' in started)) return started.kind === 'conflict' ? 'conflict' : 'same';
    this.started.push(started);
    await started.done;
    return 'started';
  }

  /** Waits for every execution and every participant call (late and duplicate deliveries too). */
  async settle(): Promise<void> {
    await Promise.all(this.started.map((s) => s.done));
    await this.injector.settled();
  }

  /** The log item as the API shows it: its status derived from the participants' records. */
  async logItem(txnId: string): Promise<CoordinatorLogItem | undefined> {
    return this.pakka.readLogItem(txnId);
  }

  /** The log item as stored (written once, at the decision; recovery may write it again). */
  async storedLogItem(txnId: string): Promise<CoordinatorLogItem | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.pakka.tables.coordinatorLog, Key: { txnId }, ConsistentRead: true }));
    return out.Item ? parseCoordinatorLogItem(out.Item) : undefined;
  }

  async recordState(participant: string, txnId: string): Promise<string | undefined> {
    const table = this.pakka.tables.participants.get(participant);
    const out = await this.doc.send(new GetCommand({ TableName: table, Key: { pk: `TXN#${txnId}` }, ConsistentRead: true }));
    return out.Item?.state as string | undefined;
  }

  async balance(account: Account): Promise<number | undefined> {
    const table = this.pakka.tables.participants.get(account.participant);
    const out = await this.doc.send(new GetCommand({ TableName: table, Key: { pk: `ITEM#${account.key}` }, ConsistentRead: true }));
    return out.Item?.balance as number | undefined;
  }

  /** Every item of every participant table (a test may scan; recovery never does). */
  async scanParticipants(): Promise<Array<{ participant: string; item: Record<string, unknown> }>> {
    const all: Array<{ participant: string; item: Record<string, unknown> }> = [];
    for (const [participant, table] of this.pakka.tables.participants) {
      let start: Record<string, unknown> | undefined;
      do {
        const out = await this.doc.send(new ScanCommand({ TableName: table, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
        for (const item of out.Items ?? []) all.push({ participant, item });
        start = out.LastEvaluatedKey;
      } while (start);
    }
    return all;
  }

  /** Every log item, its status derived from the participants' records as the API does, with whether it still sits in the open index. */
  async scanLog(participantItems?: Array<{ participant: string; item: Record<string, unknown> }>): Promise<Array<CoordinatorLogItem & { open: boolean }>> {
    const records = new Map<string, Map<string, ParticipantRecordFacts>>();
    for (const { participant, item } of participantItems ?? (await this.scanParticipants())) {
      if (!String(item.pk).startsWith('TXN#')) continue;
      const txnId = String(item.txnId);
      records.set(txnId, (records.get(txnId) ?? new Map()).set(participant, storedRecord(item)));
    }
    const items: Array<CoordinatorLogItem & { open: boolean }> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new ScanCommand({ TableName: this.pakka.tables.coordinatorLog, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }),
      );
      for (const item of out.Items ?? []) {
        const parsed = parseCoordinatorLogItem(item);
        items.push({ ...withDerivedStatus(parsed, records.get(parsed.txnId) ?? new Map()), open: item.openPartition !== undefined });
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /**
   * I1-I5 over the whole world, as a list of violations (empty when all hold).
   * I1 atomicity, I2 one decision write per transaction, I3 COMMIT only after yes votes the
   * coordinator received, I4 conservation and no negative balance, I5 everything final and unlocked.
   */
  async invariantViolations(): Promise<string[]> {
    const problems: string[] = [];
    const items = await this.scanParticipants();
    const log = await this.scanLog(items);
    const decisions = new Map(log.map((l) => [l.txnId, l]));
    const records = items.filter(({ item }) => String(item.pk).startsWith('TXN#'));
    const accounts = items.filter(({ item }) => String(item.pk).startsWith('ITEM#'));

    // I1: every participant's record agrees with the logged decision, and with each other.
    const statesByTxn = new Map<string, Array<{ participant: string; state: string }>>();
    for (const { participant, item } of records) {
      const txnId = String(item.txnId);
      statesByTxn.set(txnId, [...(statesByTxn.get(txnId) ?? []), { participant, state: String(item.state) }]);
    }
    for (const [txnId, states] of statesByTxn) {
      const committed = states.filter((s) => s.state === 'COMMITTED');
      const aborted = states.filter((s) => s.state === 'ABORTED');
      if (committed.length && aborted.length)
        problems.push(`I1 ${txnId}: COMMITTED at ${committed.map((s) => s.participant)} and ABORTED at ${aborted.map((s) => s.participant)}`);
      const decision = decisions.get(txnId)?.decision;
      if (committed.length && decision !== 'COMMIT')
        problems.push(`I1 ${txnId}: COMMITTED at ${committed.map((s) => s.participant)} but the log says ${decision ?? 'nothing'}`);
    }
    for (const l of log) {
      if (l.decision !== 'COMMIT') continue;
      for (const p of l.participantsJson) {
        const state = statesByTxn.get(l.txnId)?.find((s) => s.participant === p.name)?.state;
        if (state !== 'COMMITTED') problems.push(`I1 ${l.txnId}: logged COMMIT but ${p.name} holds ${state ?? 'no record'}`);
      }
    }

    // I2: the decision is written once, and the log holds what was written.
    const writes = new Map<string, string[]>();
    for (const w of this.decisionWrites) writes.set(w.txnId, [...(writes.get(w.txnId) ?? []), w.decision]);
    for (const [txnId, written] of writes) {
      if (written.length > 1) problems.push(`I2 ${txnId}: decision written ${written.length} times (${written.join(', ')})`);
      const logged = decisions.get(txnId)?.decision;
      if (logged !== written[0]) problems.push(`I2 ${txnId}: wrote ${written[0]} but the log holds ${logged ?? 'nothing'}`);
    }
    for (const l of log) if (l.decision && !writes.has(l.txnId)) problems.push(`I2 ${l.txnId}: a decision nobody was seen writing`);

    // I3: COMMIT only if every participant answered the coordinator VOTE_COMMIT or READ_ONLY.
    for (const l of log) {
      if (l.decision !== 'COMMIT') continue;
      const oneParticipant = isOnePhaseRequest(l);
      for (const p of l.participantsJson) {
        const yes = this.injector.deliveries.some(
          (d) =>
            d.txnId === l.txnId &&
            d.participant === p.name &&
            (((d.action === 'prepare' || d.action === 'commitOnePhase') &&
              ['VOTE_COMMIT', 'READ_ONLY'].includes(String((d.answer as { vote?: unknown })?.vote))) ||
              // A one-phase commit's yes may reach the coordinator only as the answer to the abort that asked for its
              // outcome (the process that sent commitOnePhase died before the answer): the participant's own word that
              // it voted yes and committed in that same write.
              (oneParticipant && d.action === 'abort' && d.error?.startsWith(`${PAKKA_ERROR.committedInOnePhase}:`) === true)),
        );
        if (!yes) problems.push(`I3 ${l.txnId}: COMMIT but ${p.name} never answered a yes vote`);
      }
    }

    // I4: conservation and no negative balance.
    let sum = 0;
    for (const { participant, item } of accounts) {
      const balance = Number(item.balance ?? 0);
      if (!Number.isInteger(balance) || balance < 0) problems.push(`I4 ${participant}/${String(item.pk)}: balance ${String(item.balance)}`);
      sum += balance;
    }
    // Money moved in or out counts where its participant's record says it committed (I1 checks that record against the log).
    let moved = 0;
    for (const [txnId, move] of this.outsideMoves) {
      if (statesByTxn.get(txnId)?.find((s) => s.participant === move.account.participant)?.state === 'COMMITTED') moved += signedAmount(move);
    }
    if (sum !== this.funded + moved)
      problems.push(
        `I4 the balances sum to ${sum}, not the ${this.funded} funded ${moved < 0 ? '-' : '+'} ${Math.abs(moved)} moved in or out by committed deposits and withdrawals`,
      );
    // I4 for escrow: the sums never go negative, and when quiet nothing is reserved or promised and
    // the stored sums agree with the balance again.
    for (const { participant, item } of accounts) {
      const where = `${participant}/${String(item.pk)}`;
      for (const sumName of ['available', 'reserved', 'incoming', 'headroom'] as const) {
        const value = item[sumName];
        if (value !== undefined && (typeof value !== 'number' || value < 0)) problems.push(`I4 ${where}: ${sumName} ${String(value)}`);
      }
      if (item.available === undefined) continue; // no account: an item holding only hold-in-the-item entries
      const balance = Number(item.balance ?? 0);
      if (item.reserved !== 0 || item.incoming !== 0)
        problems.push(`I5 ${where}: reserved ${String(item.reserved)}, incoming ${String(item.incoming)} when quiet`);
      if (item.available !== balance || item.headroom !== this.capacityOf(participant, String(item.pk)) - balance)
        problems.push(`I4 ${where}: available ${String(item.available)} / headroom ${String(item.headroom)} disagree with balance ${balance}`);
    }

    // I5: every transaction final, nothing locked, nothing PREPARED. A submitted one is claimed, so it is in the log from its start.
    for (const txnId of this.submitted) if (!decisions.has(txnId)) problems.push(`I5 ${txnId}: submitted but not in the log`);
    for (const l of log)
      if (!FINAL_STATUSES.includes(l.status) || l.open) problems.push(`I5 ${l.txnId}: ${l.status}${l.open ? ', still in the open index' : ''}`);
    for (const { participant, item } of accounts)
      if (item.lockedBy !== undefined) problems.push(`I5 ${participant}/${String(item.pk)}: locked by ${String(item.lockedBy)}`);
    // A one-phase claim (claim first) left PREPARED is named as such: recovery must have resolved it (fence, then final).
    for (const { participant, item } of records)
      if (item.state === 'PREPARED')
        problems.push(`I5 ${participant}: ${String(item.txnId)} still PREPARED${item.onePhase === true ? ' (a one-phase claim nobody resolved)' : ''}`);
    // A hold that lives in its item: no entry still prepared. The item may stay in the heldItems index (it
    // leaves lazily, once recovery finds it idle), which lists a superset of the held items, never fewer.
    for (const { participant, item } of accounts) {
      const where = `${participant}/${String(item.pk)}`;
      for (const [txnId, entry] of Object.entries((item.intents ?? {}) as Record<string, { s?: unknown }>))
        if (entry.s === 'P') problems.push(`I5 ${where}: ${txnId} still prepared in the item`);
      if (item.prepared !== undefined && item.prepared !== 0) problems.push(`I5 ${where}: prepared ${String(item.prepared)} when quiet`);
      if (Object.values((item.intents ?? {}) as Record<string, { s?: unknown }>).some((entry) => entry.s === 'P') && item.heldShard === undefined)
        problems.push(`I5 ${where}: holds a prepared entry but is not in the heldItems index`);
    }
    return problems;
  }

  /** Closes the world (its client refuses every later request) and gives its tables back to the pool. */
  async destroy(): Promise<void> {
    await this.tables.release(this.dynamo);
    this.dynamo.destroy();
  }
}
