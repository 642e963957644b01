/** How the CLI shows transactions, items and inspections to a person (scripts use --json). */
import type { CheckReport } from './verify.js';
import type { Inspection, Item, OutcomeEvent, ParticipantInfo, Resolved, SweepRun, TransactionStatus } from './client.js';
import type { TransactionTimeline } from '../lambdas/observability/transactionTimeline.js';
import type { TransactionView } from '../lambdas/coordinatorLog/coordinatorLog.js';

/** A plain text table: a header row, a rule, and left-aligned columns. */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = rows.map((row) => headers.map((_, i) => (row[i] === null || row[i] === undefined ? '-' : String(row[i]))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

const ms = (value: number | null | undefined) => (value === null || value === undefined ? '-' : `${value} ms`);

/** One line: the transaction, its outcome and why. */
export function outcomeLine(view: Pick<TransactionView, 'txnId' | 'status' | 'reason'> & { timings?: TransactionView['timings'] }): string {
  const why = view.status === 'ABORTED' && view.reason ? ` (${view.reason})` : '';
  const took = view.timings?.totalMs !== null && view.timings?.totalMs !== undefined ? ` in ${view.timings.totalMs} ms` : '';
  return `${view.txnId}  ${view.status}${why}${took}`;
}

export function transactionText(view: TransactionStatus): string {
  return [
    outcomeLine(view),
    '',
    table(
      ['participant', 'vote', 'reason', 'phase 2', 'state'],
      view.participants.map((p) => [p.name, p.vote, p.reason, p.phaseTwo, p.state]),
    ),
  ].join('\n');
}

export function listText(transactions: TransactionView[]): string {
  if (!transactions.length) return 'no transactions';
  return table(
    ['txnId', 'status', 'reason', 'participants', 'created', 'total'],
    transactions.map((t) => [t.txnId, t.status, t.reason, t.participants.map((p) => p.name).join(','), t.createdAt, ms(t.timings.totalMs)]),
  );
}

/** What prepared transactions hold on an item, shown apart from its committed value. */
const PENDING_FIELDS = ['available', 'reserved', 'incoming'] as const;

export function itemText(item: Item): string {
  const { participant, key, lockedBy, holds, holdsComplete, shards, ...rest } = item;
  const committed = Object.entries(rest).filter(([name]) => !(PENDING_FIELDS as readonly string[]).includes(name));
  const fields = committed.map(([name, value]) => `${name} ${JSON.stringify(value)}`);
  const lines = [
    `${participant} ${key}: ${fields.join(', ') || '(no fields)'}${lockedBy ? `  [locked by ${lockedBy}]` : ''}${typeof shards === 'number' ? `  [${shards} shards]` : ''}`,
  ];
  const pending = PENDING_FIELDS.filter((name) => typeof rest[name] === 'number');
  const holdList = holds ?? [];
  if (holdList.length || pending.some((name) => name !== 'available' && rest[name] !== 0)) {
    lines.push(`  pending: ${pending.map((name) => `${name} ${String(rest[name])}`).join(', ')}`);
    for (const h of holdList) {
      lines.push(
        `  ${h.txnId}  ${h.op}${h.amount !== undefined ? ` ${h.amount}` : ''}${h.holder !== undefined ? ` for ${h.holder}` : ''}  since ${h.preparedAt ?? '?'}`,
      );
    }
    if (holdsComplete === false) lines.push('  (more prepared transactions than one look reads; see pakka list --status PREPARING)');
  }
  return lines.join('\n');
}

export function participantsText(participants: ParticipantInfo[]): string {
  return table(
    ['participant', 'kind', 'operations', 'description'],
    participants.map((p) => [p.name, p.kind, p.operations.join(', '), p.description]),
  );
}

/** The coordinator's log record beside each participant's record and locks, and the phase timings. */
export function inspectionText(inspection: Inspection): string {
  const { transaction: t, log } = inspection;
  const coordinator = table(
    ['coordinator log', ''],
    [
      ['txnId', t.txnId],
      ['status', t.status],
      ['decision', t.decision],
      ['reason', t.reason],
      ['decided by', t.decidedBy ?? log?.decidedBy],
      ['decision note', t.decisionNote],
      ['violations', t.violations?.length ? t.violations.join(', ') : null],
      ['heuristic hazard', t.heuristicHazard ? 'YES' : 'no'],
      ['created', t.createdAt],
      ['decided', t.decidedAt],
      ['finished', t.finishedAt],
      ['deadline', t.deadline],
      ['left to recovery', log?.leftToRecoveryAt],
      ['idempotency key', log?.idempotencyKey],
      ['request digest', log?.requestDigest?.slice(0, 16)],
      ['execution', log?.executionArn],
    ],
  );
  const timings = table(
    ['phase', 'time'],
    [
      ['prepare (begin to decision)', ms(t.timings.prepareMs)],
      ['decide (decision to phase 2)', ms(t.timings.decideMs)],
      ...(t.timings.commitMs !== undefined ? [['commit', ms(t.timings.commitMs)]] : []),
      ...(t.timings.abortMs !== undefined ? [['abort', ms(t.timings.abortMs)]] : []),
      ['total', ms(t.timings.totalMs)],
    ],
  );
  const participants = table(
    ['participant', 'kind', 'vote', 'reason', 'phase 2', 'record', 'since'],
    inspection.participants.map((p) => [
      p.name,
      p.kind,
      p.vote,
      p.reason ?? p.record?.voteReason,
      p.phaseTwo,
      p.record?.state ?? 'none',
      p.record?.committedAt ?? p.record?.abortedAt ?? p.record?.preparedAt,
    ]),
  );
  const items = table(
    ['participant', 'item', 'locked by', 'now'],
    inspection.participants.flatMap((p) =>
      p.items.map((i) => [
        p.name,
        i.key,
        i.lockedBy,
        i.exists
          ? Object.entries(i.view ?? {})
              .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
              .join(' ')
          : '(no item)',
      ]),
    ),
  );
  return [coordinator, '', timings, '', participants, '', items, ...(inspection.timeline ? ['', timelineText(inspection.timeline)] : [])].join('\n');
}

const time = (iso: string | null) => (iso ? iso.slice(11, 23) : '-');

/** Each phase and each participant's part in it: when it started and ended, how long, and who was slowest. */
export function timelineText(timeline: TransactionTimeline): string {
  const phases = table(
    ['phase', 'started', 'ended', 'took'],
    timeline.phases.map((p) => [p.phase, time(p.startedAt), time(p.endedAt), ms(p.ms)]),
  );
  const participants = table(
    ['participant', 'prepare', 'voted', 'vote', 'phase 2', 'ended', 'took', 'outcome'],
    timeline.participants.map((p) => [
      p.name,
      ms(p.prepare.ms),
      time(p.prepare.endedAt),
      p.prepare.reason ? `${p.prepare.vote ?? '-'} ${p.prepare.reason}` : p.prepare.vote,
      p.phaseTwo?.action ?? '-',
      time(p.phaseTwo?.endedAt ?? null),
      ms(p.phaseTwo?.ms),
      p.phaseTwo?.outcome ?? '-',
    ]),
  );
  const slowest = [
    timeline.slowest.prepare ? `prepare: ${timeline.slowest.prepare.participant} (${timeline.slowest.prepare.ms} ms)` : null,
    timeline.slowest.phaseTwo ? `phase 2: ${timeline.slowest.phaseTwo.participant} (${timeline.slowest.phaseTwo.ms} ms)` : null,
  ].filter((x): x is string => x !== null);
  const recovery = timeline.recovery
    ? `recovery: ${timeline.recovery.leftToRecoveryAt ? `left to it at ${time(timeline.recovery.leftToRecoveryAt)}, ` : ''}${timeline.recovery.attempts} attempt(s)${timeline.recovery.recoveredAt ? `, finished at ${time(timeline.recovery.recoveredAt)}` : ''}${timeline.recovery.lastError ? `, last error: ${timeline.recovery.lastError}` : ''}`
    : null;
  return [
    `timeline (UTC; decided by ${timeline.decidedBy ?? 'nobody yet'}; "ended" of phase 2 is the participant's own record)`,
    phases,
    '',
    participants,
    ...(slowest.length ? ['', `slowest  ${slowest.join('   ')}`] : []),
    ...(recovery ? [recovery] : []),
  ].join('\n');
}

/** Outcome events, newest first. */
export function eventsText(events: OutcomeEvent[]): string {
  if (!events.length) return 'no outcome events yet';
  return table(
    ['finished', 'event', 'txnId', 'reason', 'decided by', 'hazard', 'total'],
    events.map((e) => [
      e.detail.finishedAt,
      e.detailType,
      e.detail.txnId,
      e.detail.reason,
      e.detail.decidedBy,
      e.detail.heuristicHazard ? 'YES' : 'no',
      ms(e.detail.timings.totalMs),
    ]),
  );
}

/** What one recovery sweep did, or where to follow one that runs in the background (the deployed API). */
export function recoveryText(run: SweepRun): string {
  if (run.kind === 'started') {
    const { started } = run;
    return [
      `recovery sweep started in the background${started.requestId ? ` (request ${started.requestId})` : ''}`,
      `  follow it: ${started.follow}`,
      ...(started.logGroup ? [`  aws logs tail ${started.logGroup} --follow`] : []),
      '  pakka list --status PREPARING (and COMMITTING, ABORTING) shows what is still open',
    ].join('\n');
  }
  const { summary } = run;
  const lines = [
    `recovery sweep: looked at ${summary.examined} transaction(s)`,
    `  finished ${summary.finalized} (of which recovery decided ${summary.decided}: presumed abort)`,
    `  still waiting for a participant: ${summary.pending}`,
    `  orphan PREPARED records aborted: ${summary.orphansAborted}`,
    `  heuristic hazards: ${summary.hazards}${summary.hazards ? '  <- see pakka inspect, a participant refused the decision' : ''}`,
    `  errors: ${summary.errors}${summary.errors ? ' (details in the server log; the next sweep retries)' : ''}`,
    ...(summary.deferred ? [`  left for the next sweep (out of time): ${summary.deferred}`] : []),
  ];
  if (summary.quiet) lines.push('nothing left to do now; transactions whose coordinator may still finish are left to it');
  return lines.join('\n');
}

/** The operator's decision, as logged and delivered. */
export function resolvedText(resolved: Resolved): string {
  const state = resolved.final ? 'delivered to every participant' : 'logged; recovery keeps delivering it to the participants that did not answer';
  const hazards = resolved.violations?.length ? `\nHEURISTIC HAZARD: ${resolved.violations.join(', ')}` : '';
  const view = resolved.transaction ? `\n\n${outcomeLine(resolved.transaction)}` : '';
  return `${resolved.txnId}: ${resolved.decision} ${state}${hazards}${view}`;
}

/** `pakka verify`'s table: each check, its result and what it saw. */
export function verifyText(reports: readonly CheckReport[]): string {
  const failed = reports.filter((r) => r.result === 'failed').length;
  const skipped = reports.filter((r) => r.result === 'skipped').length;
  const summary = failed
    ? `${failed} of ${reports.length} checks FAILED`
    : `all ${reports.length - skipped} checks passed${skipped ? `, ${skipped} skipped` : ''}`;
  return `${table(
    ['check', 'result', 'detail'],
    reports.map((r) => [r.check, r.result === 'failed' ? 'FAILED' : r.result, r.detail]),
  )}\n\n${summary}`;
}
