/**
 * What a million committed transactions cost on AWS, from what the benchmark counted per
 * committed transaction and the list prices in bench/prices.json. Pure, except loading the file.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const positive = z.number().positive();

const pricesFile = z.object({
  region: z.string(),
  currency: z.literal('USD'),
  checked: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date, YYYY-MM-DD'),
  stepFunctions: z.object({
    standardPerStateTransition: positive,
    expressPerRequest: positive,
    expressPerGbSecond: positive,
    expressBillingIncrementMs: positive,
    expressMemoryChunkMb: positive,
    source: z.string().min(1),
  }),
  lambda: z.object({
    perRequest: positive,
    perGbSecondArm64: positive,
    memoryMb: z.number().int().min(128).max(10240),
    architecture: z.literal('arm64'),
    memoryIsAssumed: z.boolean(),
    source: z.string().min(1),
  }),
  dynamodb: z.object({ perWriteRequestUnit: positive, perReadRequestUnit: positive, source: z.string().min(1) }),
});

export type Prices = z.infer<typeof pricesFile>;

export const PRICES_PATH = new URL('./prices.json', import.meta.url);

export function loadPrices(path: URL | string = PRICES_PATH): Prices {
  return pricesFile.parse(JSON.parse(readFileSync(path, 'utf8')));
}

/** Means per committed transaction, as measured. */
export interface WorkPerCommit {
  stateTransitions: number;
  lambdaInvocations: number;
  lambdaBilledMs: number;
  writeUnits: number;
  readUnits: number;
  /** End-to-end duration of the execution: what an Express workflow bills. */
  executionMs: number;
}

export interface CostPerMillion {
  stepFunctions: number;
  lambdaRequests: number;
  lambdaDuration: number;
  dynamodbWrites: number;
  dynamodbReads: number;
  total: number;
}

const PER_MILLION = 1_000_000;

function dynamoAndLambda(work: WorkPerCommit, prices: Prices): Omit<CostPerMillion, 'stepFunctions' | 'total'> {
  const gbSeconds = (work.lambdaBilledMs / 1000) * (prices.lambda.memoryMb / 1024);
  return {
    lambdaRequests: work.lambdaInvocations * prices.lambda.perRequest * PER_MILLION,
    lambdaDuration: gbSeconds * prices.lambda.perGbSecondArm64 * PER_MILLION,
    dynamodbWrites: work.writeUnits * prices.dynamodb.perWriteRequestUnit * PER_MILLION,
    dynamodbReads: work.readUnits * prices.dynamodb.perReadRequestUnit * PER_MILLION,
  };
}

const withTotal = (parts: Omit<CostPerMillion, 'total'>): CostPerMillion => ({
  ...parts,
  total: parts.stepFunctions + parts.lambdaRequests + parts.lambdaDuration + parts.dynamodbWrites + parts.dynamodbReads,
});

/** Standard workflow: billed per state transition. */
export function standardCost(work: WorkPerCommit, prices: Prices): CostPerMillion {
  return withTotal({ stepFunctions: work.stateTransitions * prices.stepFunctions.standardPerStateTransition * PER_MILLION, ...dynamoAndLambda(work, prices) });
}

/** Express workflow: billed per request and per duration, one 64 MB chunk assumed (Pakka's payloads are a few KB). */
export function expressCost(work: WorkPerCommit, prices: Prices): CostPerMillion {
  const sf = prices.stepFunctions;
  const billedSeconds = (Math.ceil(work.executionMs / sf.expressBillingIncrementMs) * sf.expressBillingIncrementMs) / 1000;
  const gbSeconds = billedSeconds * (sf.expressMemoryChunkMb / 1024);
  return withTotal({ stepFunctions: (sf.expressPerRequest + gbSeconds * sf.expressPerGbSecond) * PER_MILLION, ...dynamoAndLambda(work, prices) });
}

/** The baseline pays DynamoDB only (whatever calls it is the user's own). */
export function dynamoOnlyCost(writeUnits: number, readUnits: number, prices: Prices): number {
  return (writeUnits * prices.dynamodb.perWriteRequestUnit + readUnits * prices.dynamodb.perReadRequestUnit) * PER_MILLION;
}
