/**
 * The coordinator, written once: every variant's ASL in `statemachines/` is generated from this
 * (`npm run statemachines`), and test/coordinator/asl.unit.test.ts fails when a committed file differs from it.
 *
 * Shape of the commit path (the Standard bill is one transition per state entered): PrepareAll
 * (Prepare per participant), LogCommitDecision, CommitAll (Commit per participant): 3 + 2N. No Pass
 * or Choice runs on it, and the log item is written once, by the decision: nothing is logged before
 * it (a participant's PREPARED record, in its inDoubt index, is what makes the transaction findable
 * until then) and nothing after it on the happy path (COMMITTED/ABORTED is derived from the
 * participants' records; only a delivery left to recovery, or a refused one, writes to the log again). The votes are judged by the commit point
 * itself: LogCommitDecision's condition holds only if every answer is a VOTE_COMMIT or READ_ONLY for
 * this txnId (counted with intrinsics, compared by DynamoDB), so a no, a malformed answer or an
 * earlier decision all fail the same conditional write, and only then does the abort path look at
 * each answer to name the participant and the rule.
 */
import { type CoordinatorVariant, EXECUTION_TIMEOUT_SECONDS } from '../../lambdas/config/coordinatorVariant.js';
import { ONE_PHASE_COMMITTED } from '../../lambdas/protocol/participantState.js';
import { PAKKA_ERROR } from '../../lambdas/protocol/errorNames.js';
import { type BuiltInAbortReason, COORDINATOR_ABORT_REASONS, type CoordinatorAbortReason, RESERVED_ABORT_REASONS } from '../../lambdas/protocol/vote.js';
import { logProjection } from '../../lambdas/coordinatorLog/logAttributes.js';
import { BUILT_IN_VOTE_ABORT_ERRORS, TEAM_VOTE_ABORT_ERROR } from '../../lambdas/contract/participantProtocol.js';
import { PHASE_MARKERS } from './phaseMarkers.js';
import { PHASE_TWO_ATTEMPTS, PREPARE_ATTEMPTS } from '../../lambdas/config/participantAttempts.js';
import type { ChoiceRule, FailState, Json, MapState, Retrier, StateMachineDefinition, States, TaskState } from './asl.js';
import type { LogWrite, AslPaths } from '../../lambdas/coordinatorLog/logWrite.js';
import { ASL_RESOURCE, toAsl } from '../../lambdas/coordinatorLog/logWriteAsl.js';
import { partitionStatusOf } from '../../lambdas/coordinatorLog/logShards.js';
import type { TxnStatus } from '../../lambdas/coordinatorLog/coordinatorLog.js';
import {
  ABORT_DECISION,
  COMMIT_DECISION,
  LEARNT_ONE_PHASE_COMMIT,
  ONE_PHASE_LEFT_TO_RECOVERY,
  ONE_PHASE_RECEIPT,
  READ_ONLY_COMMIT,
  deliveryLeftToRecovery,
  deliveryRefused,
} from '../../lambdas/coordinatorLog/logWrites.js';

const LOG = '${CoordinatorLogTable}';
/** Each participant's function comes with the execution input (ParticipantInput.functionArn), set from the deploy-time map. */
const PARTICIPANT_FUNCTION = '$.participant.functionArn';

/**
 * Errors the DynamoDB integration raises for a transient failure: throttling, a service fault and the
 * client's own network error. Not AWS's generic DynamoDB.AmazonDynamoDBException: the integration
 * names a failure by that exception class when DynamoDB gives no more specific code, and that is what
 * a permanent ValidationException arrives as; retried, a request that can never succeed took five
 * attempts and about 25 s. It, and ValidationException by its own name, fail at once.
 */
const DYNAMO_RETRY: Retrier[] = [
  { ErrorEquals: ['DynamoDB.ValidationException', 'DynamoDB.AmazonDynamoDBException'], MaxAttempts: 0 },
  {
    ErrorEquals: [
      'DynamoDB.ProvisionedThroughputExceededException',
      'DynamoDB.ThrottlingException',
      'DynamoDB.RequestLimitExceeded',
      'DynamoDB.InternalServerErrorException',
      'DynamoDB.InternalServerError',
      'DynamoDB.SdkClientException',
    ],
    IntervalSeconds: 1,
    MaxAttempts: 5,
    BackoffRate: 2,
    MaxDelaySeconds: 10,
    JitterStrategy: 'FULL',
  },
];

/** Lambda's transient service errors (Step Functions' "Handle Lambda service exceptions"), throttling, and a participant's own "try again". */
const LAMBDA_TRANSIENT = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  PAKKA_ERROR.transient,
];

/**
 * At most this many participant calls of one execution at once. A new account's Lambda concurrency
 * may be far below the default 1,000 ("Lambda quotas", Lambda developer guide); a 16-way fan-out
 * beside the API and recovery would be throttled (Lambda.TooManyRequestsException) and, after its
 * retries, a throttled prepare counts as a no. Beyond 8 participants a phase takes two rounds.
 */
export const PARTICIPANT_CALLS_AT_ONCE = 8;

/** What a Lambda invocation fails with when the function ran out its own timeout. */
const LAMBDA_TIMED_OUT = 'Sandbox.Timedout';

const PREPARE_RETRY: Retrier[] = [
  { ErrorEquals: LAMBDA_TRANSIENT, IntervalSeconds: 1, MaxAttempts: PREPARE_ATTEMPTS - 1, BackoffRate: 2, MaxDelaySeconds: 5, JitterStrategy: 'FULL' },
];

/**
 * Phase 2 is retried until acknowledged, except for refusals that a repeat cannot change (an abort
 * that finds the transaction committed in one phase is the outcome, not a failure).
 */
