/*
 * Pakka's two-phase commit protocol, one transaction, for spin.
 * docs/model.md maps every step here to the state machine and the participant runtime.
 *
 * Parameters (spin -DNAME=value):
 *   N        participants, 2 or 3: participant 0 takes an exclusive lock, participant 1 reserves a
 *            debit (escrow) on a shared account, participant 2 (N=3) reserves a credit on the same account
 *   FAULTS   message faults the environment may inject: a request delayed (delivered any time later,
 *            or never), a request duplicated, an answer lost
 *   CRASHES  crashes of a coordinator execution or a sweep, at any step
 *   EXPRESS  1: a second execution of the same transaction may start (Express is at-least-once)
 *   ITEM_LAYOUT 1: participant 1 keeps its prepared state as an intent inside the account item
 *            (docs/design.md, "Holds that live in the item"): prepare sees only that entry; commit and
 *            abort write the transaction's record first, then the item, and may die in between; a
 *            finished entry is forgotten once its record says the same (STRAYS=0: and no prepare can
 *            still land)
 *   STRAYS   1 (the default with ITEM_LAYOUT, two-phase): the code's forgetting, which does not wait for
 *            prepares in flight: the horizon may pass while one still travels (a cold start that outlasts the
 *            coordinator's timeout, a duplicate Express execution in its prepare phase). A prepare that lands
 *            on a forgotten entry holds again (a stray); the stray guard on the commit and abort item write
 *            releases it, and recovery finds it through heldItems and drives the logged decision to it
 *   ONE_PHASE 1: the one-phase commit (docs/design.md, "One-phase commit"): participant 1 (the debit) is the
 *            transaction's only participant, and its commitOnePhase (the escrow's net change and its record
 *            COMMITTED, in the item layout a read of the record, then, none found, the entry C and then the
 *            record, with a crash possible between) is the decision. Every other answer is learnt by asking (an abort, answered
 *            Pakka.CommittedInOnePhase when it committed); the log's COMMIT follows such an answer, and
 *            recovery asks instead of presuming abort. Needs N=2 (participant 0 takes no part).
 *   A_BY_ENTRY_AGE 1 (ONE_PHASE, ITEM_LAYOUT): an A entry is forgotten by its own age, the code's rule until spin
 *            found a commit beside ABORTED (docs/model.md, "An A entry forgotten by its own age"); a mutant now
 *   CLAIM_FIRST 1 (ONE_PHASE, ITEM_LAYOUT): the claim-first commitOnePhase (docs/model.md, "Claim first"): the
 *            delivery claims the transaction's record (PENDING, where none exists), sends its item write once (the
 *            escrow's change and C where no entry of the transaction exists), and a delivery or abort that cannot
 *            tell resolves with a fence (A where no entry exists), then finalizes the record (PENDING -> outcome).
 *            A C goes once its record is COMMITTED; an A fence once its record is ABORTED and the claimer's single
 *            send is no longer in flight, or at once beside a COMMITTED record. A null abort (no record, no entry)
 *            writes its tombstone (an A without reason or k), then its record, the tombstone possibly slow (a fault); the
 *            tombstone goes as a fence does (the code's recordCoversEntry)
 *   FENCE_BESIDE_COMMIT_KEPT 1 (CLAIM_FIRST): the forgetting as first proposed, which keeps an A fence that landed
 *            after its C was forgotten (beside a COMMITTED record) for ever; a safety check (ENTRY_FORGETTABLE) fails
 *   TOMBSTONE_BESIDE_COMMIT_KEPT 1 (CLAIM_FIRST): a null abort's tombstone that landed after its C was forgotten (beside
 *            a COMMITTED record) is kept, as an unclaimed A beside a record of the other outcome is; it stays for ever
 *            (ENTRY_FORGETTABLE fails)
 *   WITHDRAWALS (CLAIM_FIRST, default 1): claims taken back in a run (the bound). A claimer whose item write was
 *            refused "not now" with nothing applied and nothing in flight (a full item, or a throttle the SDK gave up
 *            on) deletes its claim where it is still PENDING (the code's withdrawClaim), answers LOCK_CONFLICT, and
 *            the coordinator sends commitOnePhase once more (RetryOnLockConflict), which claims afresh. 0: none
 *   STUTTER  1 (a liveness run): a run that ends idles for ever, so that pan -f checks `live` on it (at the Clock);
 *            and (STRAYS) the sweepers never stop: recovery's sweep runs every minute for ever, so a stray that lands
 *            after the last sweep of a bounded run is still found through heldItems and released
 * Mutants (one safeguard removed, a counterexample expected):
 *   MUTANT_NO_WRITE_ONCE    the decision write without attribute_not_exists(decision)
 *   MUTANT_NO_TOMBSTONE     an abort with no record writes no ABORTED tombstone
 *   MUTANT_NO_ESCROW_CHECK  prepare debit without available >= amount
 *   MUTANT_NO_INTENT_CHECK  (ITEM_LAYOUT) prepare's item write without attribute_not_exists(intents.#t)
 *   MUTANT_PRESUME_ABORT    (ONE_PHASE) recovery presumes abort for a one-phase transaction instead of asking
 *   MUTANT_NO_STRAY_GUARD   (STRAYS) the commit item write applies a stray P entry as if it were the real one
 *   MUTANT_ONE_PHASE_NO_RECORD_READ (ONE_PHASE, ITEM_LAYOUT) commitOnePhase sends its item write without reading
 *                           the record first
 *   MUTANT_ONE_PHASE_YOUNG_RECORD (ONE_PHASE, ITEM_LAYOUT) a C entry goes as soon as its record exists, not once
 *                           the record is twice the horizon old
 *   MUTANT_CLAIM_RESEND     (CLAIM_FIRST) the claimer's item write may be sent twice (an SDK re-send)
 *   MUTANT_FENCE_YOUNG      (CLAIM_FIRST) an A fence goes as soon as its record is ABORTED, its claimer's send in flight
 *   MUTANT_TOMBSTONE_YOUNG  (CLAIM_FIRST) a null abort's tombstone goes as soon as its record is ABORTED, a claimer's
 *                           send still to land
 *   MUTANT_NO_CLAIM         (CLAIM_FIRST) commitOnePhase sends its item write without claiming the record first
 *   MUTANT_SEND_UNBOUNDED   (CLAIM_FIRST) the fence's wait counts a claimer's write from its send, as if a claimer could
 *                           send at any time after its claim
 *   MUTANT_WITHDRAW_IN_FLIGHT (CLAIM_FIRST) a claimer withdraws its claim after its item write got no answer, the write
 *                           still in flight
 */

#ifndef N
#define N 2
#endif
#ifndef FAULTS
#define FAULTS 1
#endif
#ifndef CRASHES
#define CRASHES 1
#endif
#ifndef EXPRESS
#define EXPRESS 1
#endif
#define NCOORD (1 + EXPRESS)
#ifndef ITEM_LAYOUT
#define ITEM_LAYOUT 0
#endif
#ifndef ONE_PHASE
#define ONE_PHASE 0
#endif
/* ONE_PHASE && ITEM_LAYOUT, 1: an A entry is forgotten as the code forgets it, by the entry's own age (the
   horizon); 0: as a one-phase C is, once its record exists and no delivery that read no record is in flight */
#ifndef A_BY_ENTRY_AGE
#define A_BY_ENTRY_AGE 0
#endif
/* A one-phase C entry that lands again after it was forgotten holds nothing for a later write to catch, so a
   one-phase run has no strays: its Forget waits for the deliveries that read no record (docs/model.md). */
#ifndef STRAYS
#define STRAYS (ITEM_LAYOUT && !ONE_PHASE)
#endif
#ifndef CLAIM_FIRST
#define CLAIM_FIRST 0
#endif
#if CLAIM_FIRST && !(ONE_PHASE && ITEM_LAYOUT)
#error CLAIM_FIRST needs ONE_PHASE=1 and ITEM_LAYOUT=1
#endif
#ifndef FENCE_BESIDE_COMMIT_KEPT
#define FENCE_BESIDE_COMMIT_KEPT 0
#endif
#ifndef TOMBSTONE_BESIDE_COMMIT_KEPT
#define TOMBSTONE_BESIDE_COMMIT_KEPT 0
#endif
#ifndef WITHDRAWALS
#define WITHDRAWALS CLAIM_FIRST
#endif
/* the first participant of the transaction: a one-phase one has participant 1 alone */
#define FIRST ONE_PHASE
#ifndef NSWEEP
#define NSWEEP 2
#endif
#ifndef STUTTER
#define STUTTER 0
#endif

