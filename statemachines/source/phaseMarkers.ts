/**
 * The literals a phase's Map passes to each iteration that name the phase: PrepareAll's `phase`,
 * CommitAll's and AbortAll's `action`. The console reads them in the generated ASL to tell which
 * phase a Map runs (and the timeline names its phases the same), so the generator writes them and
 * the console matches them from this one place. No imports: the console bundles it.
 */
export const PHASE_MARKERS = { prepare: 'prepare', commit: 'commit', abort: 'abort' } as const;
export type PhaseMarker = (typeof PHASE_MARKERS)[keyof typeof PHASE_MARKERS];
