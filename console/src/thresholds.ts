/**
 * The alarm thresholds the console draws and turns tiles red on: the same numbers as the CloudWatch
 * alarms (infra ALARM_DEFAULTS; a test keeps the two equal, since the browser cannot load the CDK module).
 */
export const THRESHOLDS = {
  /** A participant's prepare p99 above this is an alarm. */
  prepareLatencyP99Ms: 2000,
  /** A participant's failed calls, in percent of its calls... */
  failureRatePercent: 5,
  /** ...once it has been called at least this often. */
  failureRateMinInvocations: 100,
  /** A transaction in doubt (a PREPARED record waiting for its decision) longer than this. */
  inDoubtSeconds: 300,
} as const;
