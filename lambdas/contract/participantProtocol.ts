/**
 * The participant protocol as a versioned contract: what the coordinator sends a participant, what the
 * participant answers, and the error names it may raise. This is the one source; the JSON Schema under
 * `contract/` is generated from it, and the participant runtime validates its input with it.
 *
 * Versioning follows semver: a new optional field, answer field, vote reason or violation code is a
 * minor version; renaming or removing anything, or a new required field, is a major version and a new file.
 */
import { z } from 'zod';
import { BARRIER_RECORD_STATES, ONE_PHASE_COMMITTED, type ProtocolViolationCode } from '../protocol/participantState.js';
import { PAKKA_ERROR } from '../protocol/errorNames.js';
import {
  ABORT_REASONS,
  type BuiltInAbortReason,
  type CoordinatorAbortReason,
  TEAM_ABORT_REASON_PATTERN,
  type TeamAbortReason,
  VOTES,
  isBuiltInAbortReason,
  isCoordinatorAbortReason,
} from '../protocol/vote.js';

export const CONTRACT_VERSION = '1.3.0';

/** The messages of the contract, each under the name it has in the JSON Schema's `$defs`. */
export const contractRegistry = z.registry<{ id: string; description: string }>();

const TXN_ID = /^[A-Za-z0-9_-]{1,80}$/;

export const txnId = z
  .string()
  .regex(TXN_ID, 'txnId must be 1-80 letters, digits, _ or -')
  .describe('The transaction, unique per coordinator log; the Step Functions execution name.');

/**
 * `commitOnePhase` (1.2) is prepare for a transaction whose only participant with anything to write is
 * this one: a yes is committed at once, in the same atomic write, and that write is the decision. The
 * coordinator sends it only to participants whose runtime is Pakka's own; a runtime that treats it as
 * prepare (answering without `committed`) is taken through both phases as usual.
 */
export const ACTIONS = ['prepare', 'commit', 'abort', 'status', 'commitOnePhase'] as const;

export const participantRequest = z
  .strictObject({
    action: z.enum(ACTIONS),
    txnId,
    /** How long the coordinator waits for this answer; informational. */
    timeoutSeconds: z.number().int().positive().optional().describe('How long the coordinator waits for this answer; informational.'),
    /** Required for prepare; for commit and abort the stored redo list is used when absent. */
    operations: z
      .array(z.record(z.string(), z.unknown()))
      .optional()
      .describe(
        "This participant's operations, as its kind defines them. Required for prepare; for commit and abort the participant uses the list it recorded at prepare when absent.",
      ),
  })
  .register(contractRegistry, { id: 'ParticipantRequest', description: 'What the coordinator (or recovery, or an operator) sends a participant.' });
export type ParticipantRequest = z.infer<typeof participantRequest>;

/**
 * A VOTE_ABORT reason: one of the built-in reasons, or (1.3) a team's own, upper-case like them. A reader
 * of 1.2 that knows only the built-in list sees a team's reason as a string it does not know.
 */
export const abortReason = z
  .union([z.enum(ABORT_REASONS), z.string().regex(TEAM_ABORT_REASON_PATTERN, `a team's abort reason must match ${TEAM_ABORT_REASON_PATTERN.source}`)])
  .describe(
    `A built-in reason, or (1.3) a team's own reason matching ${TEAM_ABORT_REASON_PATTERN.source}. A participant never gives the coordinator's own reasons (INVALID_ANSWER, ERROR, TIMEOUT) nor OPERATOR.`,
  );

const answeredBy = {
  participant: z.string().min(1).describe("The participant's name in the config."),
  txnId,
};

/**
 * The answer to prepare. `reason` is set exactly when the vote is VOTE_ABORT; the JSON Schema states that
 * rule with if/then (see `contractDocument`), zod with the refinement below.
 */