const PHASE_TWO_RETRY: Retrier[] = [
  { ErrorEquals: [PAKKA_ERROR.protocolViolation, PAKKA_ERROR.invalidRequest, PAKKA_ERROR.committedInOnePhase], MaxAttempts: 0 },
  { ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: PHASE_TWO_ATTEMPTS - 1, BackoffRate: 2, MaxDelaySeconds: 20, JitterStrategy: 'FULL' },
];

/** The answer of a participant that committed the transaction alone. */
const ONE_PHASE_TOKEN = ONE_PHASE_COMMITTED;

/** The ballot of a one-phase commit learnt on the abort path, for States.Format (braces escaped): its one participant committed alone. */
const ONE_PHASE_BALLOT = '\\{"names":["{}"],"needsCommit":[0],"onePhase":[1]\\}';

const CONDITION_FAILED = ['DynamoDB.ConditionalCheckFailedException'];

const sPath = (path: string): Json => ({ 'S.$': path });
const key: Json = { txnId: sPath('$.txnId') };

/**
 * A write of the log item as a task: what it writes is its description's (lambdas/coordinatorLog/logWrites.ts);
 * this machine only says where in the state each argument is found.
 */
function logTask<W extends LogWrite>(comment: string, write: W, paths: AslPaths<W>): Omit<TaskState, 'Next' | 'End'> {
  return {
    Type: 'Task',
    Comment: comment,
    Resource: ASL_RESOURCE[write.action],
    Parameters: toAsl(write, LOG, paths),
    ResultPath: null,
    Retry: DYNAMO_RETRY,
  };
}

/** Where the state holds the request and the execution, as every decision write logs them; createdAt is when the execution started, so the deadline is the one the coordinator ran against. */
const requestPaths = (status: TxnStatus) => ({
  txnId: '$.txnId',
  now: '$$.State.EnteredTime',
  statusPartition: `States.Format('${partitionStatusOf(status)}#{}', $.logShards.shard)`,
  createdAt: '$$.Execution.StartTime',
  timeoutSeconds: '$.timeoutSeconds',
  requestDigest: '$.requestDigest',
  idempotencyKey: '$.idempotencyKey',
  participants: 'States.JsonToString($.participants)',
  executionArn: '$$.Execution.Id',
});

/**
 * How the answers are counted for the commit point's condition (ALL_YES in logWrites.ts), with the
 * markers every answer carries (FLOOR): one READ_ONLY vote and one "." txnId beside each answer's own.
 */
const BALLOT_COUNTS = {
  ballot: 'States.JsonToString($.prepared.ballot)',
  twoN: 'States.MathAdd(States.ArrayLength($.participants), States.ArrayLength($.participants))',
  voteCount: 'States.ArrayLength($.prepared.votes)',
  voteKinds: 'States.ArrayLength(States.ArrayUnique($.prepared.votes))',
  anyCommit: "States.ArrayContains($.prepared.votes, 'VOTE_COMMIT')",
  txnIds: 'States.ArrayLength($.prepared.txnIds)',
  txnKinds: 'States.ArrayLength(States.ArrayUnique($.prepared.txnIds))',
  ownTxn: 'States.ArrayContains($.prepared.txnIds, $.txnId)',
};

/**
 * The COMMIT decision write, judged by its own condition: it holds only if every answer is a
 * VOTE_COMMIT or READ_ONLY for this txnId. The commit point of a two-phase commit, and the receipt of
 * a one-phase one: the same write (marked onePhase for the receipt), so both leave the same log item.
 */
function commitDecision(comment: string, onePhase: boolean): Omit<TaskState, 'Next' | 'End'> {
  return {
    ...logTask(comment, onePhase ? ONE_PHASE_RECEIPT : COMMIT_DECISION, { ...requestPaths('COMMITTING'), ...BALLOT_COUNTS }),
    Catch: [{ ErrorEquals: CONDITION_FAILED, ResultPath: null, Next: 'ReadLoggedDecision' }],
  };
}

/** The execution's output once it ends: what the transaction became. */
const outcome = (decision: 'COMMIT' | 'ABORT', status: string) => ({
  ResultSelector: { decision, status },
  ResultPath: '$.outcome',
  OutputPath: '$.outcome',
});

/** One of two strings, chosen by a boolean intrinsic: the first when it is false. */
const pick = (options: [string, string], whenTrue: string) => `States.ArrayGetItem(States.Array('${options[0]}', '${options[1]}'), ${asNumber(whenTrue)})`;

/**
 * Phase 2 as one Map, and the end of the execution: deliver the decision to each participant,
 * retried until acknowledged. The Task itself records ACKED (its ResultSelector), so an acknowledged
 * delivery needs no other state; a refused or abandoned one writes to the log from its Catch (the
 * only log writes after the decision, both off the happy path). The execution's output says what
 * the transaction became, computed by intrinsics rather than a Choice: final unless some delivery
 * was left to recovery.
 */
