/**
 * The SQL participant: answers the participant protocol for a team's operations written as SQL, with
 * the database's own two-phase commit as the prepared state. The rules of each action are the pure ones
 * every Pakka participant follows (../../protocol/participantState.ts); this file is the SQL edge.
 *
 * What holds the state:
 * - PREPARED is a prepared transaction of the database, under a global id carrying the txnId and the
 *   operations' digest (./globalId.ts): it holds the row locks and the work until the decision.
 * - COMMITTED is a row of the participant's record table, inserted inside that same transaction, so it
 *   appears exactly when the work does (at COMMIT PREPARED, or at once for a one-phase commit).
 * - ABORTED is a tombstone row, written after the rollback, by a no, or by an abort that found nothing.
 * The record row's key (participant, txnId) is also the mutex between deliveries: a prepare that is open
 * or prepared holds it, so a null abort cannot slip a tombstone under it (it waits briefly, then retries),
 * and a prepare after a tombstone fails on the duplicate key and votes no (anti-hanging).
 */
import type { InDoubtAnswer, InDoubtRequest, ParticipantAnswer, PhaseTwoAnswer, PrepareAnswer, StatusAnswer } from '../../contract/participantProtocol.js';
import { inDoubtPage } from '../inDoubtPage.js';
import {
  CommittedInOnePhase,
  ONE_PHASE_COMMITTED,
  ProtocolViolation,
  type RecordFacts,
  TransientFailure,
  onAbort,
  onCommit,
  onRepeatedPrepare,
} from '../../protocol/participantState.js';
import { type AbortReason, isAbortReason, participantAbortReasonProblem } from '../../protocol/vote.js';
import { dispatchParticipantRequest } from '../dispatch.js';
import { type ValidatedOperations, validatedOperations } from '../operations.js';
import type { SqlParticipantDefinition } from './definition.js';
import { RECORD_TABLE, type PreparedTransaction, type SqlEngine, type SqlSession } from './engine.js';
import { type PreparedId, sameDigest } from './globalId.js';

export interface SqlParticipantOptions<Op extends { op: string; key: string }> {
  /** The participant's name in the config, used in answers, errors and the global id. */
  name: string;
  definition: SqlParticipantDefinition<Op>;
  engine: SqlEngine;
}

export type SqlParticipantHandler = (event: unknown) => Promise<ParticipantAnswer>;

type Operations<Op> = ValidatedOperations<Op>;

/** What the database holds for one txnId: a prepared transaction, a record row, or neither. */
interface Found {
  prepared: PreparedTransaction | undefined;
  facts: RecordFacts | undefined;
}

/** How often an action looks again when another delivery moved the state under its feet. */
const RACE_ATTEMPTS = 4;