/* the shared account: balance Q, debit and credit amounts, another transaction's debit, MAX */
#define BALANCE 2
#define DEBIT 1
#define CREDIT 1
#define OTHER_DEBIT 2
#define MAXQ 3

#define LOCK_RETRIES 1   /* RetryOnLockConflict -> WaitForLock -> PrepareAll, once */
#define PHASE2_TRIES 2   /* the Commit/Abort task's Retry, cut short: the fault budget bounds it anyway */

/* prepared-state record, RECORD_STATES plus "no record" */
#define R_NONE 0
#define R_PREPARED 1
#define R_COMMITTED 2
#define R_ABORTED 3
#define R_PENDING 4   /* CLAIM_FIRST: the record claimed by a commitOnePhase delivery, its outcome not written yet */

/* messages to a participant */
#define M_PREPARE 0
#define M_COMMIT 1
#define M_ABORT 2
#define M_COMMIT1 3   /* commitOnePhase */
#define IS_PREPARE(m) (m == M_PREPARE || m == M_COMMIT1)

/* what the caller sees */
#define A_TIMEOUT 0
#define A_YES 1
#define A_NO 2
#define A_LOCK_CONFLICT 3
#define A_ACK 4
#define A_VIOLATION 5
#define A_ONE 6       /* committed in one phase: commitOnePhase's yes, or an abort's Pakka.CommittedInOnePhase */

#define D_NONE 0
#define D_COMMIT 1
#define D_ABORT 2

#define L_FREE 0
#define L_TXN 1
#define L_OTHER 2

/* actors, for the message sequence chart printed on a replayed trail */
#define SWEEPER0 2
#define OPERATOR 4
#define NETWORK 5

/* coordinator log item */
bit logExists;
byte decision = D_NONE;
bit logFinal;

/* participants */
byte rec[N];
byte lock = L_FREE;
short balance = BALANCE;
short reserved = 0;
short incoming = 0;
short available = BALANCE;
short headroom = MAXQ - BALANCE;
bit otherHolds;      /* another transaction's prepared debit on the account */
/* ITEM_LAYOUT: rec[1] is participant 1's entry in the account item, recI its record (written at phase 2) */
byte recI = R_NONE;
bit inPrep[2];       /* coordinator e is in its prepare phase: a prepare of it may still land */
bit stray;           /* STRAYS: participant 1's P entry is a prepare that landed after its entry was forgotten.
                        The code tells it by time (its `at` is later than the record's time plus 5 s, which a
                        real P never is and a stray, landing at least the 10 s horizon after the decision,
                        always is); the model takes that comparison as given. */
bit otherDone;
#if ONE_PHASE && ITEM_LAYOUT
/* commitOnePhase deliveries that read no record and whose item write has not landed yet: one slot per coordinator
   execution, and NET_SLOT for a delayed one the network lands (one at a time) */
#define NET_SLOT 2
bit readNone[3];
#if A_BY_ENTRY_AGE
bit readBeforeA[3];  /* ... and that read before participant 1's A entry was written */
#endif
#endif
#if CLAIM_FIRST
/* each commitOnePhase delivery's next step (a slot per coordinator execution, NET_SLOT for a delayed or duplicated
   copy the network lands, one at a time) */
#define CF_IDLE 0
#define CF_CLAIM 1    /* put the record PENDING where none exists */
#define CF_WRITE 2    /* the item write, sent once */
#define CF_FENCE 3    /* resolve: A where no entry of the transaction exists */
#define CF_FIN_C 4    /* finalize: PENDING -> COMMITTED */
#define CF_FIN_A 5    /* finalize: PENDING -> ABORTED */
#define CF_WITHDRAW 6 /* take the claim back: delete the record where it is still this claim (PENDING) */
byte cf[3];
byte withdrawals = WITHDRAWALS;  /* claims that may still be taken back (the default, one, keeps the search small) */
bit tomb;            /* participant 1's A entry is a null abort's tombstone (no reason, no k), not a fence */
bit tombSent;        /* a null abort read no record and no entry, and its tombstone write has not landed yet (the
                        network lands it, then the abort's record put follows; its answer is lost to the caller) */
byte inflight;       /* claimers' item writes sent and not answered, which the network lands later (or never); one
                        at most, but for MUTANT_CLAIM_RESEND and MUTANT_NO_CLAIM */
/* A claimer's item write may still land: it was sent and travels, or its claimer has claimed and not sent it yet.
   What the fence's "no claimer's send still in flight" (the record twice the horizon old) must cover: the horizon
   counts from the claim. MUTANT_SEND_UNBOUNDED: only a write already sent. */
#ifdef MUTANT_SEND_UNBOUNDED
#define WRITE_MAY_LAND (inflight > 0)
#else
#define WRITE_MAY_LAND (inflight > 0 || cf[0] == CF_WRITE || cf[1] == CF_WRITE || cf[NET_SLOT] == CF_WRITE)
#endif
#endif

/* environment */
byte faults = FAULTS;
byte crashes = CRASHES;
byte delayed[N];     /* prepares in flight to participant p */
bit deadline;        /* the transaction's deadline (plus grace) has passed */
byte running;        /* coordinator executions started and not ended */

/* ghosts for the properties */
byte firstDecision = D_NONE;
bit hazard;          /* a participant refused a phase-2 message as a protocol violation */
byte applied;        /* times participant 1's debit was applied to the balance */

#define MSC(actor, target, what, arg) printf("MSC %d %d %d %d\n", actor, target, what, arg)
/* MSC what-codes: 0..2 a message, 10 answer, 20 log write (arg decision), 21 log read, 22 final,
   23 begin, 24 left to recovery, 25 crash, 26 delayed, 27 duplicated, 28 answer lost, 29 entry forgotten,
   30 a delayed commitOnePhase's item write (after its read found no record), 31 a claim withdrawn, 32 a claimer's
   item write unanswered, 33 a null abort's tombstone write slow (arg 0: its caller gets no answer; 1: it lands) */

/* participant 1 is in state s: its entry in the item says so, or that is forgotten and its record does (no ?: here: ltl takes none) */
#if CLAIM_FIRST
/* CLAIM_FIRST: committed is the debit applied (a C entry, forgotten or not) or the record COMMITTED; aborted is the
   record ABORTED. PENDING is neither, and an A fence is not an outcome: one can land after its C was forgotten. */
#define IS1(s) ((s == R_COMMITTED && (recI == R_COMMITTED || applied > 0)) || (s == R_ABORTED && recI == R_ABORTED))
#elif ITEM_LAYOUT
#define IS1(s) (rec[1] == s || (rec[1] == R_NONE && recI == s))
#else
#define IS1(s) (rec[1] == s)
#endif

#if ONE_PHASE
#define ALL_VOTED_YES (IS1(R_PREPARED) || IS1(R_COMMITTED))
#define SOME(s) IS1(s)
#if CLAIM_FIRST
#define ALL_FINAL (recI == R_COMMITTED || recI == R_ABORTED)
#else
#define ALL_FINAL (IS1(R_COMMITTED) || IS1(R_ABORTED))
#endif
#define NO_RECORD (rec[1] == R_NONE && recI == R_NONE)
#define CREDIT_HELD 0
#elif N == 2
#define ALL_VOTED_YES ((rec[0] == R_PREPARED || rec[0] == R_COMMITTED) && (IS1(R_PREPARED) || IS1(R_COMMITTED)))
#define SOME(s) (rec[0] == s || IS1(s))
#define ALL_FINAL ((rec[0] == R_COMMITTED || rec[0] == R_ABORTED) && (IS1(R_COMMITTED) || IS1(R_ABORTED)))
#define NO_RECORD (rec[0] == R_NONE && rec[1] == R_NONE && recI == R_NONE)
#define CREDIT_HELD 0
#else
#define ALL_VOTED_YES ((rec[0] == R_PREPARED || rec[0] == R_COMMITTED) && (IS1(R_PREPARED) || IS1(R_COMMITTED)) && (rec[2] == R_PREPARED || rec[2] == R_COMMITTED))
#define SOME(s) (rec[0] == s || IS1(s) || rec[2] == s)
#define ALL_FINAL ((rec[0] == R_COMMITTED || rec[0] == R_ABORTED) && (IS1(R_COMMITTED) || IS1(R_ABORTED)) && (rec[2] == R_COMMITTED || rec[2] == R_ABORTED))
#define NO_RECORD (rec[0] == R_NONE && rec[1] == R_NONE && recI == R_NONE && rec[2] == R_NONE)
#define CREDIT_HELD (rec[2] == R_PREPARED -> CREDIT : 0)
#endif

