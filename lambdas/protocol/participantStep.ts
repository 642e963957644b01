/**
 * One participant step, for every runtime: (stored state + message) → (effects to write, answer, next state).
 * Modelled on etcd raft's pure `Step`: no I/O here. The runtime's edge (lambdas/participants/participantDriver.ts)
 * performs the effects in order, each write conditioned on the state this step saw; when a condition fails it
 * reads the state again and steps again, and what the edge learns on the way (a prepare refused by a business
 * rule, the team's own vote) comes back as a message of its own.
 *
 * Two holders share it. `items`: Pakka's runtime over built-in and user-defined kinds, whose holds live in
 * DynamoDB items written atomically with the record. `team`: the barrier, whose holds live in a team's own
 * system, so the team's prepare, commit and abort are effects too and a PREPARING intent comes first. The
 * rules themselves stay in ./participantState.ts and ./barrierState.ts; this module only sequences them.
 */
import { afterLostIntent, afterTeamPrepare, onBarrierAbort, onBarrierCommit, onBarrierPrepare, type TeamVote } from './barrierState.js';
import {
  type BarrierRecordState,
  ONE_PHASE_COMMITTED,
  type PhaseTwoStep,
  type ProtocolViolationCode,
  type RecordFacts,
  type RepeatedVote,
  isAnotherRequest,
  onAbort,
  onCommit,
  onRepeatedPrepare,
} from './participantState.js';
import type { AbortReason } from './vote.js';

export type Holder = 'items' | 'team';

/** The part of any participant's stored record a step depends on. */
export interface ParticipantFacts extends Omit<RecordFacts, 'state'> {
  state: BarrierRecordState;
  /** The record keeps a redo list it was PREPARED with (not a vote-abort record, not a tombstone). */
  redo?: boolean;
  /**
   * A hold that lives in its item (./heldIntent.ts): the record is decided but the item still holds the
   * entry `P` (a crash came between the two writes), so a repeat sends the item write again.
   */
  itemBehind?: boolean;
  /**
   * A hold that lives in its item: the item's entry is the outcome and its record is still to write. Either
   * the participant's own no (an `A` entry with its reason), whose record the abort that follows writes (the
   * API's status reads records), or a one-phase commit's `C` entry (a crash came after the item write), whose
   * record a delivery that learns the outcome writes first, so the entry can be forgotten later.
   */
  recordBehind?: boolean;
  /**
   * A hold in the item, committed in one phase: the record is a claim (PREPARED, `onePhase`), put by a
   * `commitOnePhase` before its one item write, and not yet made final. Whoever else finds it resolves it (a fence
   * in the item, then the record made final with the outcome the item shows) before anything is answered.
   */
  claimed?: boolean;
}

export interface PrepareMessage {
  action: 'prepare';
  digest: string;
  /** commitOnePhase: a yes is committed in the same write. */
  onePhase: boolean;
  /** Every operation only checks: nothing is held, nothing is recorded. */
  readOnly: boolean;
}

export type ParticipantMessage =
  | PrepareMessage
  | { action: 'commit'; digest: string | undefined; readOnly: boolean }
  | { action: 'abort'; digest: string | undefined }
  /** From the edge: the items' conditions refused this prepare (a business rule or another's lock). */
  | { action: 'refused'; prepare: PrepareMessage; reason: AbortReason }
  /** From the edge: the team's own prepare answered. */
  | { action: 'teamVoted'; digest: string; vote: TeamVote };

/** Which hold the team's abort is given. */
export type HoldSource = 'stored' | 'voted' | 'none';

