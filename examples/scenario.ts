/**
 * What an example scenario is: a few transactions against a running Pakka, and the end state they
 * must leave. `pakka demo` runs them and prints the checks; the tests run them and assert the state.
 * Every run uses fresh keys, so a demo can be repeated on a persistent database.
 */
import { randomUUID } from 'node:crypto';
import type { PakkaClient, TransactionRequestBody, TransactionStatus } from '../client/index.js';

export type Outcome = 'COMMITTED' | 'ABORTED';

export interface StepReport {
  label: string;
  expected: Outcome;
  transaction: TransactionStatus;
}

export interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

export interface ScenarioContext {
  client: PakkaClient;
  /** Makes this run's keys unique. */
  runId: string;
  /** Told of every finished transaction as it finishes (the demo's progress). */
  onStep?: (step: StepReport) => void;
}

export interface ScenarioResult<Keys> {
  steps: StepReport[];
  checks: Check[];
  /** The keys this run used, so a test can read the end state itself. */
  keys: Keys;
}

export interface Scenario<Keys = unknown> {
  name: string;
  title: string;
  run(context: ScenarioContext): Promise<ScenarioResult<Keys>>;
}

export const newRunId = () => `${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;

/** Collects the steps and checks of one scenario run. */
export class ScenarioRun {
  readonly steps: StepReport[] = [];
  readonly checks: Check[] = [];

  constructor(private readonly context: ScenarioContext) {}

  get client(): PakkaClient {
    return this.context.client;
  }

  /** Runs one transaction to its end and records it against the outcome the story expects. */
  async transaction(label: string, expected: Outcome, body: TransactionRequestBody): Promise<TransactionStatus> {
    const transaction = await this.context.client.run(body);
    const step = { label, expected, transaction };
    this.steps.push(step);
    this.context.onStep?.(step);
    this.check(`${label}: ${expected}`, transaction.status === expected, `${transaction.status}${transaction.reason ? ` (${transaction.reason})` : ''}`);
    return transaction;
  }

  check(what: string, ok: boolean, detail: string): void {
    this.checks.push({ what, ok, detail });
  }

  async balance(participant: string, key: string): Promise<number | null> {
    const item = await this.client.item(participant, key);
    return item ? (item.balance as number) : null;
  }

  async expectBalance(participant: string, key: string, expected: number | null): Promise<void> {
    const actual = await this.balance(participant, key);
    this.check(`${participant} ${key} balance ${expected ?? 'absent'}`, actual === expected, `is ${actual ?? 'absent'}`);
  }

  async expectField(participant: string, key: string, field: string, expected: unknown): Promise<void> {
    const item = await this.client.item(participant, key);
    const actual = item ? (item[field] ?? null) : null;
    this.check(`${participant} ${key} ${field} ${JSON.stringify(expected)}`, actual === expected, `is ${JSON.stringify(actual)}`);
  }

  async expectUnlocked(participant: string, key: string): Promise<void> {
    const item = await this.client.item(participant, key);
    this.check(`${participant} ${key} not locked`, !item?.lockedBy, item?.lockedBy ? `locked by ${item.lockedBy}` : 'free');
  }

  result<Keys>(keys: Keys): ScenarioResult<Keys> {
    return { steps: this.steps, checks: this.checks, keys };
  }
}

export const credit = (name: string, key: string, amount: number) => ({ name, operations: [{ op: 'credit', key, amount }] });
export const debit = (name: string, key: string, amount: number) => ({ name, operations: [{ op: 'debit', key, amount }] });
