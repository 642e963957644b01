/**
 * The HTTP API on AWS: an API Gateway REST API whose every route requires IAM (SigV4)
 * authorization and proxies to one Lambda, the same handler the local server calls. API Gateway
 * validates what it can (the POST body's shape, required path parameters), throttles, and writes
 * an access log; its own error responses keep the API's `{error: {code, message, field}}` shape.
 */
import { HELD_ITEMS_INDEX } from '../../lambdas/participants/itemIntents.js';
import { FAULT_INJECTION_ENV } from '../../lambdas/request/coordinatorFault.js';
import { IN_DOUBT_INDEX } from '../../lambdas/participants/table.js';
import { type Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type MethodOptions,
  type Model,
  type RequestValidator,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ILogGroup, LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BY_STATUS_INDEX, OPEN_INDEX } from '../../lambdas/tableSchemas.js';
import type { Coordinator } from './coordinator.js';
import { PakkaFunction } from './pakkaFunction.js';
import type { ParticipantTable } from './participant.js';
import type { ParticipantDirectory } from './participantDirectory.js';
import { TRANSACTION_REQUEST_RULE, TRANSACTION_REQUEST_SCHEMA } from './transactionRequestModel.js';
import { perParticipantStatements } from './perParticipantStatements.js';
import { grantOnParticipantIndexes } from './schemaIndexGrant.js';

export interface ApiParticipant {
  name: string;
  table: ParticipantTable;
  function: { functionArn: string };
}

export interface ApiProps {
  coordinator: Coordinator;
  participants: readonly ApiParticipant[];
  /** Where the API learns each participant's function and table (read once per cold start). */
  directory: ParticipantDirectory;
  /** At most 29 s: API Gateway cuts a REST integration there. `?wait=true` waits up to 25 s. */
  timeout: Duration;
  throttle: { ratePerSecond: number; burst: number };
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  /**
   * The API's Lambda entry (absolute path) when the participants use kinds Pakka does not know:
   * `export const handler = lambdaApi(parseParticipantConfig(config, kinds))`, so requests are
   * validated with the team's kinds. Default: Pakka's own, with config/participants.json.
   */
  entry?: string;
}

/** The routes of the HTTP API contract. `{key+}` because item keys may contain `/`. */
export const API_ROUTES = [
  ['POST', '/transactions'],
  ['GET', '/transactions'],
  ['GET', '/transactions/{txnId}'],
  ['GET', '/transactions/{txnId}/inspect'],
  ['GET', '/participants'],
  ['GET', '/participants/{name}/items/{key+}'],
  ['GET', '/health'],
  ['POST', '/recovery/run'],
  ['POST', '/transactions/{txnId}/resolve'],
  // Answered with a pointer: on AWS the metrics live in CloudWatch and the outcome events on EventBridge.
  ['GET', '/metrics'],
  ['GET', '/events'],
] as const;

/** Gateway responses are plain substitution, not VTL: only `messageString` is safely quoted. */
const errorTemplate = (code: string, message: string, field: string | null) =>
  `{"error":{"code":${code},"message":${message},"field":${field === null ? 'null' : JSON.stringify(field)}}}`;

