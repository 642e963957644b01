/**
 * The conformance fixture's plumbing for a participant of a kind (Pakka's or a team's `defineKind`),
 * taken from its entry in the participant config as local mode runs it: its handler, its table, and
 * its items read by Pakka's own key format, so a team writes only its cases (`yes`, `no`, ...).
 */
import { randomUUID } from 'node:crypto';
import type { LocalPakka } from '../local/pakka.js';
import type { AnyParticipantHandler, Operations } from './conformance.js';
import { itemSnapshot } from './itemSnapshot.js';

export interface KindParticipantUnderTest {
  /** The participant's name, as it answers it. */
  participant: string;
  /** Its prepared-state table as local mode named it. */
  tableName: string;
  handler(): AnyParticipantHandler;
  /** The items the operations name (by their `key`), without the attributes that name a transaction. */
  snapshot(operations: Operations): Promise<unknown[]>;
  /** Committed state made through the protocol itself (prepare, then commit), as a real participant gets it. */
  seed(operations: Operations): Promise<void>;
}

/** `participant`: its name in `pakka`'s config; call after `pakka.createTables()` has been started. */
export function kindParticipantUnderTest(pakka: LocalPakka, participant: string): KindParticipantUnderTest {
  const spec = pakka.config.get(participant);
  if (!spec) throw new Error(`participant ${participant} is not in the config; it has ${[...pakka.config.keys()].join(', ')}`);
  const handler = pakka.participants.get(participant);
  const tableName = pakka.tables.participants.get(participant);
  if (!handler || !tableName) throw new Error(`participant ${participant} has no handler or table in this LocalPakka`);
  if (spec.shardedKeys.size > 0)
    throw new Error(`participant ${participant}: its sharded keys are not read as one item here; test a config without shardedKeys`);
  return {
    participant,
    tableName,
    handler: () => handler,
    snapshot: (operations) => itemSnapshot(pakka.client, tableName, operations),
    async seed(operations) {
      const txnId = `seed-${randomUUID()}`;
      const vote = (await handler({ action: 'prepare', txnId, operations })) as { vote?: string };
      if (vote.vote !== 'VOTE_COMMIT') throw new Error(`seeding ${participant} was refused: ${JSON.stringify(vote)}`);
      await handler({ action: 'commit', txnId, operations });
    },
  };
}
