/**
 * Structured JSON logs through Powertools. Every line of a transaction carries txnId, participant,
 * phase and action, so filtering on one txnId tells the whole story.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export type ProtocolLogger = Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;

export function protocolLogger(serviceName: string): Logger {
  // POWERTOOLS_LOG_LEVEL (e.g. SILENT in tests, DEBUG when hunting) overrides the default.
  return process.env.POWERTOOLS_LOG_LEVEL ? new Logger({ serviceName }) : new Logger({ serviceName, logLevel: 'INFO' });
}