#ifdef MUTANT_NO_ESCROW_CHECK
#define FUNDS_FOR(a) true
#else
#define FUNDS_FOR(a) (available >= a)
#endif

/* What is held is exactly what the PREPARED records say is held: nothing else takes or releases it. */
#define HOLDS_MATCH_RECORDS (((rec[0] == R_PREPARED) == (lock == L_TXN)) && reserved == (rec[1] == R_PREPARED -> DEBIT : 0) + (otherHolds -> OTHER_DEBIT : 0) && incoming == CREDIT_HELD)
#define ESCROW_SOUND (available >= 0 && headroom >= 0 && reserved >= 0 && incoming >= 0 && available == balance - reserved && headroom == MAXQ - balance - incoming)
#define ATOMIC_OUTCOME (!(SOME(R_COMMITTED) && SOME(R_ABORTED)))
#define APPLIED_ONCE (applied <= 1)
#define STABLE_DECISION (decision == firstDecision)
/* A stray P may exist beside a final log until recovery finds it through heldItems and releases it. */
#if CLAIM_FIRST
#define NO_HANG (!logFinal || recI != R_PENDING)   /* no record left PENDING beside a final log */
#elif STRAYS && N == 2
#define NO_HANG (!logFinal || !SOME(R_PREPARED) || (stray && rec[0] != R_PREPARED))
#elif STRAYS
#define NO_HANG (!logFinal || !SOME(R_PREPARED) || (stray && rec[0] != R_PREPARED && rec[2] != R_PREPARED))
#else
#define NO_HANG (!logFinal || !SOME(R_PREPARED))
#endif
#if ONE_PHASE
/* One participant: atomicity is the log agreeing with it (the participant's write is the decision, the log its receipt). */
#define LOG_AGREES ((decision != D_ABORT || !SOME(R_COMMITTED)) && (decision != D_COMMIT || !SOME(R_ABORTED)))
#else
#define LOG_AGREES true
#endif
#if CLAIM_FIRST
/* The record and the log say what the balance says: COMMITTED (or a C entry, or a logged COMMIT) only with the debit
   applied. And every entry beside a final record, once no claimer's send is in flight, is one Forget removes: the
   forgetting leaves nothing behind for ever. */
#define FORGETTABLE_C (rec[1] == R_COMMITTED && recI == R_COMMITTED)
#define FORGETTABLE_FENCE (rec[1] == R_ABORTED && !tomb && (recI == R_ABORTED || (!FENCE_BESIDE_COMMIT_KEPT && recI == R_COMMITTED)))
/* a null abort's tombstone: beside ABORTED (once old enough), and beside COMMITTED, a record claimed first as every
   one-phase record is here (the code's recordCoversEntry) */
#define FORGETTABLE_TOMB (rec[1] == R_ABORTED && tomb && (recI == R_ABORTED || (!TOMBSTONE_BESIDE_COMMIT_KEPT && recI == R_COMMITTED)))
#define FORGETTABLE_A (FORGETTABLE_FENCE || FORGETTABLE_TOMB)
#define ENTRY_FORGETTABLE (!ALL_FINAL || WRITE_MAY_LAND || rec[1] == R_NONE || FORGETTABLE_C || FORGETTABLE_A)
#define CLAIM_SOUND (((recI != R_COMMITTED && rec[1] != R_COMMITTED && decision != D_COMMIT) || applied == 1) && ENTRY_FORGETTABLE)
#else
#define CLAIM_SOUND true
#endif
#define INVARIANT (ATOMIC_OUTCOME && STABLE_DECISION && HOLDS_MATCH_RECORDS && ESCROW_SOUND && NO_HANG && APPLIED_ONCE && LOG_AGREES && CLAIM_SOUND && !hazard)

/* I5: once faults stop, the transaction is final everywhere and nothing is held (or it never began). */
#if CLAIM_FIRST
/* ... and every entry of the transaction forgotten, no item write left in flight */
#define QUIET (otherDone && reserved == 0 && incoming == 0 && lock == L_FREE && rec[1] == R_NONE && inflight == 0 && !tombSent && ((logFinal && ALL_FINAL) || (!logExists && NO_RECORD)))
#else
#define QUIET (otherDone && reserved == 0 && incoming == 0 && lock == L_FREE && ((logFinal && ALL_FINAL) || (!logExists && NO_RECORD)))
#endif
ltl live { <> [] QUIET }

#define CRASHPOINT(actor) if :: crashes > 0 -> crashes--; MSC(actor, actor, 25, 0); goto crashed :: true -> skip fi

/* ---- participants: each action is one TransactWriteItems, so one atomic step ---- */

inline release(p, committing) {
  if
  :: p == 0 -> assert(lock == L_TXN); lock = L_FREE
  :: p == 1 && committing -> assert(reserved >= DEBIT); balance = balance - DEBIT; reserved = reserved - DEBIT; headroom = headroom + DEBIT; applied++
  :: p == 1 && !committing -> available = available + DEBIT; reserved = reserved - DEBIT
  :: p == 2 && committing -> assert(incoming >= CREDIT); balance = balance + CREDIT; available = available + CREDIT; incoming = incoming - CREDIT
  :: p == 2 && !committing -> incoming = incoming - CREDIT; headroom = headroom + CREDIT
  fi
}

/* What prepare's condition sees: the record, or (ITEM_LAYOUT, participant 1) the entry in the item. */
#if ITEM_LAYOUT && defined(MUTANT_NO_INTENT_CHECK)
#define SEEN(p) (p == 1 -> R_NONE : rec[p])
#else
#define SEEN(p) rec[p]
#endif

inline prepare(p, ans) {
  assert(logExists); /* findable by recovery before anything is held */
  if
  :: SEEN(p) == R_PREPARED || SEEN(p) == R_COMMITTED -> ans = A_YES   /* onRepeatedPrepare */
  :: SEEN(p) == R_ABORTED -> ans = A_NO                              /* a repeat, or late after an abort */
  :: SEEN(p) == R_NONE ->
     if
     :: p == 0 ->
        if
        :: lock != L_OTHER -> lock = L_TXN; rec[p] = R_PREPARED; ans = A_YES
        :: else -> ans = A_LOCK_CONFLICT                             /* nothing recorded: not now */
        fi
     :: p == 1 ->
        if
        :: FUNDS_FOR(DEBIT) -> available = available - DEBIT; reserved = reserved + DEBIT; rec[p] = R_PREPARED; ans = A_YES;
           if :: STRAYS && recI != R_NONE -> stray = 1 :: else -> skip fi  /* its entry was forgotten: a stray */
        /* refused: the edge reads again, and a record (the entry forgotten) is the answer; else the no is recorded */
        :: !FUNDS_FOR(DEBIT) && STRAYS && recI == R_COMMITTED -> ans = A_YES
        :: !FUNDS_FOR(DEBIT) && STRAYS && recI == R_ABORTED -> ans = A_NO
        :: !FUNDS_FOR(DEBIT) && !(STRAYS && recI != R_NONE) -> rec[p] = R_ABORTED; ans = A_NO  /* INSUFFICIENT_FUNDS, recorded */
        fi
     :: p == 2 ->
        if
        :: headroom >= CREDIT -> incoming = incoming + CREDIT; headroom = headroom - CREDIT; rec[p] = R_PREPARED; ans = A_YES
        :: else -> rec[p] = R_ABORTED; ans = A_NO                    /* LIMIT_EXCEEDED, recorded */
        fi
     fi
  fi
}

/* Participant 1's entry becomes A (a null abort's tombstone, or its own no). A_BY_ENTRY_AGE: the code's horizon
   counts from this write, so it covers the deliveries that read no record before it, and no later one. */
inline entryAborted() {
  rec[1] = R_ABORTED;
#if ONE_PHASE && ITEM_LAYOUT && A_BY_ENTRY_AGE
  readBeforeA[0] = readNone[0]; readBeforeA[1] = readNone[1]; readBeforeA[NET_SLOT] = readNone[NET_SLOT]
#endif
}