export const prepareAnswer = z
  .object({
    ...answeredBy,
    vote: z.enum(VOTES),
    reason: abortReason.nullable().describe('Why the participant voted VOTE_ABORT; null with any other vote.'),
    committed: z
      .literal(ONE_PHASE_COMMITTED)
      .optional()
      .describe('Only in answer to commitOnePhase, with VOTE_COMMIT: the participant has committed the transaction itself, in one phase.'),
  })
  .refine((a) => (a.vote === 'VOTE_ABORT') === (a.reason !== null), {
    message: 'reason is required with VOTE_ABORT and must be null otherwise',
    path: ['reason'],
  })
  .register(contractRegistry, { id: 'PrepareAnswer', description: 'The vote. READ_ONLY means nothing was held and the participant is left out of phase 2.' });
export type PrepareAnswer = z.infer<typeof prepareAnswer>;

export const PHASE_TWO_OUTCOMES = ['COMMITTED', 'ABORTED', 'READ_ONLY'] as const;

export const phaseTwoAnswer = z
  .object({
    ...answeredBy,
    outcome: z.enum(PHASE_TWO_OUTCOMES),
    /** True when this delivery found the work already done (an idempotent repeat). */
    repeated: z.boolean().describe('True when this delivery found the work already done (an idempotent repeat).'),
  })
  .register(contractRegistry, { id: 'PhaseTwoAnswer', description: 'The acknowledgement of commit or abort.' });
export type PhaseTwoAnswer = z.infer<typeof phaseTwoAnswer>;

export const STATUS_STATES = [...BARRIER_RECORD_STATES, 'UNKNOWN'] as const;

export const statusAnswer = z
  .object({
    ...answeredBy,
    state: z.enum(STATUS_STATES).describe('The prepared-state record; UNKNOWN when the participant holds none for this transaction.'),
    lockedKeys: z.array(z.string()).describe('Items this transaction holds something on while PREPARED.'),
    voteReason: abortReason.nullable().describe("The participant's own VOTE_ABORT reason, if it voted no."),
    preparedAt: z.string().nullable(),
  })
  .register(contractRegistry, { id: 'StatusAnswer', description: 'What the participant holds for one transaction; read-only.' });
export type StatusAnswer = z.infer<typeof statusAnswer>;

/**
 * `inDoubt` (1.3) asks a participant that keeps its prepared state in its own store (a SQL database's
 * prepared transactions) which transactions it holds prepared, oldest first. Recovery asks it, so its
 * one sweep finishes them wherever it runs: on AWS the recovery function sits outside the team's VPC
 * and cannot read the database, but it can invoke the participant's function, which can. Only such a
 * participant answers it; Pakka reads the others' sparse `inDoubt` indexes itself.
 */
const instant = z.iso.datetime({ offset: true });

export const inDoubtRequest = z
  .strictObject({
    action: z.literal('inDoubt'),
    from: instant.optional().describe('Only transactions prepared at or after this instant.'),
    before: instant.optional().describe('Only transactions prepared no later than this instant.'),
    limit: z.number().int().min(1).max(1000).describe('At most this many, the oldest.'),
  })
  .register(contractRegistry, {
    id: 'InDoubtRequest',
    description: 'What recovery (or the API, through recovery) asks a participant that keeps its prepared state in its own store: what it holds prepared.',
  });
export type InDoubtRequest = z.infer<typeof inDoubtRequest>;

export const inDoubtAnswer = z
  .object({
    participant: z.string().min(1).describe("The participant's name in the config."),
    inDoubt: z
      .array(z.object({ txnId, inDoubtSince: instant.describe('When it was prepared; the epoch when the store does not say.') }))
      .describe('Prepared transactions, oldest first.'),
    exhausted: z.boolean().describe('True when nothing else matching the request is held prepared.'),
  })
  .register(contractRegistry, { id: 'InDoubtAnswer', description: 'The transactions a participant holds prepared (1.3), oldest first.' });
export type InDoubtAnswer = z.infer<typeof inDoubtAnswer>;

export type ParticipantAnswer = PrepareAnswer | PhaseTwoAnswer | StatusAnswer | InDoubtAnswer;

