/**
 * Several places where participants keep prepared state, read as one: the DynamoDB participants'
 * in-doubt indexes and each SQL participant's list of prepared transactions. Oldest first, as every
 * source is, so the sweep's limit takes the oldest in doubt wherever they are. A source that cannot be
 * read (its database is down) is reported and left out of this sweep: the others are still recovered.
 */
import type { InDoubtPort } from './ports.js';
import { mergeOldestFirst, mergedReads } from './sortedStreams.js';

export type SourceFailure = (source: number, error: unknown) => void;

export function inDoubtSources(sources: readonly InDoubtPort[], onFailure: SourceFailure = () => {}): InDoubtPort {
  if (sources.length === 1 && sources[0]) return sources[0];
  const each = <T>(read: (source: InDoubtPort) => Promise<T>): Promise<Array<T | undefined>> =>
    Promise.all(
      sources.map(async (source, i) => {
        try {
          return await read(source);
        } catch (error) {
          onFailure(i, error);
          return undefined;
        }
      }),
    );
  return {
    participants: sources.flatMap((s) => s.participants ?? []),
    async preparedBefore(before, limit) {
      const reads = await each((s) => s.preparedBefore(before, limit));
      return mergedReads(
        reads.filter((r) => r !== undefined),
        limit,
      );
    },
    async heldFrom(from, limit) {
      const pages = await each((s) => s.heldFrom(from, limit));
      // A source left out is treated as read to its end: the page says nothing of what it holds.
      const merged = mergeOldestFirst(
        pages.map((page) => ({ entries: page?.refs ?? [], full: page ? !page.exhausted : false })),
        (ref) => ref.inDoubtSince,
        (a, b) => a.txnId.localeCompare(b.txnId) || a.participant.localeCompare(b.participant),
      );
      return { refs: merged.entries, exhausted: merged.exhausted };
    },
  };
}