/* ONE_PHASE, participant 1: commitOnePhase, the escrow's net change (nothing is ever reserved) with the
   decision in one write; ITEM_LAYOUT: the entry C (one) in the item, then the record, and the invocation
   may die in between. A repeat that finds the entry alone writes the record before it answers. With
   ITEM_LAYOUT this is the delivery's second step, after readOnePhase found no record. */
inline commitOnePhase(ans) {
  assert(logExists);
  if
  :: SEEN(1) == R_COMMITTED -> onePhaseRecord(ans)
  :: SEEN(1) == R_ABORTED -> ans = A_NO                                /* a repeated no, or late after the learning abort */
  :: SEEN(1) == R_PREPARED -> ans = A_YES                              /* never: nothing prepares in two phases here */
  :: SEEN(1) == R_NONE ->
     if
     :: FUNDS_FOR(DEBIT) ->
        balance = balance - DEBIT; available = available - DEBIT; headroom = headroom + DEBIT; applied++;
        rec[1] = R_COMMITTED;
        if
        :: ITEM_LAYOUT && crashes > 0 -> crashes--; MSC(1, 1, 25, 0); ans = A_TIMEOUT  /* died before the record */
        :: else -> onePhaseRecord(ans)
        fi
     :: else -> entryAborted(); ans = A_NO                             /* INSUFFICIENT_FUNDS, recorded */
     fi
  fi
}

/* The one-phase record COMMITTED; its put's condition (attribute_not_exists, or the same state and digest)
   refuses it beside an ABORTED record, and the code's delivery fails (onePhaseRecord throws). */
inline onePhaseRecord(ans) {
#if ITEM_LAYOUT
  if
  :: recI == R_ABORTED -> ans = A_TIMEOUT
  :: else -> recI = R_COMMITTED; ans = A_ONE
  fi
#else
  ans = A_ONE
#endif
}

#if ONE_PHASE && ITEM_LAYOUT
/* commitOnePhase's first step, a step of its own: the consistent read of the record. Found: the delivery
   answers from it and writes nothing. None: readNone[slot] until its item write (commitOnePhase) lands. */
inline readOnePhase(slot, ans) {
#ifdef MUTANT_ONE_PHASE_NO_RECORD_READ
  readNone[slot] = 1
#else
  if
  :: recI == R_COMMITTED -> ans = A_ONE
  :: recI == R_ABORTED -> ans = A_NO
  :: recI == R_NONE -> readNone[slot] = 1
  fi
#endif
}

/* The delivery's item write, once it read no record. */
inline writeOnePhase(slot, ans) {
  readNone[slot] = 0;
#if A_BY_ENTRY_AGE
  readBeforeA[slot] = 0;
#endif
  commitOnePhase(ans)
}
#endif

#if CLAIM_FIRST
/* The claimer's item write where it lands: the escrow's net change and the entry C, on the condition that no entry of
   the transaction exists and the escrow bound holds. */
#define ITEM_WRITE_LANDS (rec[1] == R_NONE && FUNDS_FOR(DEBIT))
inline itemWriteLands() {
  balance = balance - DEBIT; available = available - DEBIT; headroom = headroom + DEBIT; applied++;
  rec[1] = R_COMMITTED
}

/* One step of the claim-first commitOnePhase delivery in slot `slot` (cf[slot] says which); ans is its answer once
   cf[slot] is back to CF_IDLE. Each step is one DynamoDB request; the participant may die before any but the claim
   (then the delivery answers nothing: the caller's timeout). */
inline claimFirstStep(slot, ans) {
  if
  :: cf[slot] != CF_CLAIM && crashes > 0 ->
     crashes--; MSC(1, 1, 25, 0);
     if :: cf[slot] == CF_WRITE -> inflight++ :: true -> skip fi;   /* died after sending its item write, or before */
     cf[slot] = CF_IDLE; ans = A_TIMEOUT
  :: true ->
     if
     :: cf[slot] == CF_CLAIM ->                                     /* 1. the claim: put PENDING where no record exists */
        assert(logExists);
#ifdef MUTANT_NO_CLAIM
        cf[slot] = CF_WRITE
#else
        if
        :: recI == R_NONE -> recI = R_PENDING; cf[slot] = CF_WRITE
        :: recI == R_PENDING -> cf[slot] = CF_FENCE                  /* another delivery's claim: resolve */
        :: recI == R_COMMITTED -> ans = A_ONE; cf[slot] = CF_IDLE     /* final: the answer, nothing written */
        :: recI == R_ABORTED -> ans = A_NO; cf[slot] = CF_IDLE
        fi
#endif
     :: cf[slot] == CF_WRITE ->                                     /* 2. the item write, sent once */
        if
        :: ITEM_WRITE_LANDS -> itemWriteLands(); cf[slot] = CF_FIN_C
        :: rec[1] == R_NONE && !FUNDS_FOR(DEBIT) -> cf[slot] = CF_FIN_A  /* the escrow bound: its own no, no entry */
        :: rec[1] != R_NONE -> cf[slot] = CF_FENCE  /* an entry of the transaction: resolve */
        :: faults > 0 -> faults--; inflight++; cf[slot] = CF_FENCE; MSC(1, 1, 32, 0)  /* no answer: resolve; it may land later */
#ifdef MUTANT_CLAIM_RESEND
        :: faults > 0 && ITEM_WRITE_LANDS -> faults--; inflight++; itemWriteLands(); cf[slot] = CF_FIN_C  /* re-sent: a copy still travels */
#endif
#if WITHDRAWALS
        /* refused "not now", whatever the item holds (a full item; a throttle or conflict the SDK gave up on, a 4xx):
           nothing applied, nothing travels, so the claim may go */
        :: withdrawals > 0 -> withdrawals--; cf[slot] = CF_WITHDRAW
#endif
#ifdef MUTANT_WITHDRAW_IN_FLIGHT
        :: faults > 0 && withdrawals > 0 -> faults--; withdrawals--; inflight++; cf[slot] = CF_WITHDRAW; MSC(1, 1, 32, 0)  /* no answer, withdrawn all the same */
#endif
        fi
     :: cf[slot] == CF_FENCE ->                                     /* 3. resolve: the fence */
        if
        :: rec[1] == R_NONE -> rec[1] = R_ABORTED; cf[slot] = CF_FIN_A  /* landed: the claimer's write can never land */
        :: rec[1] == R_COMMITTED -> cf[slot] = CF_FIN_C
        :: rec[1] == R_ABORTED -> cf[slot] = CF_FIN_A
        fi
     :: cf[slot] == CF_FIN_C || cf[slot] == CF_FIN_A ->             /* 4. finalize: PENDING -> outcome, else read the record */
#ifdef MUTANT_NO_CLAIM
        if :: recI == R_PENDING || recI == R_NONE -> recI = (cf[slot] == CF_FIN_C -> R_COMMITTED : R_ABORTED) :: else -> skip fi;
#else
        if
        :: recI == R_PENDING -> recI = (cf[slot] == CF_FIN_C -> R_COMMITTED : R_ABORTED)
        :: recI == R_COMMITTED || recI == R_ABORTED -> skip
        /* WITHDRAWALS: the claim this delivery resolved was taken back (a record is never removed otherwise). The delivery
           reads again and its entry answers: a C has its record written COMMITTED (onePhaseRecord, where none is), an A (a
           fence stays until a record is there to let it go) answers no and leaves the record to the abort that follows. */
        :: recI == R_NONE -> assert(WITHDRAWALS && rec[1] != R_NONE); if :: rec[1] == R_COMMITTED -> recI = R_COMMITTED :: else -> skip fi
        fi;
#endif
        ans = (recI == R_COMMITTED -> A_ONE : A_NO);
        cf[slot] = CF_IDLE
     :: cf[slot] == CF_WITHDRAW ->                                  /* 2b. withdraw: delete the claim if still PENDING */
        /* Only a claimer withdraws, and a claim leaves PENDING only by a finalize (for good) or its own claimer's
           withdrawal: a PENDING record here is this claimer's own (the code's condition, holdId = its landing).
           Resolved meanwhile: the record answers. */
        if
        :: recI == R_PENDING -> recI = R_NONE; ans = A_LOCK_CONFLICT; MSC(1, 1, 31, 0)
        :: recI == R_COMMITTED || recI == R_ABORTED -> ans = (recI == R_COMMITTED -> A_ONE : A_NO)
#ifdef MUTANT_NO_CLAIM
        :: recI == R_NONE -> ans = A_LOCK_CONFLICT                 /* no claim to take back */
#else
        :: recI == R_NONE -> assert(false)
#endif
        fi;
        cf[slot] = CF_IDLE
     fi
  fi
}