/** The answer each action must give; the coordinator checks an answer with the schema of its own action. */
export const answerOf = { prepare: prepareAnswer, commitOnePhase: prepareAnswer, commit: phaseTwoAnswer, abort: phaseTwoAnswer, status: statusAnswer } as const;

export const PROTOCOL_VIOLATION_CODES = [
  'COMMIT_AFTER_ABORT',
  'ABORT_AFTER_COMMIT',
  'COMMIT_WITHOUT_PREPARE',
  'OPERATIONS_MISMATCH',
] as const satisfies readonly ProtocolViolationCode[];
// A code added to ProtocolViolationCode without adding it here fails to compile, so the contract cannot lag behind.
const everyViolationCode: [Exclude<ProtocolViolationCode, (typeof PROTOCOL_VIOLATION_CODES)[number]>] extends [never] ? true : never = true;
void everyViolationCode;

/** The error names a participant raises (a Lambda's `errorType`), and what the coordinator does with each. */
export const PARTICIPANT_ERRORS = {
  [PAKKA_ERROR.protocolViolation]:
    'A commit after abort, an abort after commit, a commit without prepare, or a repeat with other operations. Nothing was changed; never retried; counted and alarmed.',
  [PAKKA_ERROR.transient]:
    'A failure worth retrying (throttling, a lost race, an unreachable external system). The coordinator retries with backoff and jitter.',
  [PAKKA_ERROR.invalidRequest]:
    "The request does not match this contract or the kind's operation schema. Never retried; a prepare that fails so counts as VOTE_ABORT.",
  [PAKKA_ERROR.committedInOnePhase]:
    'An abort reached a transaction the participant committed in one phase (1.2). Nothing was changed: the coordinator or recovery, which sent the abort to learn the outcome, logs COMMIT.',
} as const;
export const ERROR_NAMES = Object.keys(PARTICIPANT_ERRORS) as (keyof typeof PARTICIPANT_ERRORS)[];

/**
 * The built-in noes a participant may raise instead of answering: every reason of its own but LOCK_CONFLICT.
 * A lock conflict stays an answer because the coordinator retries prepare once when every no is a
 * conflict, and only the whole set of answers can tell it so. A team's own reason is raised too, under
 * one name (TEAM_VOTE_ABORT_ERROR).
 */
export type RaisedAbortReason = Exclude<BuiltInAbortReason, CoordinatorAbortReason | 'LOCK_CONFLICT'>;
const isRaisedAbortReason = (reason: BuiltInAbortReason): reason is RaisedAbortReason => reason !== 'LOCK_CONFLICT' && !isCoordinatorAbortReason(reason);
export const RAISED_ABORT_REASONS: readonly RaisedAbortReason[] = ABORT_REASONS.filter(isRaisedAbortReason);

/** The reason is the last part of the name, so the coordinator reads it with intrinsics (the name's third `.`-separated part). */
export const VOTE_ABORT_ERROR_PREFIX = `${PAKKA_ERROR.voteAbort}.`;
/**
 * A team's reasons are not known when the state machine is written, and a Catch lists names exactly, so
 * every team reason is raised under this one name with the reason alone as the message: the coordinator
 * reads it from the error's cause without parsing anything else the function wrote.
 */
export const TEAM_VOTE_ABORT_ERROR = PAKKA_ERROR.teamVoteAbort;
/** The error name a raised no with this reason leaves the function with. */
export const voteAbortErrorName = (reason: RaisedAbortReason | TeamAbortReason): string =>
  isBuiltInAbortReason(reason) ? `${VOTE_ABORT_ERROR_PREFIX}${reason}` : TEAM_VOTE_ABORT_ERROR;
/** The names of the raised noes with a built-in reason, read from the name itself. */
export const BUILT_IN_VOTE_ABORT_ERRORS: readonly string[] = RAISED_ABORT_REASONS.map(voteAbortErrorName);
/** Every name a raised no may have: the coordinator catches exactly these, so any other `Pakka.VoteAbort.*` is a failed prepare (ERROR). */
export const VOTE_ABORT_ERRORS: readonly string[] = [...BUILT_IN_VOTE_ABORT_ERRORS, TEAM_VOTE_ABORT_ERROR];

