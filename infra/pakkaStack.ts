/**
 * Pakka in one stack: a Participant per entry of the participant config (the same config local
 * mode reads), the Coordinator, the Api and the Recovery sweeper. Adding a participant is one entry in that config,
 * plus its function or table when they are the team's own (`participantFunctions`, `participantTables`).
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ParticipantConfig } from '../lambdas/config/participantConfig.js';
import { BUILT_IN_KINDS } from '../lambdas/participants/kinds/index.js';
import { Api } from './constructs/api.js';
import { Coordinator } from './constructs/coordinator.js';
import { Observability } from './constructs/observability.js';
import { Participant } from './constructs/participant.js';
import { ParticipantDirectory } from './constructs/participantDirectory.js';
import { ARN_SIZE_ESTIMATE, ARN_SIZE_ESTIMATE_CONTEXT } from './constructs/perParticipantStatements.js';
import { Recovery } from './constructs/recovery.js';
import { type DeploymentSettings, removalPolicyOf } from './settings.js';

export interface PakkaStackProps extends StackProps {
  participants: ParticipantConfig;
  settings: DeploymentSettings;
  /**
   * Keyed by kind, not by participant: kind name -> the Lambda entry file (absolute path) of a kind that
   * is not one of Pakka's own. Pakka builds one function per participant of that kind from it.
   */
  kindEntries?: Readonly<Record<KindName, string>>;
  /**
   * Participant name -> the team's own function (IFunction, or an ARN in this account or another) that
   * answers the participant protocol. Pakka builds no function for it and grants nothing inside it.
   */
  participantFunctions?: Readonly<Record<string, IFunction | string>>;
  /** Participant name -> an existing prepared-state table (see ParticipantProps.table for its schema). */
  participantTables?: Readonly<Record<string, ITable>>;
  /**
   * The API's Lambda entry (absolute path), required when a participant's kind is not one of Pakka's
   * own: Pakka's default API bundles config/participants.json and validates only its own kinds.
   */
  apiEntry?: string;
}

/** A kind's name, as `defineKind({ name })` and the config's `kind` give it (not a participant's name). */
export type KindName = string;

/** Participant construct ids are derived from names, so they stay stable when the config is reordered. */
const constructIdOf = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_m, _dash: string, c: string) => c.toUpperCase());

export class PakkaStack extends Stack {
  readonly participants: readonly Participant[];
  readonly coordinator: Coordinator;
  readonly api: Api;
  readonly recovery: Recovery;
  readonly directory: ParticipantDirectory;
  readonly observability: Observability;
  /** The functions Pakka builds are named this plus the participant's name (a name only; nothing invokes by it). */
  readonly participantFunctionNamePrefix: string;