/* An abort (the coordinator's learning abort, a sweeper's, phase 2's) on participant 1 that finds a record or an entry
   (or reads again after its tombstone or its record was refused). A PENDING record is resolved in one step here
   (fence, finalize, the participant possibly dying between the two): the deliveries' own resolve, in steps of their
   own, has every interleaving that could come between. A withdrawal between the abort's fence and its finalize ends as
   one before the abort: the abort then finds no record and its fence's A, and writes the record ABORTED from it. */
inline abortFound(ans) {
  if
  /* A C without its record: none is there unless a claim was withdrawn with its write in flight
     (MUTANT_WITHDRAW_IN_FLIGHT). The code's abort reads the entry, so it answers Pakka.CommittedInOnePhase and
     writes the record from the entry. */
  :: recI == R_NONE && rec[1] == R_COMMITTED -> recI = R_COMMITTED; ans = A_ONE
  /* an A without its record (a fence whose claim was withdrawn, a tombstone whose abort died before its record): the
     record from the entry */
  :: recI == R_NONE && rec[1] == R_ABORTED -> recI = R_ABORTED; ans = A_ACK
  :: recI == R_COMMITTED -> ans = A_ONE                            /* Pakka.CommittedInOnePhase */
  :: recI == R_ABORTED -> ans = A_ACK
  :: recI == R_PENDING ->
     if :: rec[1] == R_NONE -> rec[1] = R_ABORTED :: else -> skip fi;  /* the fence */
     if
     :: crashes > 0 -> crashes--; MSC(1, 1, 25, 0); ans = A_TIMEOUT
     :: true -> recI = rec[1]; ans = (recI == R_COMMITTED -> A_ONE : A_ACK)  /* finalize from the entry */
     fi
  fi
}

/* The null abort's two writes, after it read no record and no entry (the code's `aborted`): the tombstone, an A
   without a reason or k, where the transaction has no entry; then the record ABORTED where none is. Either refused
   (the code's "moved"): the abort reads again and answers from what it finds (a claim is resolved, a final record
   answers). */
inline tombstoneLands(ans) {
  if
  :: rec[1] == R_NONE ->
     rec[1] = R_ABORTED; tomb = 1;
     if
     :: crashes > 0 -> crashes--; MSC(1, 1, 25, 0); ans = A_TIMEOUT   /* died before its record */
     :: true ->
        if
        :: recI == R_NONE -> recI = R_ABORTED; ans = A_ACK
        :: else -> abortFound(ans)                                  /* the record put refused */
        fi
     fi
  :: else -> abortFound(ans)                                        /* the tombstone refused by an entry */
  fi
}

/* An abort on participant 1. One that finds no record and no entry (the null abort) lands its tombstone at once, or
   (a fault) slowly: the tombstone write lands later, whenever the network lets it (tombSent), and the caller gets no
   answer. That gap is the code's, between the abort's read and its entry write: a claimer may claim, write its C,
   make its record COMMITTED and have its C forgotten meanwhile, and the tombstone then lands beside COMMITTED. */
inline abortClaimFirst(ans) {
  if
  :: recI == R_NONE && rec[1] == R_NONE ->
#ifdef MUTANT_NO_TOMBSTONE
     ans = A_ACK                                                    /* writes nothing */
#else
     if
     :: true -> tombstoneLands(ans)
     :: faults > 0 && !tombSent -> faults--; tombSent = 1; ans = A_TIMEOUT; MSC(1, 1, 33, 0)
     fi
#endif
  :: else -> abortFound(ans)
  fi
}

/* A commit reaches participant 1 only after a logged COMMIT, which follows its COMMITTED record. */
inline commitClaimFirst(ans) {
  if
  :: recI == R_COMMITTED -> ans = A_ACK
  :: else -> hazard = 1; ans = A_VIOLATION
  fi
}
#endif

/* ITEM_LAYOUT, participant 1: the record first, then the item; the invocation may die in between. */
inline commitItem(ans) {
#if CLAIM_FIRST
  commitClaimFirst(ans)
#else
  if
  :: recI == R_ABORTED || rec[1] == R_ABORTED -> hazard = 1; ans = A_VIOLATION  /* COMMIT_AFTER_ABORT */
  :: recI == R_NONE && rec[1] == R_NONE -> hazard = 1; ans = A_VIOLATION        /* COMMIT_WITHOUT_PREPARE */
  :: else ->
     assert(decision == D_COMMIT);
     recI = R_COMMITTED;
     if
     :: crashes > 0 -> crashes--; MSC(1, 1, 25, 0); ans = A_TIMEOUT
     :: true ->
        if
#ifndef MUTANT_NO_STRAY_GUARD
        :: rec[1] == R_PREPARED && stray -> release(1, 0); rec[1] = R_NONE; stray = 0  /* the stray guard: released, removed */
        :: rec[1] == R_PREPARED && !stray -> release(1, 1); rec[1] = R_COMMITTED       /* condition: the entry is P */
#else
        :: rec[1] == R_PREPARED -> release(1, 1); rec[1] = R_COMMITTED; stray = 0
#endif
        :: else -> skip                                                  /* done already, or forgotten */
        fi;
        ans = A_ACK
     fi
  fi
#endif
}

inline abortItem(ans) {
#if CLAIM_FIRST
  abortClaimFirst(ans)
#else
  if
  :: (recI == R_COMMITTED || (rec[1] == R_COMMITTED && recI == R_NONE)) && ONE_PHASE ->
     recI = R_COMMITTED;                                   /* the entry alone (a crash before the record): the record first */
     ans = A_ONE                                           /* Pakka.CommittedInOnePhase: the outcome, not a violation */
  :: (recI == R_COMMITTED || rec[1] == R_COMMITTED) && !ONE_PHASE -> hazard = 1; ans = A_VIOLATION  /* ABORT_AFTER_COMMIT */
  :: rec[1] == R_NONE && recI == R_NONE ->
     /* the null abort: the tombstone entry first, where a late prepare or commitOnePhase looks, then the record */
#ifndef MUTANT_NO_TOMBSTONE
     entryAborted();
#endif
     if
     :: crashes > 0 -> crashes--; MSC(1, 1, 25, 0); ans = A_TIMEOUT
     :: true -> recI = R_ABORTED; ans = A_ACK
     fi
  :: else ->
     recI = R_ABORTED;
     if
     :: crashes > 0 -> crashes--; MSC(1, 1, 25, 0); ans = A_TIMEOUT
     :: true ->
        if
        :: rec[1] == R_PREPARED && stray -> release(1, 0); rec[1] = R_NONE; stray = 0  /* the stray guard */
        :: rec[1] == R_PREPARED && !stray -> assert(decision == D_ABORT); release(1, 0); rec[1] = R_ABORTED
        :: else -> skip                                    /* done already, or forgotten */
        fi;
        ans = A_ACK
     fi
  fi
#endif
}

inline commit(p, ans) {
  if
  :: ITEM_LAYOUT && p == 1 -> commitItem(ans)
  :: !(ITEM_LAYOUT && p == 1) && rec[p] == R_PREPARED ->
     assert(decision == D_COMMIT); /* only the logged decision releases */
     release(p, 1); rec[p] = R_COMMITTED; ans = A_ACK
  :: !(ITEM_LAYOUT && p == 1) && rec[p] == R_COMMITTED -> ans = A_ACK                  /* repeat */
  :: !(ITEM_LAYOUT && p == 1) && rec[p] == R_ABORTED -> hazard = 1; ans = A_VIOLATION  /* COMMIT_AFTER_ABORT */
  :: !(ITEM_LAYOUT && p == 1) && rec[p] == R_NONE -> hazard = 1; ans = A_VIOLATION     /* COMMIT_WITHOUT_PREPARE */
  fi
}