function phaseTwo(
  action: 'commit' | 'abort',
  source: { inputPath?: string; itemsPath: string; participant: string; txnId: string; openPartition: string },
): MapState {
  const Task = action === 'commit' ? 'Commit' : 'Abort';
  const decision = action === 'commit' ? ('COMMIT' as const) : ('ABORT' as const);
  const [final, pending] = action === 'commit' ? ['COMMITTED', 'COMMITTING'] : ['ABORTED', 'ABORTING'];
  const participantPath = source.participant;
  const noted = (outcome: string) => ({ ResultSelector: { outcome }, ResultPath: '$.delivery', Retry: DYNAMO_RETRY });
  return {
    Type: 'Map',
    Comment:
      action === 'commit'
        ? 'Phase 2: deliver COMMIT to every participant that voted VOTE_COMMIT (READ_ONLY voters are left out).'
        : 'Phase 2: deliver ABORT to every participant that was sent prepare; one that timed out may still have prepared.',
    ...(source.inputPath ? { InputPath: source.inputPath } : {}),
    ItemsPath: source.itemsPath,
    MaxConcurrency: PARTICIPANT_CALLS_AT_ONCE,
    ItemSelector: {
      'participant.$': participantPath,
      'openPartition.$': source.openPartition,
      Payload: {
        action,
        'txnId.$': source.txnId,
        'operations.$': `${participantPath}.operations`,
        'timeoutSeconds.$': `${participantPath}.commitTimeoutSeconds`,
      },
    },
    ItemProcessor: {
      ProcessorConfig: { Mode: 'INLINE' },
      StartAt: Task,
      States: {
        [Task]: {
          Type: 'Task',
          Comment: `Deliver the ${action} decision. Idempotent at the participant, so retried until it is acknowledged.`,
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { 'FunctionName.$': PARTICIPANT_FUNCTION, 'Payload.$': '$.Payload' },
          TimeoutSecondsPath: '$.Payload.timeoutSeconds',
          ResultSelector: { outcome: 'ACKED' },
          ResultPath: '$.delivery',
          Retry: PHASE_TWO_RETRY,
          Catch: [
            // An ABORT that meets a one-phase commit (only an operator's abort can lead there) is a hazard, like a violation.
            { ErrorEquals: [PAKKA_ERROR.protocolViolation, PAKKA_ERROR.committedInOnePhase], ResultPath: '$.failure', Next: `${Task}Refused` },
            { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: `${Task}LeftToRecovery` },
          ],
          End: true,
        },
        [`${Task}Refused`]: {
          Type: 'Task',
          Comment: 'A protocol violation: a heuristic hazard, recorded on the transaction and never hidden.',
          Resource: ASL_RESOURCE.update,
          Parameters: toAsl(deliveryRefused(decision), LOG, {
            txnId: '$.Payload.txnId',
            violation: "States.Array(States.Format('{}:{}', $.participant.name, $.failure.Error))",
          }),
          ...noted('HEURISTIC_HAZARD'),
          End: true,
        },
        [`${Task}LeftToRecovery`]: {
          Type: 'Task',
          Comment: 'Never rolled back: the transaction joins the open index, and the recovery sweeper keeps delivering the logged decision.',
          Resource: ASL_RESOURCE.update,
          Parameters: toAsl(deliveryLeftToRecovery(decision), LOG, { txnId: '$.Payload.txnId', open: '$.openPartition', now: '$$.State.EnteredTime' }),
          ...noted('PENDING'),
          End: true,
        },
      },
    },
    // Every iteration ends with delivery.outcome, so both lists always have one entry per delivery.
    ResultSelector: {
      decision,
      'status.$': pick([final, pending], "States.ArrayContains($[*].delivery.outcome, 'PENDING')"),
      'names.$': '$[*].participant.name',
      'outcomes.$': '$[*].delivery.outcome',
    },
    ResultPath: '$.phase2',
    OutputPath: '$.phase2',
    End: true,
  };
}

/** An abort vote as the log records it: who, the reason code, and the rule that was broken. */
const abortVote = (reason: BuiltInAbortReason, rule: string, participant = '$.participant.name'): Json => ({ 'participant.$': participant, reason, rule });

const present = (path: string): ChoiceRule => ({ Variable: path, IsPresent: true });
const equals = (path: string, value: string): ChoiceRule => ({
  And: [present(path), { Variable: path, IsString: true }, { Variable: path, StringEquals: value }],
});

/**
 * A reason a participant may give: any string but the empty one and the reasons reserved for the
 * coordinator and the operator. A team's own reason (contract 1.3) is not known when this machine is
 * written, and a Choice cannot test a pattern, so the pattern is the participant runtime's to keep;
 * the metrics count a logged reason outside it as INVALID_ANSWER.
 */
const givableReason = (path: string): ChoiceRule => ({
  And: [
    present(path),
    { Variable: path, IsString: true },
    { Not: { Variable: path, StringEquals: '' } },
    { Not: { Or: RESERVED_ABORT_REASONS.map((reason) => ({ Variable: path, StringEquals: reason })) } },
  ],
});
const GIVABLE_REASON_RULE = `a VOTE_ABORT reason must be a built-in reason or a team's own, never ${RESERVED_ABORT_REASONS.join(', ')}`;

/** A judged answer: `verdict` is YES or the abort vote; `kind` is COMMIT, READ (both yes), LOCK (a lock conflict) or NO. */
const verdict = (kind: 'COMMIT' | 'READ' | 'LOCK' | 'NO', vote?: Json): Record<string, Json> => ({ verdict: vote ?? 'YES', kind });

/**
 * Abort path only: look at each answer and say why it is not a yes. The Choice order is the rule
 * order: an answer must name this transaction, then carry a known vote, then (for a no) a known reason.
 */