export class Api extends Construct {
  readonly restApi: RestApi;
  readonly function: IFunction;
  private readonly handler: PakkaFunction;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { coordinator } = props;
    const log = coordinator.coordinatorLog;
    const handler = new PakkaFunction(this, 'Handler', {
      entry: props.entry ?? 'lambdas/api/awsEntry.ts',
      description: 'Pakka HTTP API: starts and reads transactions',
      environment: {
        COORDINATOR_LOG_TABLE: log.table.tableName,
        STATE_MACHINE_ARN: coordinator.stateMachine.stateMachineArn,
        COORDINATOR_VARIANT: coordinator.variant,
        // Only with a coordinator built with the fault states: the API then honours the Pakka-Fault header.
        ...(coordinator.faultInjection ? { [FAULT_INJECTION_ENV]: 'on' } : {}),
      },
      timeout: props.timeout,
      memorySize: 512,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.function = handler.function;
    this.handler = handler;
    props.directory.connect(handler);
    // Reads exactly what the routes serve: a log item, the byStatus listing (keys, then the items in a
    // batch), participant items and records (a batch of records derives a decided transaction's status).
    // PutItem: the txnId claim (lambdas/api/claimWrite.ts) writes the log item before any start.
    handler.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem'], resources: [log.table.tableArn] }),
    );
    // byStatus for the listings, open for the stuck listing's open log items (lambdas/recovery/openLogIndex.ts).
    const logIndexes = [BY_STATUS_INDEX, OPEN_INDEX].map((name) => {
      const arn = log.indexArns.get(name);
      if (!arn) throw new Error(`the coordinator log schema has no ${name} index`);
      return arn;
    });
    handler.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: logIndexes }));
    if (props.participants.length > 0) {
      for (const statement of perParticipantStatements(
        ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
        props.participants.map((p) => p.table.table.tableArn),
      )) {
        handler.role.addToPrincipalPolicy(statement);
      }
      // An item's holds and the PREPARING listing (nothing is logged before the decision) come from each participant's sparse
      // in-doubt index, and holds that live in their items from its sparse heldItems index.
      grantOnParticipantIndexes(handler.role, ['dynamodb:Query'], props.participants, [IN_DOUBT_INDEX, HELD_ITEMS_INDEX]);
    }
    coordinator.grantStart(handler.role);
    const describes = coordinator.grantDescribeExecutions(handler.role);
    const handlerPolicy = handler.role.node.tryFindChild('DefaultPolicy');
    if (handlerPolicy && describes) {
      Validations.of(handlerPolicy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${coordinator.executionArnsAsNagSees}]`,
        reason:
          'states:DescribeExecution on the executions of this one state machine: an execution ARN is only known once the execution is started (it is named after the transaction), so the ARN ends in the execution name wildcard.',
      });
    }

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.restApi = new RestApi(this, 'RestApi', {
      description: 'Pakka: two-phase commit transactions (IAM authorization)',
      endpointTypes: [EndpointType.REGIONAL],
      // API Gateway writes execution and access logs with the role of the account's API Gateway
      // settings, one per account and region: a stack that set it would take it over from every other
      // stack there (two sandboxes overwrite each other's, and deleting one breaks the rest). It is set
      // once per account, by ApiGatewayAccountStack (see docs/deployment.md, "Before the first deploy").
      cloudWatchRole: false,
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: props.throttle.ratePerSecond,
        throttlingBurstLimit: props.throttle.burst,
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.custom(
          JSON.stringify({
            requestId: AccessLogField.contextRequestId(),
            requestTime: AccessLogField.contextRequestTime(),
            sourceIp: AccessLogField.contextIdentitySourceIp(),
            caller: AccessLogField.contextIdentityCaller(),
            userArn: AccessLogField.contextIdentityUserArn(),
            httpMethod: AccessLogField.contextHttpMethod(),
            resourcePath: AccessLogField.contextResourcePath(),
            path: AccessLogField.contextPath(),
            status: AccessLogField.contextStatus(),
            responseLength: AccessLogField.contextResponseLength(),
            integrationLatency: AccessLogField.contextIntegrationLatency(),
            errorType: AccessLogField.contextErrorResponseType(),
            errorMessage: AccessLogField.contextErrorMessage(),
            validationError: AccessLogField.contextErrorValidationErrorString(),
          }),
        ),
      },
    });

    const api = this.restApi;
    api.addGatewayResponse('BadRequestBody', {
      type: ResponseType.BAD_REQUEST_BODY,
      statusCode: '400',
      templates: { 'application/json': errorTemplate('"INVALID_REQUEST"', JSON.stringify(TRANSACTION_REQUEST_RULE), 'body') },
    });
    api.addGatewayResponse('BadRequestParameters', {
      type: ResponseType.BAD_REQUEST_PARAMETERS,
      statusCode: '400',
      templates: { 'application/json': errorTemplate('"INVALID_REQUEST"', '$context.error.messageString', 'path') },
    });
    for (const [id, type] of [
      ['Default4xx', ResponseType.DEFAULT_4XX],
      ['Default5xx', ResponseType.DEFAULT_5XX],
    ] as const) {
      api.addGatewayResponse(id, {
        type,
        templates: { 'application/json': errorTemplate('"$context.error.responseType"', '$context.error.messageString', null) },
      });
    }

    const bodyValidator: RequestValidator = api.addRequestValidator('BodyValidator', { validateRequestBody: true, validateRequestParameters: true });
    const paramsValidator: RequestValidator = api.addRequestValidator('ParameterValidator', { validateRequestBody: false, validateRequestParameters: true });
    const requestModel: Model = api.addModel('TransactionRequest', {
      contentType: 'application/json',
      modelName: 'TransactionRequest',
      schema: TRANSACTION_REQUEST_SCHEMA,
    });
    const integration = new LambdaIntegration(this.function, { proxy: true, allowTestInvoke: false });

    for (const [method, path] of API_ROUTES) {
      const resource = api.root.resourceForPath(path);
      const pathParameters = [...path.matchAll(/\{([A-Za-z]+)\+?\}/g)].map((m) => m[1] ?? '');
      const options: MethodOptions =
        method === 'POST' && path === '/transactions'
          ? { requestValidator: bodyValidator, requestModels: { 'application/json': requestModel } }
          : pathParameters.length > 0
            ? {
                requestValidator: paramsValidator,
                requestParameters: Object.fromEntries(pathParameters.map((p) => [`method.request.path.${p}`, true])),
              }
            : {};
      resource.addMethod(method, integration, { authorizationType: AuthorizationType.IAM, ...options });
    }

    Validations.of(this.restApi).acknowledge(
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'No WAF web ACL by default: every route requires SigV4-signed IAM credentials, the stage is throttled, and a web ACL costs a monthly fee a sandbox does not need. Associate one with the stage for internet-facing production.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason: 'The API authorizes with IAM (SigV4): callers are IAM principals of the account (services, operators), not Cognito end users.',
      },
    );
  }

  get url(): string {
    return this.restApi.url;
  }

  /**
   * Lets the operator routes (POST /recovery/run, POST /transactions/{txnId}/resolve) run recovery:
   * the API invokes the recovery function, and may invoke nothing else. A sweep is invoked
   * asynchronously (it may outlast API Gateway's 29 s); its answer names the log group to follow it in.
   */
  connectRecovery(recovery: { function: IFunction; logGroup: ILogGroup }): void {
    this.handler.function.addEnvironment('RECOVERY_FUNCTION_NAME', recovery.function.functionName);
    this.handler.function.addEnvironment('RECOVERY_LOG_GROUP', recovery.logGroup.logGroupName);
    // Exactly the function, not its versions: grantInvoke would add `<arn>:*`.
    this.handler.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [recovery.function.functionArn] }));
  }
}