inline abort(p, ans) {
  if
  :: ITEM_LAYOUT && p == 1 -> abortItem(ans)
  :: !(ITEM_LAYOUT && p == 1) && rec[p] == R_PREPARED ->
     assert(decision == D_ABORT);
     release(p, 0); rec[p] = R_ABORTED; ans = A_ACK
  :: !(ITEM_LAYOUT && p == 1) && rec[p] == R_ABORTED -> ans = A_ACK                    /* repeat */
  :: !(ITEM_LAYOUT && p == 1) && rec[p] == R_COMMITTED && ONE_PHASE -> ans = A_ONE        /* Pakka.CommittedInOnePhase */
  :: !(ITEM_LAYOUT && p == 1) && rec[p] == R_COMMITTED && !ONE_PHASE -> hazard = 1; ans = A_VIOLATION /* ABORT_AFTER_COMMIT */
  :: !(ITEM_LAYOUT && p == 1) && rec[p] == R_NONE ->                                    /* null abort */
#ifndef MUTANT_NO_TOMBSTONE
     rec[p] = R_ABORTED;                                    /* the tombstone: a late prepare votes no */
#endif
     ans = A_ACK
  fi
}

inline handle(p, m, ans) {
  if
  :: m == M_PREPARE -> prepare(p, ans)
  :: m == M_COMMIT -> commit(p, ans)
  :: m == M_ABORT -> abort(p, ans)
  :: m == M_COMMIT1 -> commitOnePhase(ans)
  fi
}

/* A Lambda invoke through the faulty network: delivered, delayed (later or never), duplicated, or its answer lost. */
inline invoke(actor, p, m, ans) {
  MSC(actor, p, m, 0);
  if
  :: handle(p, m, ans); MSC(p, actor, 10, ans)
  :: faults > 0 && IS_PREPARE(m) -> faults--; delayed[p]++; ans = A_TIMEOUT; MSC(actor, p, 26, m)
  :: faults > 0 && IS_PREPARE(m) -> faults--; handle(p, m, ans); delayed[p]++; MSC(actor, p, 27, m); MSC(p, actor, 10, ans)
  :: faults > 0 && !IS_PREPARE(m) -> faults--; ans = A_TIMEOUT; MSC(actor, p, 26, m)  /* request lost */
  :: faults > 0 && !IS_PREPARE(m) -> faults--; handle(p, m, ans); MSC(actor, p, 27, m); handle(p, m, ans); MSC(p, actor, 10, ans)
  :: faults > 0 -> faults--; handle(p, m, ans); ans = A_TIMEOUT; MSC(p, actor, 28, m)
  fi
}

/* Recovery's and the operator's phase 2: the decision to every participant at once (driveDecision's Promise.all). */
inline deliverAll(actor, d, i, ans, pending) {
  i = FIRST;
  do
  :: i < N ->
     invoke(actor, i, (d == D_COMMIT -> M_COMMIT : M_ABORT), ans);
     if :: ans == A_TIMEOUT -> pending = 1 :: else -> skip fi;
     i++
  :: else -> break
  od;
  i = 0; ans = 0
}

/* The conditional decision write, attribute_not_exists(decision); lost: d becomes the stored one when readBack. */
inline logDecision(actor, d, won) {
#ifdef MUTANT_NO_WRITE_ONCE
  won = 1;
#else
  won = (decision == D_NONE);
#endif
  if
  :: won ->
     assert(d != D_COMMIT || ALL_VOTED_YES); /* I3 validity, whoever writes */
     if :: firstDecision == D_NONE -> firstDecision = d :: else -> skip fi;
     decision = d
  :: else -> skip
  fi;
  MSC(actor, 9, 20, d * 10 + won)
}

/* MarkCommitted / MarkAborted: condition decision = :decision */
inline markFinal(actor, d) {
  assert(decision == d);
  logFinal = 1;
  MSC(actor, 9, 22, d)
}

/* ---- the coordinator: one execution of the state machine (two for Express) ---- */

#if ONE_PHASE
/* The answer is learnt by asking: an abort, retried like phase 2 (LearnOnePhaseOutcome, or on the abort path
   OnePhaseAbortGate's LearnBeforeAbort); A_ONE: it committed, A_ACK: it aborted (or the tombstone now stops a
   late commitOnePhase), A_TIMEOUT: still unknown. */
inline learn(actor, ans, tries) {
  tries = PHASE2_TRIES;
  do
  :: invoke(actor, 1, M_ABORT, ans);
     if
     :: ans == A_ONE || ans == A_ACK -> break
     :: else -> tries--; if :: tries == 0 -> break :: else -> skip fi
     fi
  od;
  tries = 0
}

#if ITEM_LAYOUT
/* The coordinator's commitOnePhase invoke in two steps, the network's faults as invoke's: fate 0 delivered,
   1 delayed (it lands later through the network, or never), 2 duplicated (a copy lands later), 3 answer lost. */
inline sendOnePhase(slot, ans, fate) {
  MSC(slot, 1, M_COMMIT1, 0);
  if
  :: fate = 0
  :: faults > 0 -> faults--; fate = 1
  :: faults > 0 -> faults--; fate = 2
  :: faults > 0 -> faults--; fate = 3
  fi;
  ans = A_TIMEOUT;
  if
  :: fate == 1 -> delayed[1]++; MSC(slot, 1, 26, M_COMMIT1)
#if CLAIM_FIRST
  :: fate == 2 -> delayed[1]++; MSC(slot, 1, 27, M_COMMIT1); cf[slot] = CF_CLAIM; claimFirstStep(slot, ans)  /* the copy may land beside it */
  :: fate != 1 && fate != 2 -> cf[slot] = CF_CLAIM; claimFirstStep(slot, ans)
#else
  :: else -> readOnePhase(slot, ans)
#endif
  fi
}

inline landOnePhase(slot, ans, fate) {
#if !CLAIM_FIRST
  if :: readNone[slot] -> writeOnePhase(slot, ans) :: else -> skip fi;
#endif
  if
  :: fate == 2 && CLAIM_FIRST -> MSC(1, slot, 10, ans)
  :: fate == 2 && !CLAIM_FIRST -> delayed[1]++; MSC(slot, 1, 27, M_COMMIT1); MSC(1, slot, 10, ans)
  :: fate == 3 -> ans = A_TIMEOUT; MSC(1, slot, 28, M_COMMIT1)
  :: fate == 0 -> MSC(1, slot, 10, ans)
  :: else -> skip
  fi;
  fate = 0
}
#endif

