/**
 * Every metric Pakka emits, in one place: CloudWatch (namespace `Pakka`, embedded metric format)
 * uses these names as they are; the local Prometheus endpoint derives its names, labels and HELP
 * lines from them (prometheusNames.ts), so dashboards, alarms, `pakka top` and the console all
 * speak of the same things.
 */
export const METRIC_NAMESPACE = 'Pakka';

/**
 * The one `service` dimension every CloudWatch data point carries (Powertools always adds one). A
 * single value for all functions keeps each metric's identity to the dimensions documented below,
 * plus this, so the dashboard and alarms need not know which function emitted a point.
 */
export const METRIC_SERVICE = 'pakka';

export const METRICS = {
  transactionsStarted: 'TransactionsStarted',
  transactionsCommitted: 'TransactionsCommitted',
  /** Dimension Reason: a vote reason, TIMEOUT or ERROR. */
  transactionsAborted: 'TransactionsAborted',
  /** Dimension Participant. */
  prepareLatency: 'PrepareLatency',
  /** The whole prepare phase, as the coordinator saw it: begin to the logged decision. */
  preparePhaseLatency: 'PreparePhaseLatency',
  decisionLatency: 'DecisionLatency',
  commitLatency: 'CommitLatency',
  abortLatency: 'AbortLatency',
  endToEndLatency: 'EndToEndLatency',
  /** Dimensions Participant, Vote (and Reason for VOTE_ABORT). */
  votes: 'Votes',
  /**
   * Dimension Participant: prepares whose no the function raised as a Lambda error
   * (Pakka.VoteAbort.<REASON>), whatever the reason, so the failure-rate alarm subtracts one metric
   * and not one per reason (CloudWatch allows 10 metrics in an alarm).
   */
  raisedNoes: 'RaisedNoes',
  /** Dimensions Participant, Action: a participant call that failed (and will be retried by the coordinator). */
  participantErrors: 'ParticipantErrors',
  /** Dimensions Participant, Action. */
  participantCalls: 'ParticipantCalls',
  /** Dimension Participant, Action: participant work time per call. */
  participantLatency: 'ParticipantLatency',
  /** Phase-2 deliveries that found the work already done: retries reaching an idempotent participant. */
  retries: 'Retries',
  inDoubtFound: 'InDoubtFound',
  inDoubtResolved: 'InDoubtResolved',
  oldestInDoubtAgeSeconds: 'OldestInDoubtAgeSeconds',
  heuristicHazards: 'HeuristicHazards',
  /** Dimensions Participant, Code. */
  protocolViolations: 'ProtocolViolations',
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];
export type Dimensions = Readonly<Record<string, string>>;

/**
 * What each metric is, beside its name: how it is recorded (`count`, `timing` in milliseconds, or
 * `gauge`), the dimensions it may carry, the unit of the recorded value, and one sentence of help.
 * CloudWatch takes the name and dimensions as they are; the Prometheus exposition derives its name,
 * labels, HELP line and unit from this (see prometheusNames.ts), so the two cannot drift apart.
 */
export interface MetricDefinition {
  kind: 'counter' | 'gauge' | 'timing';
  /** The unit of the value a recorder is given: timings are milliseconds. */
  unit: 'count' | 'milliseconds' | 'seconds';
  /** Every dimension a data point may carry (some only on some points, e.g. Reason on Votes). */
  dimensions: readonly string[];
  help: string;
}

export const METRIC_DEFINITIONS: { readonly [N in MetricName]: MetricDefinition } = {
  TransactionsStarted: { kind: 'counter', unit: 'count', dimensions: [], help: 'Transactions begun.' },
  TransactionsCommitted: { kind: 'counter', unit: 'count', dimensions: [], help: 'Transactions that became COMMITTED.' },
  TransactionsAborted: {
    kind: 'counter',
    unit: 'count',
    dimensions: ['Reason'],
    help: 'Transactions that became ABORTED, by reason (a vote reason, TIMEOUT or ERROR).',
  },
  RaisedNoes: {
    kind: 'counter',
    unit: 'count',
    dimensions: ['Participant'],
    help: 'Prepares whose no the participant function raised as a Lambda error (Pakka.VoteAbort.<REASON>), every reason together.',
  },
  PrepareLatency: { kind: 'timing', unit: 'milliseconds', dimensions: ['Participant'], help: 'Time one participant spent on a prepare.' },
  PreparePhaseLatency: {
    kind: 'timing',
    unit: 'milliseconds',
    dimensions: [],
    help: 'The whole prepare phase as the coordinator saw it: begin to the logged decision.',
  },
  DecisionLatency: { kind: 'timing', unit: 'milliseconds', dimensions: [], help: 'From the logged decision to the start of phase 2.' },
  CommitLatency: { kind: 'timing', unit: 'milliseconds', dimensions: [], help: 'Phase 2 of a committed transaction.' },
  AbortLatency: { kind: 'timing', unit: 'milliseconds', dimensions: [], help: 'Phase 2 of an aborted transaction.' },
  EndToEndLatency: { kind: 'timing', unit: 'milliseconds', dimensions: [], help: 'From begin to the final status.' },
  Votes: { kind: 'counter', unit: 'count', dimensions: ['Participant', 'Vote', 'Reason'], help: 'Votes by participant and kind (and reason, for VOTE_ABORT).' },
  ParticipantErrors: {
    kind: 'counter',
    unit: 'count',
    dimensions: ['Participant', 'Action'],
    help: 'Participant calls that failed (the coordinator retries them).',
  },
  ParticipantCalls: { kind: 'counter', unit: 'count', dimensions: ['Participant', 'Action'], help: 'Participant calls answered.' },
  ParticipantLatency: { kind: 'timing', unit: 'milliseconds', dimensions: ['Participant', 'Action'], help: 'Participant work time per call.' },
  Retries: {
    kind: 'counter',
    unit: 'count',
    dimensions: ['Participant', 'Action'],
    help: 'Phase-2 deliveries that found the work already done: retries reaching an idempotent participant.',
  },
  InDoubtFound: { kind: 'counter', unit: 'count', dimensions: [], help: 'Transactions recovery took over.' },
  InDoubtResolved: { kind: 'counter', unit: 'count', dimensions: [], help: 'Transactions recovery took over and finished.' },
  OldestInDoubtAgeSeconds: {
    kind: 'gauge',
    unit: 'seconds',
    dimensions: [],
    help: 'Age of the oldest PREPARED record of any participant at the last sweep; 0 when none.',
  },
  HeuristicHazards: {
    kind: 'counter',
    unit: 'count',
    dimensions: [],
    help: 'Transactions that finished with a hazard, and violations recorded later on a final one.',
  },
  ProtocolViolations: {
    kind: 'counter',
    unit: 'count',
    dimensions: ['Participant', 'Code'],
    help: 'Decisions a participant refused (COMMIT_AFTER_ABORT, ...).',
  },
};