export type ParticipantEffect =
  /** items: the record (PREPARED, or COMMITTED in one phase) and every item's hold, one atomic write where no record exists. */
  | { write: 'prepare'; onePhase: boolean }
  /** items: the read-only checks, where no tombstone exists; writes nothing. */
  | { write: 'check' }
  /** PREPARED → COMMITTED | ABORTED, with the same digest (items: applying or releasing the holds with it). */
  | { write: 'decide'; outcome: 'COMMITTED' | 'ABORTED' }
  /** An ABORTED record where none exists: the participant's own no (with its reason), or a null abort's tombstone. */
  | { write: 'aborted'; reason: AbortReason | undefined; onePhase: boolean }
  /** items, a hold in its item: the record of a one-phase commit whose entry is already the decision. */
  | { write: 'onePhaseRecord' }
  /** items, a hold in its item: fence a claimed one-phase record's item and make the record final; then step again. */
  | { write: 'resolveClaim' }
  /** items: after an abort, the items its prepare created and nobody committed go again. */
  | { write: 'releaseProvisional' }
  /** team: PREPARING, where no record exists, before the team's prepare runs. */
  | { write: 'intent' }
  /** team: PREPARING → PREPARED, keeping the team's hold. */
  | { write: 'preparedFromIntent' }
  /** team: PREPARING → ABORTED, with the team's reason when it voted no. */
  | { write: 'abortedFromIntent'; reason: AbortReason | undefined }
  /** team: READ_ONLY leaves nothing behind. */
  | { write: 'dropIntent' }
  | { call: 'prepare' }
  | { call: 'commit' }
  | { call: 'abort'; hold: HoldSource };

export type StepAnswer =
  | { kind: 'vote'; vote: RepeatedVote }
  | { kind: 'outcome'; outcome: 'COMMITTED' | 'ABORTED' | 'READ_ONLY'; repeated: boolean }
  | { kind: 'violation'; code: ProtocolViolationCode }
  /** An abort of a transaction this participant committed alone: the outcome, not a violation. */
  | { kind: 'committedInOnePhase' }
  /** What the step saw cannot be answered from (an intent vanished): the caller retries later. */
  | { kind: 'transient'; why: string }
  /** The answer comes with a later message (the team's vote, reported by the edge). */
  | { kind: 'pending' };

export interface ParticipantStep {
  /** Performed in order; any write whose condition fails ends the step, and the edge reads and steps again. */
  effects: ParticipantEffect[];
  answer: StepAnswer;
  /** The state the effects leave, when a later message of the same delivery steps from it. */
  next?: ParticipantFacts;
}

const answered = (answer: StepAnswer, effects: ParticipantEffect[] = []): ParticipantStep => ({ effects, answer });
const violation = (code: ProtocolViolationCode): ParticipantStep => answered({ kind: 'violation', code });
const vote = (v: RepeatedVote, effects: ParticipantEffect[] = []): ParticipantStep => answered({ kind: 'vote', vote: v }, effects);
const outcome = (o: 'COMMITTED' | 'ABORTED' | 'READ_ONLY', repeated: boolean, effects: ParticipantEffect[] = []): ParticipantStep =>
  answered({ kind: 'outcome', outcome: o, repeated }, effects);

/** A built-in runtime's record is never PREPARING: only the barrier writes that intent. */
function itemsFacts(
  state: ParticipantFacts | undefined,
): (RecordFacts & Pick<ParticipantFacts, 'redo' | 'itemBehind' | 'recordBehind' | 'claimed'>) | undefined {
  if (state === undefined) return undefined;
  if (state.state === 'PREPARING') throw new Error('a PREPARING record in a table of Pakka-held items: only a barrier participant writes one');
  return { ...state, state: state.state };
}

function fromRepeatedPrepare(state: RecordFacts & Pick<ParticipantFacts, 'recordBehind'>, digest: string): ParticipantStep {
  const answer = onRepeatedPrepare(state, digest);
  return 'violation' in answer ? violation(answer.violation) : vote(answer, recordFirst(state));
}

/**
 * A one-phase outcome learnt from its item's entry alone is answered only once its record exists, so the entry
 * can be forgotten later. The own no's missing record is the abort's to write (its `decide`), not a repeated prepare's.
 */
const recordFirst = (state: (Pick<RecordFacts, 'state'> & Pick<ParticipantFacts, 'recordBehind'>) | undefined): ParticipantEffect[] =>
  state?.recordBehind && state.state === 'COMMITTED' ? [{ write: 'onePhaseRecord' }] : [];