export function sqlParticipant<Op extends { op: string; key: string }>(options: SqlParticipantOptions<Op>): SqlParticipantHandler {
  const { name, definition, engine } = options;
  const p = engine.placeholder;

  const validated = (raw: readonly unknown[], field: string): Operations<Op> => validatedOperations(definition.operation, raw, field);

  /** A failure of the database itself (not of the protocol) worth retrying is Pakka.Transient. */
  const transientIfRetryable = (error: unknown): unknown => {
    const failure = engine.classify(error);
    if (failure === 'connection' || failure === 'lockConflict') return new TransientFailure(`${name}: ${(error as Error).message}`, { cause: error });
    return error;
  };

  async function withSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    let session: SqlSession;
    try {
      session = await engine.connect();
    } catch (error) {
      throw new TransientFailure(`${name}: cannot reach the database: ${(error as Error).message}`, { cause: error });
    }
    try {
      return await work(session);
    } catch (error) {
      throw transientIfRetryable(error);
    } finally {
      await session.close().catch(() => undefined);
    }
  }

  async function look(session: SqlSession, txnId: string): Promise<Found> {
    // The prepared list first: a prepared transaction that commits between the two reads then shows as its row.
    const [prepared] = await engine.listPrepared(session, name, txnId);
    if (prepared) return { prepared, facts: { state: 'PREPARED', digest: prepared.digest } };
    const { rows } = await session.query(`SELECT state, digest, vote_reason, one_phase FROM ${RECORD_TABLE} WHERE participant = ${p(1)} AND txn_id = ${p(2)}`, [
      name,
      txnId,
    ]);
    const row = rows[0];
    if (!row) return { prepared: undefined, facts: undefined };
    const state = row.state === 'COMMITTED' ? 'COMMITTED' : 'ABORTED';
    return {
      prepared: undefined,
      facts: {
        state,
        ...(typeof row.digest === 'string' && row.digest !== '' ? { digest: row.digest } : {}),
        ...(isAbortReason(row.vote_reason) ? { voteReason: row.vote_reason } : {}),
        ...(row.one_phase === true || row.one_phase === 1 ? { onePhase: true } : {}),
      },
    };
  }

  /** The offered digest as the pure rules should compare it: an XID keeps only a prefix of the stored one. */
  const comparable = (offered: string | undefined, facts: RecordFacts | undefined) =>
    offered !== undefined && facts?.digest !== undefined && sameDigest(facts.digest, offered) ? facts.digest : offered;

  const violation = (code: ProtocolViolation['code'], txnId: string): never => {
    throw new ProtocolViolation(code, txnId, name);
  };

  const insertRecord = (
    session: SqlSession,
    txnId: string,
    state: 'COMMITTED' | 'ABORTED',
    digest: string | undefined,
    extra: { voteReason?: AbortReason; onePhase?: boolean } = {},
  ) =>
    session.query(
      `INSERT INTO ${RECORD_TABLE} (participant, txn_id, state, digest, vote_reason, one_phase) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)})`,
      [name, txnId, state, digest ?? null, extra.voteReason ?? null, extra.onePhase ?? false],
    );

  /** A tombstone; false when another delivery's row (or an open prepare holding its key) was there first. */
  async function tombstone(session: SqlSession, txnId: string, digest: string | undefined, voteReason?: AbortReason): Promise<boolean> {
    try {
      await insertRecord(session, txnId, 'ABORTED', digest, voteReason ? { voteReason } : {});
      return true;
    } catch (error) {
      const failure = engine.classify(error);
      if (failure === 'duplicateKey' || failure === 'lockConflict') return false;
      throw error;
    }
  }

  const vote = (txnId: string, answer: Pick<PrepareAnswer, 'vote' | 'reason' | 'committed'>): PrepareAnswer => ({ participant: name, txnId, ...answer });

  /** What a prepare (or one-phase commit) answers when the txnId already has a state here. */
  const repeatedVote = (txnId: string, facts: RecordFacts, digest: string): PrepareAnswer => {
    const repeat = onRepeatedPrepare(facts, comparable(digest, facts) ?? digest);
    if ('violation' in repeat) return violation(repeat.violation, txnId);
    return vote(txnId, repeat);
  };

  type Attempt = { kind: 'answer'; answer: PrepareAnswer } | { kind: 'lookAgain' };

  /** One try at the participant's transaction: the record row first (the mutex), then the team's statements. */
  async function tryPrepare(session: SqlSession, txnId: string, ops: Operations<Op>, onePhase: boolean): Promise<Attempt> {
    const id: PreparedId = { txnId, digest: ops.digest, begunAt: new Date() };
    await engine.begin(session, name, id);
    let open = true;
    const rollback = async () => {
      if (open) await engine.rollbackOpen(session, name, id);
      open = false;
    };
    try {
      try {
        await insertRecord(session, txnId, 'COMMITTED', ops.digest, { onePhase });
      } catch (error) {
        const failure = engine.classify(error);
        // Another delivery holds or wrote this txnId's row: look at what it left.
        if (failure === 'duplicateKey' || failure === 'lockConflict') {
          await rollback();
          return { kind: 'lookAgain' };
        }
        throw error;
      }
      for (const operation of ops.operations) {
        for (const statement of definition.statements(operation)) {
          let changed: number;
          try {
            changed = (await session.query(statement.sql, statement.values)).rowCount;
          } catch (error) {
            if (engine.classify(error) !== 'lockConflict') throw error;
            // Another transaction (most often a prepared one) holds the row: nothing waits on a lock.
            await rollback();
            return { kind: 'answer', answer: vote(txnId, { vote: 'VOTE_ABORT', reason: 'LOCK_CONFLICT' }) };
          }
          if (statement.noRows && changed === 0) {
            await rollback();
            // A team's own reason is welcome (contract 1.3); a malformed one is the definition's bug, refused before it is recorded.
            const problem = participantAbortReasonProblem(statement.noRows);
            if (problem) throw new Error(`participant ${name}: noRows: ${problem}`);
            // The no is recorded, so a repeat answers the same and a late prepare cannot hold anything.
            if (!(await tombstone(session, txnId, ops.digest, statement.noRows))) return { kind: 'lookAgain' };
            return { kind: 'answer', answer: vote(txnId, { vote: 'VOTE_ABORT', reason: statement.noRows }) };
          }
        }
      }
      if (onePhase) await engine.commitOpen(session, name, id);
      else await engine.prepare(session, name, id);
      open = false;
      return {
        kind: 'answer',
        answer: vote(txnId, onePhase ? { vote: 'VOTE_COMMIT', reason: null, committed: ONE_PHASE_COMMITTED } : { vote: 'VOTE_COMMIT', reason: null }),
      };
    } catch (error) {
      await rollback().catch(() => undefined);
      throw error;
    }
  }

  function prepare(txnId: string, ops: Operations<Op>, onePhase: boolean): Promise<PrepareAnswer> {
    return withSession(async (session) => {
      for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
        const found = await look(session, txnId);
        if (found.facts) return repeatedVote(txnId, found.facts, ops.digest);
        const result = await tryPrepare(session, txnId, ops, onePhase);
        if (result.kind === 'answer') return result.answer;
      }
      throw new TransientFailure(`${name}: another delivery of ${txnId} is still preparing; retry`);
    });
  }

  const phaseTwo = (txnId: string, outcome: PhaseTwoAnswer['outcome'], repeated: boolean): PhaseTwoAnswer => ({ participant: name, txnId, outcome, repeated });

  function commit(txnId: string, raw: readonly Record<string, unknown>[] | undefined): Promise<PhaseTwoAnswer> {
    const digest = raw ? validated(raw, 'operations').digest : undefined;
    return withSession(async (session) => {
      for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
        const found = await look(session, txnId);
        const step = onCommit(found.facts, comparable(digest, found.facts), false);
        switch (step.kind) {
          case 'apply':
            if (!found.prepared) break;
            try {
              await engine.commitPrepared(session, name, found.prepared);
              return phaseTwo(txnId, 'COMMITTED', false);
            } catch (error) {
              if (engine.classify(error) !== 'unknownPrepared') throw error;
              continue; // another delivery finished it: its row says how
            }
          case 'repeat':
            return phaseTwo(txnId, 'COMMITTED', true);
          case 'violation':
            return violation(step.code, txnId);
          default:
            return violation('COMMIT_WITHOUT_PREPARE', txnId);
        }
      }
      throw new TransientFailure(`${name}: the state of ${txnId} kept moving; retry`);
    });
  }

  function abort(txnId: string, raw: readonly Record<string, unknown>[] | undefined): Promise<PhaseTwoAnswer> {
    const digest = raw ? validated(raw, 'operations').digest : undefined;
    return withSession(async (session) => {
      for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
        const found = await look(session, txnId);
        const step = onAbort(found.facts, comparable(digest, found.facts));
        switch (step.kind) {
          case 'apply': {
            if (!found.prepared) break;
            try {
              await engine.rollbackPrepared(session, name, found.prepared);
            } catch (error) {
              if (engine.classify(error) !== 'unknownPrepared') throw error;
              continue;
            }
            // The rollback released the row key; the tombstone keeps a late prepare out. If this delivery
            // dies in between, the abort's retry (or recovery) finds nothing and writes it then.
            await tombstone(session, txnId, found.prepared.digest);
            return phaseTwo(txnId, 'ABORTED', false);
          }
          case 'repeat':
            return phaseTwo(txnId, 'ABORTED', true);
          case 'nullAbort':
            if (await tombstone(session, txnId, digest)) return phaseTwo(txnId, 'ABORTED', false);
            continue; // a prepare holds the key or wrote its row: look again
          case 'committedInOnePhase':
            throw new CommittedInOnePhase(txnId, name);
          case 'violation':
            return violation(step.code, txnId);
          default:
            break;
        }
      }
      throw new TransientFailure(`${name}: another delivery of ${txnId} is still preparing; retry`);
    });
  }

  function status(txnId: string): Promise<StatusAnswer> {
    return withSession(async (session) => {
      const found = await look(session, txnId);
      const voteReason = found.facts?.voteReason ?? null;
      return {
        participant: name,
        txnId,
        state: found.facts?.state ?? 'UNKNOWN',
        // The prepared transaction's rows are the database's own business: it holds their locks, not Pakka.
        lockedKeys: [],
        voteReason,
        preparedAt: found.prepared?.preparedAt?.toISOString() ?? null,
      };
    });
  }

  /** Recovery's question (contract 1.3): the database's own list of this participant's prepared transactions. */
  function inDoubt(request: InDoubtRequest): Promise<InDoubtAnswer> {
    return withSession(async (session) => inDoubtPage(name, await engine.listPrepared(session, name), request));
  }

  return dispatchParticipantRequest<Operations<Op>>({
    operations: validated,
    inDoubt,
    prepare: (txnId, ops) => prepare(txnId, ops, false),
    commitOnePhase: (txnId, ops) => prepare(txnId, ops, true),
    commit,
    abort,
    status,
  });
}

/** Creates the participant's record table and checks the database can prepare; call it at start-up (or in a migration). */
export async function ensureSqlParticipantReady(engine: SqlEngine): Promise<void> {
  const session = await engine.connect();
  try {
    await engine.checkReady(session);
    await session.query(engine.recordTableDdl);
  } finally {
    await session.close().catch(() => undefined);
  }
}
