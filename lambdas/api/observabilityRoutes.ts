/**
 * GET /metrics and GET /events. Locally the service keeps both in memory: metrics in Prometheus text
 * format (the CloudWatch names), outcome events as EventBridge would carry them. On AWS they live in
 * CloudWatch and on the EventBridge bus, and these routes say so instead of answering half the truth.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { OutcomeEvent } from '../observability/transactionOutcome.js';
import { ApiError, jsonResponse } from './http.js';
import { integerQuery } from './request.js';

export interface ObservabilitySource {
  /** Every metric, in Prometheus text exposition format. */
  metricsText(): Promise<string>;
  /** The most recent outcome events, newest first. */
  recentEvents(limit: number): OutcomeEvent[];
}

export const EVENT_LIMITS = { defaultLimit: 20, maxLimit: 1000 } as const;

/** GET /events: the latest outcome events, newest first. */
export interface EventList {
  events: OutcomeEvent[];
}

export async function metricsRoute(source: ObservabilitySource | undefined): Promise<APIGatewayProxyResult> {
  if (!source) {
    throw new ApiError(
      404,
      'METRICS_IN_CLOUDWATCH',
      'On AWS the metrics are in Amazon CloudWatch (namespace Pakka): see the dashboard named by the stack output DashboardName, and the alarms on the AlarmTopicArn topic.',
    );
  }
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' },
    body: await source.metricsText(),
  };
}

export function eventsRoute(source: ObservabilitySource | undefined, event: APIGatewayProxyEvent): APIGatewayProxyResult {
  const limit = integerQuery(event, 'limit', 1, EVENT_LIMITS.maxLimit, EVENT_LIMITS.defaultLimit);
  if (!source) {
    throw new ApiError(
      404,
      'EVENTS_ON_EVENTBRIDGE',
      'On AWS the outcome events go to the EventBridge default bus (source "pakka", detail-type TransactionCommitted or TransactionAborted): add a rule there to receive them.',
    );
  }
  return jsonResponse(200, { events: source.recentEvents(limit) } satisfies EventList);
}