function phaseTwo(
  rule: PhaseTwoStep,
  to: 'COMMITTED' | 'ABORTED',
  apply: ParticipantEffect[],
  nullAbort: ParticipantEffect[],
  repeat: ParticipantEffect[] = [],
  learnt: ParticipantEffect[] = [],
): ParticipantStep {
  switch (rule.kind) {
    case 'apply':
      return outcome(to, false, apply);
    case 'repeat':
      return outcome(to, true, repeat);
    case 'readOnlyCommit':
      return outcome('READ_ONLY', false);
    case 'nullAbort':
      return to === 'ABORTED' ? outcome('ABORTED', false, nullAbort) : violation('COMMIT_WITHOUT_PREPARE');
    case 'committedInOnePhase':
      return answered({ kind: 'committedInOnePhase' }, learnt);
    case 'violation':
      return violation(rule.code);
  }
}

/** The digest a message carries, to tell this request's claim from another's. */
function digestOf(message: ParticipantMessage): string | undefined {
  switch (message.action) {
    case 'prepare':
    case 'teamVoted':
      return message.digest;
    case 'refused':
      return message.prepare.digest;
    case 'commit':
    case 'abort':
      return message.digest;
  }
}

/**
 * A claimed one-phase record is no answer yet: the claimer's item write may or may not land. Any message of the same
 * request resolves it first (docs/design.md, "Claim first"), and the step that follows answers from the final record;
 * the answer here is only what a resolve that moved nothing would leave (never, as its finalize always moves the record).
 */
function resolvingClaim(state: RecordFacts, message: ParticipantMessage): ParticipantStep {
  if (isAnotherRequest(state, digestOf(message))) return violation('OPERATIONS_MISMATCH');
  return answered({ kind: 'transient', why: 'its one-phase claim was being resolved' }, [{ write: 'resolveClaim' }]);
}

function itemsStep(stored: ParticipantFacts | undefined, message: ParticipantMessage): ParticipantStep {
  const state = itemsFacts(stored);
  if (state?.claimed) return resolvingClaim(state, message);
  switch (message.action) {
    case 'prepare': {
      if (state) return fromRepeatedPrepare(state, message.digest);
      if (message.readOnly) return vote({ vote: 'READ_ONLY', reason: null }, [{ write: 'check' }]);
      const { onePhase, digest } = message;
      return {
        effects: [{ write: 'prepare', onePhase }],
        answer: { kind: 'vote', vote: { vote: 'VOTE_COMMIT', reason: null, ...(onePhase ? { committed: ONE_PHASE_COMMITTED } : {}) } },
        next: onePhase ? { state: 'COMMITTED', digest, onePhase: true } : { state: 'PREPARED', digest, redo: true },
      };
    }
    case 'refused': {
      if (state) return fromRepeatedPrepare(state, message.prepare.digest);
      // A lock conflict is "not now": the coordinator may retry prepare, so nothing is recorded. A check-only
      // participant records nothing either: its READ_ONLY vote left no record, so a late duplicate of that
      // prepare must not write ABORTED beside a transaction that committed. Any other no is final: recorded,
      // so a repeat answers the same and a late commit is refused.
      const effects: ParticipantEffect[] =
        message.reason === 'LOCK_CONFLICT' || message.prepare.readOnly
          ? []
          : [{ write: 'aborted', reason: message.reason, onePhase: message.prepare.onePhase }];
      return vote({ vote: 'VOTE_ABORT', reason: message.reason }, effects);
    }
    case 'commit':
      return phaseTwo(
        onCommit(state, message.digest, message.readOnly),
        'COMMITTED',
        [{ write: 'decide', outcome: 'COMMITTED' }],
        [],
        state?.itemBehind ? [{ write: 'decide', outcome: 'COMMITTED' }] : [],
      );
    case 'abort':
      return phaseTwo(
        onAbort(state, message.digest),
        'ABORTED',
        [{ write: 'decide', outcome: 'ABORTED' }, { write: 'releaseProvisional' }],
        // The tombstone makes a prepare that arrives after this abort vote VOTE_ABORT (anti-hanging).
        [{ write: 'aborted', reason: undefined, onePhase: false }],
        // An abort may have died before its item write (a hold in the item) or its clean-up: finish it.
        [
          ...(state?.itemBehind || (state?.recordBehind && state.state === 'ABORTED') ? [{ write: 'decide', outcome: 'ABORTED' } as const] : []),
          ...(state?.redo && state.voteReason === undefined ? [{ write: 'releaseProvisional' } as const] : []),
        ],
        recordFirst(state),
      );
    case 'teamVoted':
      throw new Error('teamVoted is a barrier message: items are held by Pakka, not by a team');
  }
}