active [NCOORD] proctype Coordinator() {
  byte e = _pid;
  byte ans, d, tries;
  bit won;
#if ITEM_LAYOUT
  byte fate;
#endif
#if CLAIM_FIRST
  bit lockRetries = LOCK_RETRIES;
#endif

  if
  :: e == 0 -> running++
  :: e > 0 -> running++
  :: e > 0 -> goto notStarted
  fi;
  atomic {
    CRASHPOINT(e);
    if
    :: !logExists -> logExists = 1; MSC(e, 9, 23, 1)
    :: logExists && decision == D_NONE -> MSC(e, 9, 23, 2)
    :: else -> MSC(e, 9, 23, 0); goto done
    fi;
  }
  /* Prepare sends commitOnePhase to the only participant; JudgeAnswer, PhaseTwoNeeded */
#if CLAIM_FIRST
sendAgain:
#endif
  atomic {
    CRASHPOINT(e);
#if ITEM_LAYOUT
    sendOnePhase(e, ans, fate)       /* the record read (CLAIM_FIRST: the claim), a step of its own */
  }
#if CLAIM_FIRST
  do                                 /* the delivery's further steps, each a request of its own */
  :: atomic { cf[e] != CF_IDLE -> claimFirstStep(e, ans) }
  :: atomic { cf[e] == CF_IDLE -> break }
  od;
#endif
  atomic {
    landOnePhase(e, ans, fate);      /* the item write, when the read found no record */
    if :: ans == A_ONE -> d = D_COMMIT; goto decided :: else -> skip fi;  /* PhaseTwoNeeded -> LogOnePhaseCommit */
#if CLAIM_FIRST
    /* a withdrawn claim's LOCK_CONFLICT: RetryOnLockConflict -> WaitForLock -> PrepareAll, commitOnePhase once more
       (a throttle given up on is Pakka.Transient, which the Prepare task's Retry sends again: the same step) */
    if :: ans == A_LOCK_CONFLICT && lockRetries -> lockRetries = 0; goto sendAgain :: else -> skip fi
#endif
  }
  atomic {                           /* learning is another invocation: other steps come between */
#else
    invoke(e, 1, M_COMMIT1, ans);
    if :: ans == A_ONE -> d = D_COMMIT; goto decided :: else -> skip fi;  /* PhaseTwoNeeded -> LogOnePhaseCommit */
#endif
    /* AnswerLost -> LearnOnePhaseOutcome, or a no -> OnePhaseAbortGate */
    CRASHPOINT(e);
    learn(e, ans, tries);
    if
    :: ans == A_ONE -> d = D_COMMIT                   /* LogLearntCommit */
    :: ans == A_ACK -> d = D_ABORT                    /* LogAbortDecision */
    :: else -> MSC(e, 9, 24, 0); goto done            /* OnePhaseLeftToRecovery: logged without a decision */
    fi
  }
decided:
  atomic {
    CRASHPOINT(e);
    logDecision(e, d, won);
    if :: !won -> d = decision; MSC(e, 9, 21, d) :: else -> skip fi
  }
  atomic {
    CRASHPOINT(e);
    if
    :: d == D_COMMIT -> markFinal(e, d)                  /* nobody needs phase 2 */
    :: d == D_ABORT ->
       tries = PHASE2_TRIES;
       do
       :: invoke(e, 1, M_ABORT, ans);
          if
          :: ans == A_ACK || ans == A_VIOLATION -> markFinal(e, d); break
          :: else -> tries--; if :: tries == 0 -> MSC(e, 9, 24, d); break :: else -> skip fi
          fi
       od
    fi
  }
crashed:
done:
  running--;
notStarted:
  atomic {
    ans = 0; d = 0; tries = 0; won = 0;
#if CLAIM_FIRST
    lockRetries = 0
#endif
  }
}
#else
active [NCOORD] proctype Coordinator() {
  byte e = _pid;
  byte i, ans, d, tries;
  bit won, pending, allYes = 1, lockRetries = LOCK_RETRIES;

  if
  :: e == 0 -> running++
  :: e > 0 -> running++     /* a duplicate start of the same execution */
  :: e > 0 -> goto notStarted    /* ... or none */
  fi;
  /* BeginTransaction: attribute_not_exists(txnId) OR (executionArn = :self AND attribute_not_exists(decision)) */
  atomic {
    CRASHPOINT(e);
    if
    :: !logExists -> logExists = 1; MSC(e, 9, 23, 1)
    :: logExists && decision == D_NONE -> MSC(e, 9, 23, 2)
    :: else -> MSC(e, 9, 23, 0); goto done  /* AlreadyStarted */
    fi;
#if ITEM_LAYOUT
    inPrep[e] = 1
#endif
  }
  /* PrepareAll, one participant after another; a prepare still in flight when the map stops may land later */
  i = 0;
  do
  :: i < N ->
     atomic {
       CRASHPOINT(e);
       invoke(e, i, M_PREPARE, ans);                                  /* Prepare */
       if                                                            /* JudgeAnswer */
       :: ans == A_YES -> i++                                        /* Voted */
       :: ans == A_LOCK_CONFLICT && lockRetries > 0 -> lockRetries = 0  /* WaitForLock, CountLockRetry */
       :: else -> allYes = 0; i++;                                   /* PrepareTimedOut, PrepareFailed, RecordAbortVote */
          do                                                         /* the other branches of the Map were already sent */
          :: i < N -> if :: delayed[i]++ :: skip fi; i++
          :: else -> break
          od
       fi
     }
  :: else -> break
  od;
  /* LogCommitDecision / LogAbortDecision */
  atomic {
#if ITEM_LAYOUT
    inPrep[e] = 0;
#endif
    CRASHPOINT(e);
    d = (allYes -> D_COMMIT : D_ABORT);
    logDecision(e, d, won)
  }
  if
  :: !won ->
     atomic {
       CRASHPOINT(e);
       d = decision;                       /* ReadLoggedDecision */
       MSC(e, 9, 21, d);
       assert(d != D_NONE)                 /* FollowLoggedDecision never reaches DecisionUnreadable */
     }
  :: else -> skip
  fi;
  /* CommitAll / AbortAll: every participant (none is read-only here), retried, else left to recovery */
  i = 0;
  do
  :: i < N ->
     tries = PHASE2_TRIES;
     do
     :: atomic {
          CRASHPOINT(e);
          invoke(e, i, (d == D_COMMIT -> M_COMMIT : M_ABORT), ans);
          if
          :: ans == A_ACK || ans == A_VIOLATION -> break       /* Acknowledged / Refused */
          :: else -> tries--;
             if :: tries == 0 -> pending = 1; break :: else -> skip fi  /* LeftToRecovery */
          fi
        }
     od;
     i++
  :: else -> break
  od;
  atomic {
    CRASHPOINT(e);
    if
    :: pending -> MSC(e, 9, 24, d)          /* LogCommitLeftToRecovery / LogAbortLeftToRecovery */
    :: else -> markFinal(e, d)              /* MarkCommitted / MarkAborted */
    fi
  }
crashed:
done:
#if ITEM_LAYOUT
  inPrep[e] = 0;
#endif
  running--;
notStarted:
  atomic { i = 0; ans = 0; d = 0; tries = 0; won = 0; pending = 0; allYes = 0; lockRetries = 0 }
}
#endif

/* ---- recovery: two concurrent sweepers (beside live coordinators, which is the worst case) ---- */

active [NSWEEP] proctype Sweeper() {
  byte s = _pid - NCOORD + SWEEPER0;
  byte i, ans, d;
  bit won, pending;
end:
  do
  :: atomic {
       deadline && logExists && !logFinal ->  /* found through the open index, re-read consistently */
       CRASHPOINT(s);
       d = decision; MSC(s, 9, 21, d)
     }
     atomic {
       CRASHPOINT(s);
       if
#if ONE_PHASE && !defined(MUTANT_PRESUME_ABORT)
       :: d == D_NONE ->                                 /* a one-phase outcome is learnt from the participant, never presumed */
          invoke(s, 1, M_ABORT, ans);
          if
          :: ans == A_ONE -> logDecision(s, D_COMMIT, won); d = decision
          :: ans == A_ACK -> logDecision(s, D_ABORT, won); d = decision
          :: else -> pending = 1                         /* still unknown: the next sweep asks again */
          fi
#else
       :: d == D_NONE -> logDecision(s, D_ABORT, won); d = decision  /* presumed abort; a lost write returns the stored item */
#endif
       :: else -> skip
       fi;
       if :: d != D_NONE -> deliverAll(s, d, i, ans, pending) :: else -> skip fi;
       CRASHPOINT(s);
       if
       :: pending -> MSC(s, 9, 24, d)     /* recordPending: the next sweep tries again */
       :: else -> markFinal(s, d)
       fi;
       i = 0; ans = 0; d = 0; won = 0; pending = 0
     }
#if STRAYS
  /* a P entry older than the threshold, found through heldItems, of a transaction the log says is over:
     its logged decision goes to participant 1 again (the stray guard releases a stray) */
  :: atomic {
       deadline && logFinal && rec[1] == R_PREPARED ->
       CRASHPOINT(s);
       d = decision; MSC(s, 9, 21, d);
       invoke(s, 1, (d == D_COMMIT -> M_COMMIT : M_ABORT), ans);
       i = 0; ans = 0; d = 0
     }
  /* STUTTER: the sweep is periodic (every minute, for ever) and a stray may land after any bounded number of
     sweeps, so the sweepers stay: the branch above finds it whenever it lands. Without STUTTER (the safety runs)
     they stop once nothing is left for them; pan checks no liveness there. */
#if !STUTTER
  :: logFinal && delayed[1] == 0 && rec[1] != R_PREPARED -> break
#endif
#else
  :: logFinal -> break
#endif
  od;
  goto done;
crashed:
  atomic { i = 0; ans = 0; d = 0; won = 0; pending = 0 };
  goto end;
done:
  skip
}

/* ---- an operator's resolve: only while no decision is logged; a commit needs every yes confirmed ---- */

/* ONE_PHASE: an operator's resolve only makes recovery ask, which the sweepers do. */
#if !defined(NOOP) && !ONE_PHASE
active proctype Operator() {
  byte i, ans, d;
  bit won, pending;
  if
  :: skip
  :: atomic {
       logExists && decision == D_NONE && !logFinal && running == 0 ->  /* else COORDINATOR_RUNNING */
       if :: d = D_COMMIT :: d = D_ABORT fi;
       /* a commit needs every participant's status PREPARED or COMMITTED (it voted yes), else VOTES_UNKNOWN */
       if :: d == D_COMMIT && !ALL_VOTED_YES -> goto refused :: else -> skip fi
     }
     atomic {
       logDecision(OPERATOR, d, won);
       d = decision;  /* decideAndDrive obeys the stored decision */
       deliverAll(OPERATOR, d, i, ans, pending);
       if :: !pending -> markFinal(OPERATOR, d) :: else -> skip fi
     }
  fi;
refused:
  atomic { i = 0; ans = 0; d = 0; won = 0; pending = 0 }
}
#endif

