/**
 * Recovery in local mode: the same sweeper and resolve as on AWS, wired to LocalPakka. Participants
 * are the in-process handlers, and the log and the in-doubt indexes are the tables in DynamoDB Local.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ParticipantAnswer } from '../lambdas/participants/message.js';
import { recordLateHazards } from '../lambdas/observability/transactionOutcome.js';
import { documentClient } from '../lambdas/participants/lambdaEntry.js';
import { coordinatorLogTable } from '../lambdas/recovery/coordinatorLogTable.js';
import { participantsAskedForInDoubt } from '../lambdas/config/participantConfig.js';
import { heldItemsTidy } from '../lambdas/recovery/heldItemsTidy.js';
import { inDoubtReaders } from '../lambdas/recovery/inDoubtReaders.js';
import { participantIndexHoldsAny } from '../lambdas/recovery/indexProbe.js';
import type { RecoveryPorts } from '../lambdas/recovery/ports.js';
import { DEFAULT_RECOVERY_CONFIG, type RecoveryConfig } from '../lambdas/recovery/recoveryConfig.js';
import { type RecoveryService, sweepSummary } from '../lambdas/recovery/recoveryService.js';
import { type ResolveResult, resolveTransaction } from '../lambdas/recovery/resolve.js';
import { type RecoveryLog, type SweepReport, runSweep } from '../lambdas/recovery/sweep.js';
import type { LocalPakka } from './pakka.js';
import type { ParticipantInvoker } from './stateMachine.js';

export interface LocalRecoveryOptions {
  dynamo: DynamoDBClient;
  config?: Partial<RecoveryConfig>;
  /** The sweeper's clock (ms since the epoch); tests move it past deadlines instead of sleeping. */
  now?: () => number;
  /** How recovery reaches a participant; defaults to the in-process handlers. Pass a FaultInjector's wrap() to let faults reach recovery too. */
  invoke?: ParticipantInvoker;
  log?: RecoveryLog;
}

export class LocalRecovery {
  readonly config: RecoveryConfig;
  readonly ports: RecoveryPorts;
  private readonly log: RecoveryLog | undefined;

  constructor(
    private readonly pakka: LocalPakka,
    options: LocalRecoveryOptions,
  ) {
    this.config = { ...DEFAULT_RECOVERY_CONFIG, ...options.config };
    this.log = options.log;
    const client = documentClient(options.dynamo);
    const direct: ParticipantInvoker = (name, payload) => {
      const handler = pakka.participants.get(name);
      if (!handler) return Promise.reject(Object.assign(new Error(`Function not found: ${name}`), { name: 'Lambda.ResourceNotFoundException' }));
      return handler(payload);
    };
    const invoke = options.invoke ?? direct;
    const now = options.now ?? Date.now;
    this.ports = {
      log: coordinatorLogTable(client, pakka.tables.coordinatorLog),
      inDoubt: inDoubtReaders({
        client,
        tables: pakka.tables.participants,
        askedParticipants: participantsAskedForInDoubt(pakka.config),
        ask: (participant, request) => invoke(participant, request),
        holdsAny: (table, index) => participantIndexHoldsAny(client, table, index),
        tidy: heldItemsTidy(client, now, (error) =>
          options.log?.('recovery could not take an idle item out of heldItems; a later sweep tries again', { error: String(error) }),
        ),
        onFailure: (_source, error) =>
          options.log?.('recovery could not read a source of in-doubt transactions; the next sweep tries again', { error: String(error) }),
      }),
      participants: { send: (participant, message) => invoke(participant, message) as Promise<ParticipantAnswer> },
      now,
    };
  }

  /** One sweep; transactions it finished are reported (metrics, outcome event) like the coordinator's. */
  async sweep(): Promise<SweepReport> {
    const report = await runSweep(this.ports, this.config, { metrics: this.pakka.metrics, ...(this.log ? { log: this.log } : {}) });
    await this.reportFinished(report.transactions.flatMap((t) => (t.kind === 'driven' && t.final ? [t.txnId] : [])));
    // A straggler of a final transaction that refused the decision: on AWS the outcome stream counts
    // it when the violation lands on the log item; here the sweep's own report says so.
    recordLateHazards(
      this.pakka.metrics,
      report.transactions.flatMap((t) => (t.kind === 'final' ? t.stragglers.filter((s) => s.result === 'violation').map((s) => s.participant) : [])),
    );
    return report;
  }

  /** Sweeps until one finds nothing to do (or gives up after maxSweeps); returns every report. */
  async sweepUntilQuiet(maxSweeps = 20): Promise<SweepReport[]> {
    const reports: SweepReport[] = [];
    for (let i = 0; i < maxSweeps; i++) {
      const report = await this.sweep();
      reports.push(report);
      if (report.quiet) break;
    }
    return reports;
  }

  async resolve(txnId: string, body: unknown): Promise<ResolveResult> {
    const result = await resolveTransaction(txnId, body, this.ports, this.pakka.metrics);
    if (result.ok && result.outcome.kind === 'driven' && result.outcome.final) await this.reportFinished([txnId]);
    return result;
  }

  /** The API's view of this recovery: POST /recovery/run and POST /transactions/{txnId}/resolve. */
  service(): RecoveryService {
    // Locally nothing cuts the request short, so the sweep runs to its end and answers its counts.
    return { sweep: async () => ({ kind: 'finished', summary: sweepSummary(await this.sweep()) }), resolve: (txnId, body) => this.resolve(txnId, body) };
  }

  private async reportFinished(txnIds: string[]): Promise<void> {
    await Promise.all(txnIds.map((id) => this.pakka.reportOutcome(id).catch(() => undefined)));
  }
}
