/**
 * Recovery's view of a SQL participant: its in-doubt transactions are the database's own prepared
 * transactions (`pg_prepared_xacts`, `XA RECOVER`), read through the same port as the DynamoDB
 * participants' in-doubt indexes, so the same sweep resolves them by the coordinator log's decision
 * (presumed abort when there is none) and the same age alarm watches the oldest.
 */
import type { InDoubtPort, PreparedRecordRef } from './ports.js';
import type { PreparedTransaction, SqlEngine } from '../participants/sql/engine.js';

/** When nothing says when a transaction was prepared, recovery treats it as old: the decision is write-once, so acting early is safe. */
const sinceOf = (prepared: PreparedTransaction) => (prepared.preparedAt ?? new Date(0)).toISOString();

export function sqlInDoubt(engine: SqlEngine, participant: string): InDoubtPort {
  async function list(): Promise<PreparedRecordRef[]> {
    const session = await engine.connect();
    try {
      const prepared = await engine.listPrepared(session, participant);
      return prepared.map((p) => ({ participant, txnId: p.txnId, inDoubtSince: sinceOf(p) })).sort((a, b) => a.inDoubtSince.localeCompare(b.inDoubtSince));
    } finally {
      await session.close().catch(() => undefined);
    }
  }
  return {
    participants: [participant],
    async preparedBefore(before, limit) {
      const held = await list();
      const refs = held.filter((ref) => ref.inDoubtSince <= before).slice(0, limit);
      return held[0] ? { refs, oldestSince: held[0].inDoubtSince } : { refs };
    },
    async heldFrom(from, limit) {
      const held = (await list()).filter((ref) => from === undefined || ref.inDoubtSince >= from);
      return { refs: held.slice(0, limit), exhausted: held.length <= limit };
    },
  };
}