const VOTE_ABORT_ERROR_MEANING =
  "An optional way to answer a prepare with VOTE_ABORT (any built-in reason of the participant's own but LOCK_CONFLICT): fail with this name and the PrepareAnswer as JSON in the message. The coordinator counts it as that vote and ends the prepare phase at once, without waiting for the other participants. Answering the no as a PrepareAnswer stays valid; the decision then waits for every answer. Any other Pakka.VoteAbort.* name counts as a failed prepare (ERROR).";

const TEAM_VOTE_ABORT_ERROR_MEANING = `(1.3) The same, for a team's own reason: fail with this one name and the reason alone as the message (${TEAM_ABORT_REASON_PATTERN.source}). A message that is not such a reason, or is one of the coordinator's own reasons or OPERATOR, is recorded as INVALID_ANSWER.`;

const ERROR_TYPES = [...ERROR_NAMES, ...VOTE_ABORT_ERRORS];

export const participantError = z
  .object({
    errorType: z.enum(ERROR_TYPES as [string, ...string[]]),
    errorMessage: z
      .string()
      .describe(
        "For Pakka.ProtocolViolation it begins with the code, then a colon; for Pakka.VoteAbort.<REASON> it is the PrepareAnswer as JSON; for Pakka.VoteAbort.TEAM it is the team's reason alone.",
      ),
  })
  .register(contractRegistry, {
    id: 'ParticipantError',
    description:
      'How a failed Lambda invocation reports a Pakka error; any other errorType counts as a failure (VOTE_ABORT at prepare, retried at commit and abort).',
  });

/** The whole contract as one JSON Schema document, with each message under `$defs`. */
export function contractDocument(): Record<string, unknown> {
  // io 'input' describes what a reader must accept: answers may carry fields a later minor version adds.
  const { schemas } = z.toJSONSchema(contractRegistry, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw', uri: (id) => `#/$defs/${id}` });
  const defs: Record<string, unknown> = {};
  for (const message of [participantRequest, prepareAnswer, phaseTwoAnswer, statusAnswer, inDoubtRequest, inDoubtAnswer, participantError]) {
    const meta = contractRegistry.get(message);
    if (!meta) throw new Error('a contract message is not registered');
    // Each message is addressed by its place under $defs; a fragment-only $id is not valid JSON Schema.
    const { $schema: _draft, $id: _id, id: _name, ...json } = schemas[meta.id] as Record<string, unknown>;
    defs[meta.id] = { description: meta.description, ...json };
  }
  defs.PrepareAnswer = {
    ...(defs.PrepareAnswer as Record<string, unknown>),
    // The refinement above, in JSON Schema words.
    if: { properties: { vote: { const: 'VOTE_ABORT' } } },
    then: { properties: { reason: { type: 'string' } } },
    else: { properties: { reason: { type: 'null' } } },
  };
  defs.ProtocolViolationCode = { type: 'string', enum: [...PROTOCOL_VIOLATION_CODES] };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `urn:pakka:participant-protocol:${CONTRACT_VERSION.split('.')[0]}`,
    title: 'Pakka participant protocol',
    'x-pakka-contract-version': CONTRACT_VERSION,
    description:
      'A participant is sent a ParticipantRequest and answers the answer of its action (prepare: PrepareAnswer; commit and abort: PhaseTwoAnswer; status: StatusAnswer), or fails with a ParticipantError. A participant that keeps its prepared state in its own store also answers an InDoubtRequest with an InDoubtAnswer (1.3).',
    'x-pakka-errors': {
      ...PARTICIPANT_ERRORS,
      [`${VOTE_ABORT_ERROR_PREFIX}<REASON>`]: VOTE_ABORT_ERROR_MEANING,
      [TEAM_VOTE_ABORT_ERROR]: TEAM_VOTE_ABORT_ERROR_MEANING,
    },
    $defs: defs,
  };
}