  constructor(scope: Construct, id: string, props: PakkaStackProps) {
    super(scope, id, props);
    // Before any role exists: CDK packs each role's overflow policies by this ARN length (perParticipantStatements.ts).
    if (this.node.tryGetContext(ARN_SIZE_ESTIMATE_CONTEXT) === undefined) this.node.setContext(ARN_SIZE_ESTIMATE_CONTEXT, ARN_SIZE_ESTIMATE);
    const { settings } = props;
    const removalPolicy = removalPolicyOf(settings);
    const logRetention = settings.logRetentionDays as RetentionDays;
    // Per stack, so two sandboxes in one account and region never share a function.
    this.participantFunctionNamePrefix = `${this.stackName}-`;

    for (const [what, byName] of [
      ['participantFunctions', props.participantFunctions],
      ['participantTables', props.participantTables],
    ] as const) {
      const unknown = Object.keys(byName ?? {}).filter((name) => !props.participants.has(name));
      if (unknown.length) throw new Error(`${what} names participants the config lacks: ${unknown.join(', ')}`);
    }
    const configuredKinds = new Set([...props.participants.values()].map((spec) => spec.kind));
    for (const key of Object.keys(props.kindEntries ?? {}).filter((k) => !configuredKinds.has(k))) {
      const participant = props.participants.get(key);
      throw new Error(
        participant
          ? `kindEntries is keyed by kind, not by participant: '${key}' is a participant of kind '${participant.kind}', so write kindEntries['${participant.kind}']`
          : `kindEntries['${key}']: no participant in the config has kind '${key}'; kinds configured: ${[...configuredKinds].join(', ')}`,
      );
    }
    const teamKinds = [...props.participants.values()].filter((spec) => BUILT_IN_KINDS.get(spec.kind) !== spec.definition);
    if (teamKinds.length > 0 && !props.apiEntry) {
      throw new Error(
        `participant ${teamKinds[0]?.name}: kind '${teamKinds[0]?.kind}' is not one of Pakka's own, so the API needs an entry that validates with it (apiEntry)`,
      );
    }
    this.participants = [...props.participants.values()].map((spec) => {
      const own = props.participantFunctions?.[spec.name];
      const entry = own === undefined ? props.kindEntries?.[spec.kind] : undefined;
      const table = props.participantTables?.[spec.name];
      return new Participant(this, `Participant${constructIdOf(spec.name)}`, {
        spec,
        functionNamePrefix: this.participantFunctionNamePrefix,
        removalPolicy,
        logRetention,
        ...(entry ? { entry } : {}),
        ...(own !== undefined ? { function: own } : {}),
        ...(table ? { table } : {}),
      });
    });
    this.coordinator = new Coordinator(this, 'Coordinator', {
      stateMachineName: `${this.stackName}-two-phase-commit`,
      variant: settings.coordinator,
      participants: this.participants,
      removalPolicy,
      logRetention,
      logLevel: settings.stateMachineLogLevel,
      faultInjection: settings.faultInjection,
    });
    this.directory = new ParticipantDirectory(this, 'ParticipantDirectory', { participants: this.participants, removalPolicy, logRetention });
    this.api = new Api(this, 'Api', {
      coordinator: this.coordinator,
      participants: this.participants,
      directory: this.directory,
      timeout: Duration.seconds(settings.apiTimeoutSeconds),
      throttle: { ratePerSecond: settings.apiThrottleRatePerSecond, burst: settings.apiThrottleBurst },
      logRetention,
      removalPolicy,
      ...(props.apiEntry ? { entry: props.apiEntry } : {}),
    });

    this.recovery = new Recovery(this, 'Recovery', {
      coordinator: this.coordinator,
      participants: this.participants,
      directory: this.directory,
      timeout: Duration.seconds(settings.recoveryTimeoutSeconds),
      logRetention,
      removalPolicy,
    });
    this.api.connectRecovery(this.recovery);

    this.observability = new Observability(this, 'Observability', {
      coordinator: this.coordinator,
      participants: this.participants,
      api: this.api,
      recovery: this.recovery,
      namePrefix: this.stackName,
      alarmEmail: settings.alarmEmail,
      logRetention,
      removalPolicy,
    });

    // One URL output, named for what it is, instead of RestApi's generated `...Endpoint...` duplicate.
    this.api.restApi.node.tryRemoveChild('Endpoint');
    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the HTTP API (SigV4, service execute-api)' });
    new CfnOutput(this, 'StateMachineArn', { value: this.coordinator.stateMachine.stateMachineArn, description: 'The coordinator' });
    new CfnOutput(this, 'CoordinatorLogTableName', { value: this.coordinator.coordinatorLog.table.tableName });
    new CfnOutput(this, 'ParticipantTableNames', {
      value: this.toJsonString(Object.fromEntries(this.participants.map((p) => [p.name, p.table.table.tableName]))),
      description: 'JSON: participant name -> its DynamoDB table',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.observability.alarmTopic.topicArn,
      description: 'Every Pakka alarm notifies this SNS topic: subscribe to it (or deploy with -c pakka:alarmEmail=you@example.com)',
    });
    new CfnOutput(this, 'DashboardName', { value: this.stackName, description: 'The CloudWatch dashboard' });
    new CfnOutput(this, 'ParticipantFunctionArns', {
      value: this.toJsonString(Object.fromEntries(this.participants.map((p) => [p.name, p.function.functionArn]))),
      description: 'JSON: participant name -> the function the coordinator invokes for it',
    });
  }
}
