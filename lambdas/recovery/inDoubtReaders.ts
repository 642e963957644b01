/**
 * Where every participant's prepared transactions are read, as one InDoubtPort: the sparse `inDoubt`
 * index of each participant table Pakka writes, and, for each participant that keeps its prepared
 * state in its own store (a SQL participant), the participant's own answer to `inDoubt`. Recovery, the
 * API's stuck listings and local mode all read through this, so they cannot see different things.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HeldItemsTidy } from './heldItemsTidy.js';
import { type InDoubtProbe, inDoubtIndex } from './inDoubtIndex.js';
import { type AskInDoubt, participantInDoubt } from './participantInDoubt.js';
import type { InDoubtPort } from './ports.js';
import { type SourceFailure, inDoubtSources } from './inDoubtSources.js';

export interface InDoubtReadersOptions {
  client: DynamoDBDocumentClient;
  /** Participant name -> its table. */
  tables: ReadonlyMap<string, string>;
  /** Participants asked instead of read: their tables hold no PREPARED records, so their indexes are not queried. */
  askedParticipants: readonly string[];
  ask: AskInDoubt;
  /** A source that cannot be read (a database that is down) is left out of this read and reported here. */
  onFailure?: SourceFailure;
  /** The sweeper's probe of an index before its shards (indexProbe.ts); the listings read without one. */
  holdsAny?: InDoubtProbe;
  /** The sweeper's tidy of `heldItems` (heldItemsTidy.ts); the listings, which write nothing, give none. */
  tidy?: HeldItemsTidy;
}

export function inDoubtReaders(options: InDoubtReadersOptions): InDoubtPort {
  const asked = new Set(options.askedParticipants);
  const indexed = new Map([...options.tables].filter(([name]) => !asked.has(name)));
  return inDoubtSources(
    [inDoubtIndex(options.client, indexed, options.holdsAny, options.tidy), ...[...asked].map((name) => participantInDoubt(options.ask, name))],
    options.onFailure,
  );
}
