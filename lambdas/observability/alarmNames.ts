/**
 * The names of the alarms a stack creates, each `<stack name>-<name>`: the stack names them with these
 * (infra/constructs/observability.ts) and `pakka verify` looks for exactly these on AWS.
 */
export const ALARM_NAMES = {
  inDoubt: 'in-doubt',
  heuristicHazard: 'heuristic-hazard',
  executionsFailed: 'executions-failed',
  outcomeReportingFailed: 'outcome-reporting-failed',
  recoveryFailing: 'recovery-failing',
  prepareLatency: (participant: string) => `prepare-p99-${participant}`,
  failureRate: (participant: string) => `failure-rate-${participant}`,
} as const;

export const alarmName = (stackName: string, name: string): string => `${stackName}-${name}`;

/** Every alarm of a stack with these participants. */
export function stackAlarmNames(stackName: string, participants: readonly string[]): string[] {
  const { prepareLatency, failureRate, ...fixed } = ALARM_NAMES;
  return [...participants.flatMap((p) => [prepareLatency(p), failureRate(p)]), ...Object.values(fixed)].map((name) => alarmName(stackName, name));
}