const judgeVotes: MapState = {
  Type: 'Map',
  Comment: 'The commit condition failed with no decision logged: judge each answer, naming the participant and the rule it broke.',
  ItemsPath: '$.prepared.answers',
  ItemSelector: { 'participant.$': '$$.Map.Item.Value.participant.name', 'reply.$': '$$.Map.Item.Value.reply', 'txnId.$': '$.txnId' },
  ItemProcessor: {
    ProcessorConfig: { Mode: 'INLINE' },
    StartAt: 'JudgeAnswer',
    States: {
      JudgeAnswer: {
        Type: 'Choice',
        Choices: [
          { Not: { And: [present('$.reply.answer.txnId'), { Variable: '$.reply.answer.txnId', IsString: true }] }, Next: 'AnswerWithoutTxnId' },
          { Not: { Variable: '$.reply.answer.txnId', StringEqualsPath: '$.txnId' }, Next: 'AnswerForAnotherTxn' },
          { ...equals('$.reply.answer.vote', 'VOTE_COMMIT'), Next: 'AnswerIsCommit' },
          { ...equals('$.reply.answer.vote', 'READ_ONLY'), Next: 'AnswerIsReadOnly' },
          { And: [equals('$.reply.answer.vote', 'VOTE_ABORT'), equals('$.reply.answer.reason', 'LOCK_CONFLICT')], Next: 'AnswerIsLockConflict' },
          { And: [equals('$.reply.answer.vote', 'VOTE_ABORT'), givableReason('$.reply.answer.reason')], Next: 'AnswerIsNo' },
          { ...equals('$.reply.answer.vote', 'VOTE_ABORT'), Next: 'AnswerWithUnknownReason' },
        ],
        Default: 'AnswerWithUnknownVote',
      },
      AnswerIsCommit: { Type: 'Pass', Result: verdict('COMMIT'), End: true },
      AnswerIsReadOnly: { Type: 'Pass', Result: verdict('READ'), End: true },
      AnswerIsNo: {
        Type: 'Pass',
        Parameters: verdict('NO', { 'participant.$': '$.participant', 'reason.$': '$.reply.answer.reason', rule: 'the participant voted VOTE_ABORT' }),
        End: true,
      },
      AnswerIsLockConflict: {
        Type: 'Pass',
        Parameters: verdict('LOCK', abortVote('LOCK_CONFLICT', 'an item is locked by another prepared transaction', '$.participant')),
        End: true,
      },
      AnswerWithoutTxnId: {
        Type: 'Pass',
        Parameters: verdict('NO', abortVote('INVALID_ANSWER', 'a prepare answer must be an object whose txnId is a string', '$.participant')),
        End: true,
      },
      AnswerForAnotherTxn: {
        Type: 'Pass',
        Parameters: verdict('NO', abortVote('INVALID_ANSWER', "the answer's txnId is not this transaction's", '$.participant')),
        End: true,
      },
      AnswerWithUnknownReason: {
        Type: 'Pass',
        Parameters: verdict('NO', abortVote('INVALID_ANSWER', GIVABLE_REASON_RULE, '$.participant')),
        End: true,
      },
      AnswerWithUnknownVote: {
        Type: 'Pass',
        Parameters: verdict('NO', abortVote('INVALID_ANSWER', 'vote must be VOTE_COMMIT, VOTE_ABORT or READ_ONLY', '$.participant')),
        End: true,
      },
    },
  },
  // One verdict and one kind per participant, so neither list is ever empty.
  ResultSelector: { 'verdicts.$': '$[*].verdict', 'kinds.$': '$[*].kind' },
  ResultPath: '$.judged',
  Next: 'WeighAnswers',
};

/**
 * 1 when the value is true, else 0: a number, which a JSONPath filter can compare on a nested field
 * in every engine here (asl-path-validator accepts only numbers there).
 */
const asNumber = (bool: string) => `States.MathAdd(States.ArrayLength(States.ArrayUnique(States.Array(false, ${bool}))), -1)`;

/**
 * 1 for an answer with a VOTE_COMMIT that did not commit in one phase, else 0, in 8 intrinsic calls
 * (AWS allows 10 in a field). The pair "one phase? yes?" written as text is 'falsetrue' exactly for
 * such an answer: beside 'falsetrue' it makes one distinct value (1 -> 1) and otherwise two (2 -> 0).
 */
const NEEDS_COMMIT = `States.ArrayGetItem(States.Array(0, 1, 0), States.ArrayLength(States.ArrayUnique(States.Array('falsetrue', States.Format('{}{}', States.ArrayContains($..*, '${ONE_PHASE_TOKEN}'), States.ArrayContains($..*, 'VOTE_COMMIT'))))))`;

/**
 * The prepare message as the participant receives it: the iteration's Payload with the operations from
 * `participant` (see PrepareAll's ItemSelector). Its timeoutSeconds stays where TimeoutSecondsPath looks,
 * both in the state input (AWS) and after Parameters (the local engine).
 */
const PREPARE_PAYLOAD: Json = {
  'action.$': '$.Payload.action',
  'txnId.$': '$.Payload.txnId',
  'operations.$': '$.participant.operations',
  'timeoutSeconds.$': '$.Payload.timeoutSeconds',
};

/**
 * Markers the Prepare task adds beside each answer, so that `$[*].reply..vote` and `..txnId` always
 * match something: the local engine fails a path that matches nothing, and a garbage answer must
 * turn into an abort vote, not a failed execution. The txnId marker is not a valid txnId.
 */
const FLOOR = { vote: 'READ_ONLY', txnId: '.' };

/**
 * The question a lost or unreadable one-phase answer needs: an abort, which fails with
 * Pakka.CommittedInOnePhase (and changes nothing) if the participant committed, and otherwise aborts or
 * leaves the tombstone that stops a late one-phase commit. Retried like phase 2.
 */
function askOnePhaseOutcome(comment: string, payload: { [key: string]: Json }, next: { committed: string; unknown: string }): Omit<TaskState, 'Next' | 'End'> {
  return {
    Type: 'Task',
    Comment: comment,
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { 'FunctionName.$': PARTICIPANT_FUNCTION, ...payload },
    TimeoutSecondsPath: '$.Payload.timeoutSeconds',
    ResultPath: null,
    Retry: PHASE_TWO_RETRY,
    Catch: [
      { ErrorEquals: [PAKKA_ERROR.committedInOnePhase], ResultPath: null, Next: next.committed },
      { ErrorEquals: ['States.ALL'], ResultPath: null, Next: next.unknown },
    ],
  };
}

/** Where a one-phase transaction goes when its outcome cannot be asked: recovery asks later (OnePhaseLeftToRecovery). */
const ONE_PHASE_IN_DOUBT: FailState = {
  Type: 'Fail',
  Error: PAKKA_ERROR.onePhaseInDoubt,
  Cause: 'the only writing participant could not be asked whether it committed',
};

