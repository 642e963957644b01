/**
 * Every metric Pakka emits, in one place: CloudWatch (namespace `Pakka`, embedded metric format)
 * and the local Prometheus endpoint use these same names, so dashboards, alarms and `pakka top`
 * all speak of the same things.
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