function teamStep(state: ParticipantFacts | undefined, message: ParticipantMessage): ParticipantStep {
  switch (message.action) {
    case 'prepare': {
      const rule = onBarrierPrepare(state, message.digest);
      const intent: ParticipantFacts = { state: 'PREPARING', digest: message.digest };
      switch (rule.kind) {
        case 'writeIntent':
          return { effects: [{ write: 'intent' }, { call: 'prepare' }], answer: { kind: 'pending' }, next: intent };
        case 'resumeIntent':
          // An earlier delivery died after writing the intent: run the team's (idempotent) prepare again.
          return { effects: [{ call: 'prepare' }], answer: { kind: 'pending' }, next: intent };
        case 'answer':
          return vote(rule.answer);
        case 'violation':
          return violation(rule.code);
      }
      break;
    }
    case 'teamVoted': {
      const teamAnswer = { vote: message.vote.vote, reason: message.vote.vote === 'VOTE_ABORT' ? message.vote.reason : null };
      if (state?.state === 'PREPARING') {
        if (state.digest !== undefined && state.digest !== message.digest) return violation('OPERATIONS_MISMATCH');
        const next = afterTeamPrepare(message.vote);
        switch (next.kind) {
          case 'prepared':
            return vote(teamAnswer, [{ write: 'preparedFromIntent' }]);
          case 'undoThenAbort':
            // A no may leave a partial hold (one card of two authorized): undo it before the no is recorded.
            return vote(teamAnswer, [
              { call: 'abort', hold: 'none' },
              { write: 'abortedFromIntent', reason: next.reason },
            ]);
          case 'dropIntent':
            return vote(teamAnswer, [{ write: 'dropIntent' }]);
        }
      }
      // The intent was moved while the team's prepare ran.
      const lost = afterLostIntent(state, message.digest, message.vote);
      if ('retry' in lost) return answered({ kind: 'transient', why: 'its intent record vanished' });
      if ('violation' in lost) return violation(lost.violation);
      // An abort passed while the team's prepare ran; what that prepare held came after the abort's undo.
      return vote(lost.answer, lost.undo ? [{ call: 'abort', hold: 'voted' }] : []);
    }
    case 'commit':
      return phaseTwo(onBarrierCommit(state, message.digest), 'COMMITTED', [{ call: 'commit' }, { write: 'decide', outcome: 'COMMITTED' }], []);
    case 'abort': {
      const rule = onBarrierAbort(state, message.digest);
      // The team's prepare may have reached the external system before its delivery died: cancel, then record.
      if (rule.kind === 'undoIntent')
        return outcome('ABORTED', false, [
          { call: 'abort', hold: 'none' },
          { write: 'abortedFromIntent', reason: undefined },
        ]);
      return phaseTwo(
        rule,
        'ABORTED',
        [
          { call: 'abort', hold: 'stored' },
          { write: 'decide', outcome: 'ABORTED' },
        ],
        // The tombstone makes a prepare that arrives after this abort vote VOTE_ABORT without calling the team (anti-hanging).
        [{ write: 'aborted', reason: undefined, onePhase: false }],
      );
    }
    case 'refused':
      throw new Error('refused is reported by the items a prepare writes; a barrier holds none');
  }
}

/** The one participant step. */
export function participantStep(holder: Holder, state: ParticipantFacts | undefined, message: ParticipantMessage): ParticipantStep {
  return holder === 'items' ? itemsStep(state, message) : teamStep(state, message);
}
