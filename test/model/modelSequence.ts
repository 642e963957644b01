/**
 * Turns the MSC lines a replayed spin trail prints (see the MSC codes in model/pakka.pml) into a
 * Mermaid sequence diagram, so a counterexample reads as messages between the protocol's parties.
 */
const ACTORS = ['Coordinator', 'Coordinator2', 'Sweeper1', 'Sweeper2', 'Operator', 'Network'];
const PARTICIPANTS = ['P0_lock', 'P1_debit', 'P2_credit'];
const MESSAGES = ['prepare', 'commit', 'abort', 'commitOnePhase'];
const ANSWERS = ['timeout', 'VOTE_COMMIT', 'VOTE_ABORT', 'VOTE_ABORT LOCK_CONFLICT', 'ack', 'ProtocolViolation', 'CommittedInOnePhase'];
const DECISIONS = ['none', 'COMMIT', 'ABORT'];

const actor = (n: number) => ACTORS[n] ?? `actor${n}`;
const participant = (n: number) => PARTICIPANTS[n] ?? `participant${n}`;

export function sequenceFromTrail(trail: string): string {
  const lines: string[] = ['sequenceDiagram', '  participant Log as Coordinator log'];
  for (const raw of trail.split('\n')) {
    const m = /MSC (\d+) (\d+) (\d+) (\d+)/.exec(raw);
    if (!m) continue;
    const [a, t, what, arg] = m.slice(1).map(Number) as [number, number, number, number];
    if (what <= 3) lines.push(`  ${actor(a)}->>${participant(t)}: ${MESSAGES[what]}${a === 5 ? ' (delayed copy lands)' : ''}`);
    else if (what === 10) lines.push(`  ${participant(a)}-->>${actor(t)}: ${ANSWERS[arg] ?? arg}`);
    else if (what === 20) lines.push(`  ${actor(a)}->>Log: write ${DECISIONS[Math.floor(arg / 10)]} if no decision: ${arg % 10 ? 'won' : 'lost'}`);
    else if (what === 21) lines.push(`  Log-->>${actor(a)}: decision is ${DECISIONS[arg]}`);
    else if (what === 22) lines.push(`  ${actor(a)}->>Log: mark ${arg === 1 ? 'COMMITTED' : 'ABORTED'} (final)`);
    else if (what === 23)
      lines.push(`  ${actor(a)}->>Log: BeginTransaction ${['refused (AlreadyStarted)', 'created', 'rewritten (same execution, undecided)'][arg]}`);
    else if (what === 24) lines.push(`  ${actor(a)}->>Log: left to recovery`);
    else if (what === 25) lines.push(`  Note over ${actor(a)}: crashes`);
    else if (what === 26) lines.push(`  Note over ${actor(a)},${participant(t)}: ${MESSAGES[arg]} delayed or lost`);
    else if (what === 27) lines.push(`  Note over ${actor(a)},${participant(t)}: ${MESSAGES[arg]} duplicated`);
    else if (what === 28) lines.push(`  Note over ${participant(a)},${actor(t)}: answer to ${MESSAGES[arg]} lost`);
    else if (what === 29) lines.push(`  Note over ${participant(t)}: its entry forgotten`);
    else if (what === 30) lines.push(`  Note over ${participant(t)}: the delayed commitOnePhase's item write lands`);
    else if (what === 31) lines.push(`  Note over ${participant(t)}: its one-phase claim withdrawn (the record deleted)`);
    else if (what === 32) lines.push(`  Note over ${participant(t)}: the claimer's item write unanswered (it may land later)`);
    else if (what === 33)
      lines.push(
        `  Note over ${participant(t)}: ${arg ? "the null abort's slow tombstone write lands" : "a null abort's tombstone write is slow (its caller gets no answer)"}`,
      );
  }
  const violated = /assertion violated[^\n]*/.exec(trail);
  if (violated) lines.push(`  Note over Log: spin: ${violated[0].slice(0, 60).replace(/[;#]/g, ' ')}...`);
  return lines.join('\n');
}