export function twoPhaseCommit(variant: CoordinatorVariant): StateMachineDefinition {
  const states: States = {
    PrepareAll: {
      Type: 'Map',
      Comment:
        'Phase 1: every participant prepares in parallel. A raised no (Pakka.VoteAbort.<REASON>), a timeout or a failure ends the phase at once; every other answer is kept for the commit point to judge. The Lambda payload but its operations is built here so that TimeoutSecondsPath finds $.Payload.timeoutSeconds both in the state input (AWS) and after Parameters (the local engine); the Prepare task adds the operations from the participant, so that the answers kept after this state carry them once.',
      ItemsPath: '$.participants',
      MaxConcurrency: PARTICIPANT_CALLS_AT_ONCE,
      ItemSelector: {
        'participant.$': '$$.Map.Item.Value',
        // Carried in each answer, so that CommitAll (whose input is the answers) can open the transaction to recovery.
        'openPartition.$': '$.logShards.open',
        // The phase by name (the action is chosen by intrinsics), as the console reads a Map's phase.
        phase: PHASE_MARKERS.prepare,
        // The payload but its operations, which `participant` already carries: every answer is kept in the
        // state after PrepareAll, and a second copy of the operations there cost a third of Step Functions'
        // 256 KiB at the largest request. The Prepare task adds them.
        Payload: {
          // commitOnePhase when the API found this the only participant with anything to write (ParticipantInput.onePhase).
          'action.$': pick(['prepare', 'commitOnePhase'], '$$.Map.Item.Value.onePhase'),
          'txnId.$': '$.txnId',
          'timeoutSeconds.$': '$$.Map.Item.Value.prepareTimeoutSeconds',
        },
      },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'Prepare',
        States: {
          Prepare: {
            Type: 'Task',
            Comment:
              'Ask one participant to prepare: hold its items under their business rules and vote. The answer is kept whole, whatever its shape; the commit point judges it.',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { 'FunctionName.$': PARTICIPANT_FUNCTION, Payload: PREPARE_PAYLOAD },
            TimeoutSecondsPath: '$.Payload.timeoutSeconds',
            // $..* always matches (StatusCode is there), so a garbage answer cannot fail this selector.
            // A one-phase commit needs no phase 2: needsCommit is 0 for it, onePhase 1.
            ResultSelector: {
              'answer.$': '$.Payload',
              'needsCommit.$': NEEDS_COMMIT,
              'onePhase.$': asNumber(`States.ArrayContains($..*, '${ONE_PHASE_TOKEN}')`),
              floor: FLOOR,
            },
            ResultPath: '$.reply',
            Retry: PREPARE_RETRY,
            Catch: [
              // Listed by name, never by pattern: a name outside the list (an unknown reason) stays a failed prepare.
              { ErrorEquals: [...BUILT_IN_VOTE_ABORT_ERRORS], ResultPath: '$.failure', Next: 'PrepareVotedAbort' },
              { ErrorEquals: [TEAM_VOTE_ABORT_ERROR], ResultPath: '$.failure', Next: 'ReadTeamReason' },
              // Sandbox.Timedout: the function's own timeout (set just below the task's) ended the call.
              { ErrorEquals: ['States.Timeout', LAMBDA_TIMED_OUT], ResultPath: '$.failure', Next: 'PrepareTimedOut' },
              { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'PrepareFailed' },
            ],
            End: true,
          },
          PrepareVotedAbort: {
            Type: 'Pass',
            Comment:
              "The participant's no, raised as Pakka.VoteAbort.<REASON> (as Pakka's own participant functions raise every no but LOCK_CONFLICT), ends the prepare phase at once. Its reason is the last part of the error name.",
            Parameters: {
              'participant.$': '$.participant.name',
              'reason.$': "States.ArrayGetItem(States.StringSplit($.failure.Error, '.'), 2)",
              rule: 'the participant voted VOTE_ABORT',
            },
            ResultPath: '$.vote',
            Next: 'EncodeAbortVote',
          },
          ReadTeamReason: {
            Type: 'Pass',
            Comment:
              "A team's own reason, raised as Pakka.VoteAbort.TEAM with the reason alone as the message. A Lambda function's error reaches the state machine with its Cause a JSON object of errorType and errorMessage (AWS Step Functions developer guide, 'Handling error conditions'), so one parse reads it.",
            Parameters: { 'lambdaError.$': 'States.StringToJson($.failure.Cause)' },
            ResultPath: '$.raised',
            Next: 'JudgeTeamReason',
          },
          JudgeTeamReason: {
            Type: 'Choice',
            Choices: [{ ...givableReason('$.raised.lambdaError.errorMessage'), Next: 'PrepareVotedTeamAbort' }],
            Default: 'TeamReasonInvalid',
          },
          PrepareVotedTeamAbort: {
            Type: 'Pass',
            Comment: "The team's no ends the prepare phase at once, as a raised no with a built-in reason does.",
            Parameters: { 'participant.$': '$.participant.name', 'reason.$': '$.raised.lambdaError.errorMessage', rule: 'the participant voted VOTE_ABORT' },
            ResultPath: '$.vote',
            Next: 'EncodeAbortVote',
          },
          TeamReasonInvalid: {
            Type: 'Pass',
            Comment: 'A raised team no without a reason it may give is a broken answer: still a no, recorded as INVALID_ANSWER.',
            Parameters: abortVote('INVALID_ANSWER', `a raised ${TEAM_VOTE_ABORT_ERROR} must carry the reason as its message: ${GIVABLE_REASON_RULE}`) as Record<
              string,
              Json
            >,
            ResultPath: '$.vote',
            Next: 'EncodeAbortVote',
          },
          PrepareTimedOut: {
            Type: 'Pass',
            Comment: 'No answer in time counts as a no. The participant may still prepare late; the abort phase reaches it.',
            Parameters: abortVote('TIMEOUT', "no answer within the participant's prepare timeout") as Record<string, Json>,
            ResultPath: '$.vote',
            Next: 'AnswerLost',
          },
          PrepareFailed: {
            Type: 'Pass',
            Comment: 'A failure that retries did not cure counts as a no.',
            Parameters: abortVote('ERROR', 'the prepare call failed after its retries') as Record<string, Json>,
            ResultPath: '$.vote',
            Next: 'AnswerLost',
          },
          AnswerLost: {
            Type: 'Choice',
            Comment:
              "A lost prepare answer is a no, but a lost one-phase answer may hide a commit: that participant's own write is the decision, so its outcome is learnt, never presumed (docs/design.md, coordinator step 2).",
            Choices: [{ ...equals('$.Payload.action', 'commitOnePhase'), Next: 'LearnOnePhaseOutcome' }],
            Default: 'EncodeAbortVote',
          },
          LearnOnePhaseOutcome: {
            ...askOnePhaseOutcome(
              'Abort, to learn the outcome: an abort that finds the transaction committed in one phase changes nothing and says so (Pakka.CommittedInOnePhase); otherwise it aborts or writes the tombstone, so a late one-phase commit can no longer happen.',
              {
                Payload: {
                  action: 'abort',
                  'txnId.$': '$.Payload.txnId',
                  'operations.$': '$.participant.operations',
                  'timeoutSeconds.$': '$.Payload.timeoutSeconds',
                },
              },
              { committed: 'CommittedInOnePhase', unknown: 'OnePhaseOutcomeUnknown' },
            ),
            Next: 'EncodeAbortVote',
          },
          CommittedInOnePhase: {
            Type: 'Pass',
            Comment: 'The participant had committed: its answer is as a one-phase yes would have been.',
            Parameters: {
              answer: { vote: 'VOTE_COMMIT', 'txnId.$': '$.Payload.txnId', committed: ONE_PHASE_TOKEN },
              needsCommit: 0,
              onePhase: 1,
              floor: FLOOR,
            },
            ResultPath: '$.reply',
            End: true,
          },
          OnePhaseOutcomeUnknown: {
            ...ONE_PHASE_IN_DOUBT,
            Comment: 'Neither the one-phase answer nor the abort got through: the transaction is left to recovery, which learns its outcome the same way.',
          },
          EncodeAbortVote: { Type: 'Pass', Parameters: { 'cause.$': 'States.JsonToString($.vote)' }, Next: 'VoteAbort' },
          VoteAbort: {
            Type: 'Fail',
            Comment: 'A raised no, or a participant that cannot answer, ends the prepare phase early: the Map stops and the abort decision follows.',
            Error: PAKKA_ERROR.voteAbort,
            CausePath: '$.cause',
          },
        },
      },
      ResultSelector: {
        'answers.$': '$',
        'votes.$': '$[*].reply..vote',
        'txnIds.$': '$[*].reply..txnId',
        // Read only once the commit condition held, when needsCommit tells VOTE_COMMIT (1) from READ_ONLY (0); onePhase marks who committed alone.
        ballot: { 'names.$': '$[*].participant.name', 'needsCommit.$': '$[*].reply.needsCommit', 'onePhase.$': '$[*].reply.onePhase' },
        'anyNeedsCommit.$': 'States.ArrayContains($[*].reply.needsCommit, 1)',
        'anyOnePhase.$': 'States.ArrayContains($[*].reply.onePhase, 1)',
      },
      ResultPath: '$.prepared',
      Catch: [
        { ErrorEquals: [PAKKA_ERROR.voteAbort], ResultPath: '$.prepareFailure', Next: 'ReadAbortVote' },
        { ErrorEquals: [PAKKA_ERROR.onePhaseInDoubt], ResultPath: '$.prepareFailure', Next: 'OnePhaseLeftToRecovery' },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.prepareFailure', Next: 'CoordinatorVotesAbort' },
      ],
      Next: 'PhaseTwoNeeded',
    },
    PhaseTwoNeeded: {
      Type: 'Choice',
      Comment:
        'A participant that committed alone (one-phase commit) has nothing left to hear: its receipt is logged and the transaction is final. Everything else goes to the commit point.',
      // The two-phase case first: the console, which infers a path from the log item alone, then prefers it where both could fit.
      Choices: [
        {
          Or: [
            { Variable: '$.prepared.anyNeedsCommit', BooleanEquals: true },
            { Variable: '$.prepared.anyOnePhase', BooleanEquals: false },
          ],
          Next: 'LogCommitDecision',
        },
      ],
      Default: 'LogOnePhaseCommit',
    },
    LogCommitDecision: {
      ...commitDecision(
        'The commit point, and the first and only write of the log item on the happy path. Its condition also checks the votes: it holds only if every participant answered VOTE_COMMIT or READ_ONLY for this txnId. A failed condition (a no, a malformed answer, or a decision logged first by recovery, an operator or a twin execution) goes to ReadLoggedDecision.',
        false,
      ),
      Next: 'CommitAll',
    },
    ReadAbortVote: {
      Type: 'Pass',
      Parameters: { 'vote.$': 'States.StringToJson($.prepareFailure.Cause)' },
      ResultPath: '$.abort',
      Next: 'LogAbortDecision',
    },
    CoordinatorVotesAbort: {
      Type: 'Pass',
      Comment: 'The prepare phase itself failed, or the answers could not be judged: the coordinator votes no.',
      Result: {
        vote: { participant: 'coordinator', reason: 'ERROR' satisfies CoordinatorAbortReason, rule: 'the coordinator could not complete the prepare phase' },
      },
      ResultPath: '$.abort',
      Next: 'OnePhaseAbortGate',
    },
    ReadLoggedDecision: {
      Type: 'Task',
      Comment:
        'A decision write failed its condition: read whether a decision is logged (then obey it, if it was logged for this same request) or the votes were not all yes.',
      Resource: 'arn:aws:states:::dynamodb:getItem',
      Parameters: { TableName: LOG, Key: key, ConsistentRead: true, ...logProjection('decision', 'requestDigest') },
      ResultPath: '$.logged',
      Retry: DYNAMO_RETRY,
      Next: 'FollowLoggedDecision',
    },
    FollowLoggedDecision: {
      Type: 'Choice',
      Choices: [
        // The same txnId decided for another request (an execution started with a different body): this one changes nothing.
        {
          And: [present('$.logged.Item.requestDigest.S'), { Not: { Variable: '$.logged.Item.requestDigest.S', StringEqualsPath: '$.requestDigest' } }],
          Next: 'AnotherRequest',
        },
        { ...equals('$.logged.Item.decision.S', 'ABORT'), Next: 'AbortAll' },
        // Every answer was READ_ONLY or a one-phase commit: there is nobody to deliver COMMIT to (and CommitAll needs someone).
        {
          And: [
            equals('$.logged.Item.decision.S', 'COMMIT'),
            present('$.prepared.anyNeedsCommit'),
            { Variable: '$.prepared.anyNeedsCommit', BooleanEquals: false },
          ],
          Next: 'NothingToDeliver',
        },
        { And: [equals('$.logged.Item.decision.S', 'COMMIT'), present('$.prepared.answers')], Next: 'CommitAll' },
        { ...equals('$.logged.Item.decision.S', 'COMMIT'), Next: 'DecidedElsewhere' },
        { And: [{ Not: present('$.logged.Item.decision') }, present('$.prepared.answers')], Next: 'JudgeVotes' },
      ],
      Default: 'DecisionUnreadable',
    },
    AnotherRequest: {
      Type: 'Pass',
      Comment: 'Another request owns this txnId and its decision is logged: this execution delivers nothing.',
      Parameters: { 'txnId.$': '$.txnId', status: 'DUPLICATE_START' },
      End: true,
    },
    DecidedElsewhere: {
      Type: 'Pass',
      Comment: 'Another party logged COMMIT while this execution was aborting, without this execution knowing the votes: that party (or recovery) delivers it.',
      Parameters: { 'txnId.$': '$.txnId', decision: 'COMMIT', status: 'DECIDED_ELSEWHERE' },
      End: true,
    },
    NothingToDeliver: {
      Type: 'Pass',
      Comment:
        'COMMIT is logged for this same request and no participant waits for it (each answered READ_ONLY or committed in one phase): the transaction is final, as this execution would have left it.',
      // `delivered` tells this end from the commit path's (the console infers a path from such literals).
      Result: { decision: 'COMMIT', status: 'COMMITTED', delivered: 'NOTHING' },
      End: true,
    },
    DecisionUnreadable: {
      Type: 'Fail',
      Error: PAKKA_ERROR.decisionUnreadable,
      Cause: 'The logged decision is neither COMMIT nor ABORT; recovery will resolve the transaction.',
    },
    JudgeVotes: judgeVotes,
    WeighAnswers: {
      Type: 'Pass',
      Parameters: {
        'anyNo.$': "States.ArrayContains($.judged.kinds, 'NO')",
        'anyLock.$': "States.ArrayContains($.judged.kinds, 'LOCK')",
        'anyCommit.$': "States.ArrayContains($.judged.kinds, 'COMMIT')",
        // The verdicts with the YES entries collapsed into one: the first abort vote is [0], or [1] after a YES.
        'distinct.$': 'States.ArrayUnique($.judged.verdicts)',
      },
      ResultPath: '$.weighed',
      Next: 'RetryOnLockConflict',
    },
    RetryOnLockConflict: {
      Type: 'Choice',
      Comment:
        'Locks are no-wait: when every no is a lock conflict, prepare is tried once more, briefly, then a conflict counts as a no. No deadlock is possible.',
      Choices: [
        {
          And: [
            { Variable: '$.weighed.anyNo', BooleanEquals: false },
            { Variable: '$.weighed.anyLock', BooleanEquals: true },
            { Variable: '$.lockRetries.left', NumericGreaterThan: 0 },
          ],
          Next: 'WaitForLock',
        },
        {
          And: [
            { Variable: '$.weighed.anyNo', BooleanEquals: false },
            { Variable: '$.weighed.anyLock', BooleanEquals: false },
            { Variable: '$.weighed.anyCommit', BooleanEquals: false },
          ],
          Next: 'CommitReadOnly',
        },
        // Every answer is a yes, yet the commit condition failed: the coordinator votes no rather than guess.
        {
          And: [
            { Variable: '$.weighed.anyNo', BooleanEquals: false },
            { Variable: '$.weighed.anyLock', BooleanEquals: false },
          ],
          Next: 'CoordinatorVotesAbort',
        },
        { Variable: '$.weighed.distinct[0]', IsString: true, Next: 'ReadSecondVerdict' },
      ],
      Default: 'ReadFirstVerdict',
    },
    ReadFirstVerdict: { Type: 'Pass', Parameters: { 'vote.$': '$.weighed.distinct[0]' }, ResultPath: '$.abort', Next: 'OnePhaseAbortGate' },
    ReadSecondVerdict: { Type: 'Pass', Parameters: { 'vote.$': '$.weighed.distinct[1]' }, ResultPath: '$.abort', Next: 'OnePhaseAbortGate' },
    CommitReadOnly: {
      ...logTask('Every participant voted READ_ONLY: the transaction commits with nothing to deliver, so it is final at once.', READ_ONLY_COMMIT, {
        ...requestPaths('COMMITTED'),
        ballot: 'States.JsonToString($.prepared.ballot)',
      }),
      Catch: [{ ErrorEquals: CONDITION_FAILED, ResultPath: null, Next: 'ReadLoggedDecision' }],
      ...outcome('COMMIT', 'COMMITTED'),
      End: true,
    },
    WaitForLock: { Type: 'Wait', Seconds: 1, Next: 'CountLockRetry' },
    CountLockRetry: {
      Type: 'Pass',
      Parameters: { 'left.$': 'States.MathAdd($.lockRetries.left, -1)' },
      ResultPath: '$.lockRetries',
      Next: 'PrepareAll',
    },
    LogAbortDecision: {
      ...logTask(
        'Log ABORT, exactly once, with the vote that caused it and the rule it broke: the first and only write of the log item on the happy path.',
        ABORT_DECISION,
        { ...requestPaths('ABORTING'), reason: '$.abort.vote.reason', by: '$.abort.vote.participant', rule: '$.abort.vote.rule' },
      ),
      Catch: [{ ErrorEquals: CONDITION_FAILED, ResultPath: null, Next: 'ReadLoggedDecision' }],
      Next: 'AbortAll',
    },
    CommitAll: phaseTwo(PHASE_MARKERS.commit, {
      // READ_ONLY voters are filtered out here (InputPath), not by a Choice per participant; ResultPath still writes into the whole input.
      inputPath: '$.prepared.answers[?(@.reply.needsCommit == 1)]',
      itemsPath: '$',
      participant: '$$.Map.Item.Value.participant',
      txnId: '$$.Map.Item.Value.Payload.txnId',
      openPartition: '$$.Map.Item.Value.openPartition',
    }),
    AbortAll: phaseTwo(PHASE_MARKERS.abort, {
      itemsPath: '$.participants',
      participant: '$$.Map.Item.Value',
      txnId: '$.txnId',
      openPartition: '$.logShards.open',
    }),
    // The one-phase commit's own states, after the two-phase ones (the console finds a phase's Map by its first literal).
    LogOnePhaseCommit: {
      ...commitDecision(
        "The one-phase commit's receipt: the participant's own write was the decision, and this logs it as COMMIT with the request, so the API, the listings and the outcome events see the transaction like any other.",
        true,
      ),
      ...outcome('COMMIT', 'COMMITTED'),
      End: true,
    },
    OnePhaseLeftToRecovery: {
      ...logTask(
        "The only writing participant's outcome is unknown: log the request without a decision, in the open index, marked onePhase. Recovery then learns the outcome from the participant (an abort that answers Pakka.CommittedInOnePhase or ABORTED) and logs it; it never presumes abort here.",
        ONE_PHASE_LEFT_TO_RECOVERY,
        { ...requestPaths('PREPARING'), open: '$.logShards.open' },
      ),
      Catch: [{ ErrorEquals: CONDITION_FAILED, ResultPath: null, Next: 'ReadLoggedDecision' }],
      ResultSelector: { status: 'LEFT_TO_RECOVERY' },
      ResultPath: '$.outcome',
      OutputPath: '$.outcome',
      End: true,
    },
    OnePhaseAbortGate: {
      Type: 'Choice',
      Comment:
        "Abort path only: an answer the coordinator cannot read, or a failed prepare phase, says nothing of a one-phase commit, which may have happened. That participant's write is the decision, so it is asked before ABORT is logged.",
      // A participant's own no (any other reason) was recorded by it: there is nothing to learn.
      Choices: [
        {
          And: [
            { Variable: '$.participants[0].onePhase', BooleanEquals: true },
            { Or: COORDINATOR_ABORT_REASONS.map((reason) => equals('$.abort.vote.reason', reason)) },
          ],
          Next: 'LearnBeforeAbort',
        },
      ],
      Default: 'LogAbortDecision',
    },
    LearnBeforeAbort: {
      Type: 'Map',
      Comment:
        'Abort, to learn the outcome (as LearnOnePhaseOutcome does in the prepare phase): ABORTED, or Pakka.CommittedInOnePhase. A Map of the one participant, so that its Lambda payload and timeout are built as in every other phase.',
      ItemsPath: '$.participants',
      MaxConcurrency: PARTICIPANT_CALLS_AT_ONCE,
      ItemSelector: {
        'participant.$': '$$.Map.Item.Value',
        // Not the abort phase: the console tells a Map's phase by this literal.
        phase: 'learnOnePhaseOutcome',
        Payload: {
          action: 'abort',
          'txnId.$': '$.txnId',
          'operations.$': '$$.Map.Item.Value.operations',
          'timeoutSeconds.$': '$$.Map.Item.Value.prepareTimeoutSeconds',
        },
      },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'AskOnePhaseOutcome',
        States: {
          AskOnePhaseOutcome: {
            ...askOnePhaseOutcome(
              'The same question as LearnOnePhaseOutcome, asked on the abort path.',
              { 'Payload.$': '$.Payload' },
              {
                committed: 'OnePhaseWasCommitted',
                unknown: 'OnePhaseStillUnknown',
              },
            ),
            End: true,
          },
          OnePhaseWasCommitted: { Type: 'Fail', Error: PAKKA_ERROR.committedInOnePhase, Cause: 'the participant had committed the transaction in one phase' },
          OnePhaseStillUnknown: ONE_PHASE_IN_DOUBT,
        },
      },
      ResultPath: null,
      Catch: [
        { ErrorEquals: [PAKKA_ERROR.committedInOnePhase], ResultPath: null, Next: 'LogLearntCommit' },
        { ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'OnePhaseLeftToRecovery' },
      ],
      Next: 'LogAbortDecision',
    },
    LogLearntCommit: {
      ...logTask('The participant had committed in one phase: log COMMIT, its receipt, with that participant as the one yes.', LEARNT_ONE_PHASE_COMMIT, {
        ...requestPaths('COMMITTING'),
        ballot: `States.Format('${ONE_PHASE_BALLOT}', $.participants[0].name)`,
      }),
      Catch: [{ ErrorEquals: CONDITION_FAILED, ResultPath: null, Next: 'ReadLoggedDecision' }],
      ...outcome('COMMIT', 'COMMITTED'),
      End: true,
    },
  };
  return {
    Comment: `Pakka: two-phase commit over Lambda participants, presumed abort (${variant} workflow). Generated from statemachines/source/twoPhaseCommit.ts; do not edit by hand.`,
    StartAt: 'PrepareAll',
    TimeoutSeconds: EXECUTION_TIMEOUT_SECONDS[variant],
    States: states,
  };
}