/* ---- the environment ---- */

/* A delayed prepare lands whenever the network lets it (or never). Phase-2 messages carry the logged
   decision, which never changes, so a late one is the same step as a retry: they are not delayed here. */
#if ONE_PHASE
#define LANDS(p) commitOnePhase(ans)
#else
#define LANDS(p) prepare(p, ans)
#endif
#define DELIVER(p) :: atomic { delayed[p] > 0 -> delayed[p]--; LANDS(p); MSC(NETWORK, p, M_PREPARE, 1); ans = 0 }

active proctype Network() {
  byte ans;
end:
  do
  DELIVER(0)
#if CLAIM_FIRST
  /* a delayed or duplicated commitOnePhase, in its steps; and a claimer's item write that was sent and not answered */
  :: atomic { delayed[1] > 0 && cf[NET_SLOT] == CF_IDLE -> delayed[1]--; MSC(NETWORK, 1, M_COMMIT1, 1); cf[NET_SLOT] = CF_CLAIM; claimFirstStep(NET_SLOT, ans); ans = 0 }
  :: atomic { cf[NET_SLOT] != CF_IDLE -> claimFirstStep(NET_SLOT, ans); ans = 0 }
  :: atomic { inflight > 0 -> inflight--; if :: ITEM_WRITE_LANDS -> itemWriteLands() :: else -> skip fi; MSC(NETWORK, 1, 30, 0) }
  /* a null abort's slow tombstone write lands, and the abort's record put follows (its answer goes nowhere) */
  :: atomic { tombSent -> tombSent = 0; MSC(NETWORK, 1, 33, 1); tombstoneLands(ans); ans = 0 }
#elif ONE_PHASE && ITEM_LAYOUT
  /* a delayed commitOnePhase: its record read, then (none found) its item write, two steps */
  :: atomic { delayed[1] > 0 && !readNone[NET_SLOT] -> delayed[1]--; MSC(NETWORK, 1, M_COMMIT1, 1); readOnePhase(NET_SLOT, ans); ans = 0 }
  :: atomic { readNone[NET_SLOT] -> writeOnePhase(NET_SLOT, ans); MSC(NETWORK, 1, 30, 0); ans = 0 }
#else
  DELIVER(1)
#endif
#if N > 2
  DELIVER(2)
#endif
  od
}

/* ITEM_LAYOUT: a later write to the item forgets a finished entry once its record says the same; without
   STRAYS (two phases), only once no prepare of the transaction can still land (none in flight, no execution in its
   prepare phase), as the horizon promises; with STRAYS whenever, as if the horizon had passed. */
#if ITEM_LAYOUT
/* ONE_PHASE: a C entry goes once its record exists and no commitOnePhase delivery that read no record is still
   in flight: what a record older than twice the horizon promises (RECORD_AGE_TO_FORGET_MS). An A entry goes once
   its record says ABORTED and the same holds; A_BY_ENTRY_AGE: as the code forgets it, by the entry's own age, once
   no delivery that read before the entry was written is in flight. */
#define NO_READ_NONE (!readNone[0] && !readNone[1] && !readNone[NET_SLOT])
#ifdef MUTANT_ONE_PHASE_YOUNG_RECORD
#define C_OLD_ENOUGH true
#else
#define C_OLD_ENOUGH NO_READ_NONE
#endif
#ifdef MUTANT_FENCE_YOUNG
#define FENCE_OLD_ENOUGH true
#elif CLAIM_FIRST
#define FENCE_OLD_ENOUGH (recI == R_COMMITTED || !WRITE_MAY_LAND)
#endif
/* A tombstone beside ABORTED waits until its record is twice the horizon old (from its decidedAt, no sooner than a
   claim): no claimer's write can land then, as for the fence. MUTANT_TOMBSTONE_YOUNG: as soon as the record is ABORTED. */
#ifdef MUTANT_TOMBSTONE_YOUNG
#define TOMB_OLD_ENOUGH true
#elif CLAIM_FIRST
#define TOMB_OLD_ENOUGH (recI == R_COMMITTED || !WRITE_MAY_LAND)
#endif
#if A_BY_ENTRY_AGE
#define A_OLD_ENOUGH (!readBeforeA[0] && !readBeforeA[1] && !readBeforeA[NET_SLOT])
#else
#define A_OLD_ENOUGH NO_READ_NONE
#endif
active proctype Forget() {
end:
  do
#if CLAIM_FIRST
  /* a C once its record is COMMITTED; an A once its record is ABORTED and no claimer's send is in flight (the code:
     the record older than twice the horizon), or (unless FENCE_BESIDE_COMMIT_KEPT) at once beside a COMMITTED record,
     whose claimer's single send has landed (its C) */
  :: atomic { FORGETTABLE_C -> rec[1] = R_NONE; MSC(NETWORK, 1, 29, recI) }
  :: atomic { FORGETTABLE_FENCE && FENCE_OLD_ENOUGH -> rec[1] = R_NONE; MSC(NETWORK, 1, 29, recI) }
  /* a null abort's tombstone (no k): at once beside COMMITTED (unless TOMBSTONE_BESIDE_COMMIT_KEPT), beside ABORTED
     once no claimer's write can land */
  :: atomic { FORGETTABLE_TOMB && TOMB_OLD_ENOUGH -> rec[1] = R_NONE; tomb = 0; MSC(NETWORK, 1, 29, recI) }
#elif ONE_PHASE
  :: atomic { rec[1] == R_COMMITTED && recI == R_COMMITTED && C_OLD_ENOUGH -> rec[1] = R_NONE; MSC(NETWORK, 1, 29, recI) }
  :: atomic { rec[1] == R_ABORTED && recI == R_ABORTED && A_OLD_ENOUGH -> rec[1] = R_NONE; MSC(NETWORK, 1, 29, recI) }
#elif STRAYS
  :: atomic { (rec[1] == R_COMMITTED || rec[1] == R_ABORTED) && rec[1] == recI -> rec[1] = R_NONE; MSC(NETWORK, 1, 29, recI) }
#else
  :: atomic { (rec[1] == R_COMMITTED || rec[1] == R_ABORTED) && rec[1] == recI && delayed[1] == 0 && !inPrep[0] && !inPrep[1] -> rec[1] = R_NONE; MSC(NETWORK, 1, 29, recI) }
#endif
  od
}
#endif

/* STUTTER 1 (a liveness run): once nothing else can move (timeout), the clock idles for ever. Under weak fairness
   (pan -f) pan takes no run that ends, every process blocked or done, for a counterexample: without this,
   `<> [] false` passes -f wherever every run ends, so `live` would check nothing there. With it, a finished run goes
   on idling, a fair infinite run that must satisfy `live`; the idling moves only where nothing else can, so it adds
   no run elsewhere (and no process: pan -DNFAIR=3 allows 10). */
active proctype Clock() {
  deadline = 1;
#if STUTTER
end:
  do
  :: timeout -> skip
  od
#endif
}

/* Another transaction on the same lock and account, prepared before ours began and decided by its
   own coordinator at any time: it holds the lock, or a debit reservation, or nothing. */
active proctype Other() {
  atomic {
    if
    :: !logExists -> lock = L_OTHER
    :: !logExists -> available = available - OTHER_DEBIT; reserved = reserved + OTHER_DEBIT; otherHolds = 1
    :: otherDone = 1
    fi
  }
  atomic {
    if
    :: lock == L_OTHER -> lock = L_FREE
    :: otherHolds -> balance = balance - OTHER_DEBIT; headroom = headroom + OTHER_DEBIT; reserved = reserved - OTHER_DEBIT; otherHolds = 0  /* its commit */
    :: otherHolds -> available = available + OTHER_DEBIT; reserved = reserved - OTHER_DEBIT; otherHolds = 0                                  /* its abort */
    :: otherDone -> skip
    fi;
    otherDone = 1
  }
}

active proctype Invariants() {
end:
  atomic { !(INVARIANT) -> assert(INVARIANT) }
}
