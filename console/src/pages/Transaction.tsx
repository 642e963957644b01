/**
 * One transaction: what it is doing (and, if stuck, what recovery will do and how to resolve it),
 * each participant's vote, record and locks, the timeline, the state machine with its path, and
 * the raw log item. Refreshes itself until the transaction is final.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiCallError, getJson, txnPath } from '../api.js';
import type { Inspection, InspectedParticipant, Timeline } from '../apiTypes.js';
import { ResolvePanel } from '../components/ResolvePanel.js';
import { StateGraph } from '../components/StateGraph.js';
import { ErrorLine, StatusBadge, TxnLink } from '../components/Status.js';
import { age, clock, duration } from '../format.js';
import { refreshLive } from '../live.js';
import { type AslMachine, type InferredPath, type StateGraph as Graph, inferPath, stateGraph } from '../stateGraph.js';
import { assess } from '../stuck.js';
import { effectiveVote, transactionFacts } from '../transactionFacts.js';

const TXN_ID = /^[A-Za-z0-9_-]{1,80}$/;
let definition: Promise<Graph> | undefined;
const loadGraph = () => (definition ??= getJson<AslMachine>('/console/statemachine.json').then(stateGraph));

function notesFor(graph: Graph, path: InferredPath, inspection: Inspection): Map<string, string> {
  const notes = new Map<string, string>();
  const log: Record<string, unknown> = { ...inspection.log };
  const created = Date.parse(String(log.createdAt ?? inspection.transaction.createdAt));
  const phases = new Map<string, Timeline['phases'][number]>((inspection.timeline?.phases ?? []).map((p) => [p.phase, p]));
  const everyone = inspection.participants.length;
  for (const id of path.states) {
    const node = graph.nodes.get(id);
    if (!node) continue;
    const stamp = node.stamps.map((a) => log[a]).find((v): v is string => typeof v === 'string');
    if (stamp) notes.set(id, Number.isNaN(created) ? clock(stamp) : `at +${duration(Date.parse(stamp) - created)}`);
    const phase = node.claims.map((c) => (c.kind === 'literal' ? phases.get(c.value) : undefined)).find((p) => p !== undefined);
    if (node.startAt && phase?.ms != null) notes.set(id, `${phase.phase} ${duration(phase.ms)}`);
  }
  for (const passes of path.iterations.values()) {
    for (const [id, names] of passes) if (names.length < everyone && !graph.nodes.get(id)?.startAt) notes.set(id, names.join(', ').slice(0, 48));
  }
  return notes;
}

function TimelineView({ timeline, votes }: { timeline: Timeline; votes: Map<string, string | null> }) {
  const starts = timeline.phases.map((p) => Date.parse(p.startedAt ?? '')).filter(Number.isFinite);
  const ends = [...timeline.phases.map((p) => Date.parse(p.endedAt ?? '')), ...timeline.participants.map((p) => Date.parse(p.phaseTwo?.endedAt ?? ''))].filter(
    Number.isFinite,
  );
  const t0 = starts.length ? Math.min(...starts) : 0;
  // An unfinished phase runs to now.
  const span = Math.max(1, Math.max(...ends, Date.now()) - t0);
  const bar = (from: string | null, to: string | null, cls: string) => {
    const a = Date.parse(from ?? '');
    const b = Date.parse(to ?? '');
    if (!Number.isFinite(a)) return null;
    const left = ((a - t0) / span) * 100;
    const width = Number.isFinite(b) ? Math.max(0.6, ((b - a) / span) * 100) : 100 - left;
    return <span class={`bar ${cls}${Number.isFinite(b) ? '' : ' open'}`} style={{ left: `${left}%`, width: `${width}%` }} />;
  };
  return (
    <table class="timeline" data-testid="timeline">
      <tbody>
        {timeline.phases.map((p) => (
          <tr key={p.phase}>
            <th>{p.phase}</th>
            <td class="lane">
              <div class="lane-inner">{bar(p.startedAt, p.endedAt, `phase-${p.phase}`)}</div>
            </td>
            <td>{p.endedAt ? duration(p.ms) : 'not ended'}</td>
          </tr>
        ))}
        {timeline.participants.map((p) => (
          <tr key={p.name} class="participant-lane">
            <th>
              {p.name} <span class="muted small">{p.prepare.vote ?? votes.get(p.name) ?? 'no vote'}</span>
            </th>
            <td class="lane">
              <div class="lane-inner">
                {bar(p.prepare.startedAt, p.prepare.endedAt, 'phase-prepare')}
                {p.phaseTwo && bar(p.phaseTwo.startedAt, p.phaseTwo.endedAt, `phase-${p.phaseTwo.action}`)}
              </div>
            </td>
            <td>
              prepare {duration(p.prepare.ms)}
              {p.phaseTwo ? ` · ${p.phaseTwo.action} ${duration(p.phaseTwo.ms)}` : ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Items({ participant }: { participant: InspectedParticipant }) {
  if (!participant.items.length) return <span class="muted">–</span>;
  return (
    <ul class="items">
      {participant.items.map((item) => (
        <li key={item.key}>
          <a href={`#/participants/${encodeURIComponent(participant.name)}/${item.key.split('/').map(encodeURIComponent).join('/')}`}>{item.key}</a>
          {!item.exists && <span class="muted"> (no item)</span>}
          {item.lockedBy && (
            <>
              {' '}
              <span class="badge lock">locked by</span> <TxnLink txnId={item.lockedBy} />
            </>
          )}
          {item.view && <code class="small"> {JSON.stringify(item.view)}</code>}
        </li>
      ))}
    </ul>
  );
}

export function Transaction({ txnId }: { txnId: string }) {
  const [inspection, setInspection] = useState<Inspection | null>(null);
  const [graph, setGraph] = useState<Graph | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const [copied, setCopied] = useState(false);
  // The transaction resolved from this page: its panel stays to show the API's answer, though the decision now makes it unresolvable.
  const [resolvedHere, setResolvedHere] = useState<string | null>(null);
  const valid = TXN_ID.test(txnId);

  useEffect(() => {
    loadGraph().then(setGraph, setError);
  }, []);
  useEffect(() => {
    if (!valid) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const next = await getJson<Inspection>(`${txnPath(txnId)}/inspect`);
        if (!live) return;
        setInspection(next);
        setError(null);
        const final = next.transaction.status === 'COMMITTED' || next.transaction.status === 'ABORTED';
        if (!final) timer = setTimeout(() => void load(), 2000);
      } catch (e) {
        if (live) setError(e);
      }
    };
    void load();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [txnId, tick]);

  const path = useMemo(() => {
    if (!graph || !inspection) return null;
    const { facts, iterations } = transactionFacts(inspection);
    return inferPath(graph, facts, iterations);
  }, [graph, inspection]);

  if (!valid) {
    return (
      <section>
        <h1>Transaction</h1>
        <p class="error" role="alert" data-testid="bad-txn-id">
          “{txnId}” is not a txnId: a txnId is 1-80 letters, digits, _ or -.
        </p>
      </section>
    );
  }
  if (!inspection) {
    return (
      <section>
        <h1 class="txn-title">{txnId}</h1>
        {error instanceof ApiCallError && error.status === 404 ? (
          <p class="error">No transaction {txnId}.</p>
        ) : error ? (
          <ErrorLine error={error} />
        ) : (
          <p aria-busy="true">Loading…</p>
        )}
      </section>
    );
  }

  const t = inspection.transaction;
  const now = Date.now();
  const a = assess(t, now);
  const final = t.status === 'COMMITTED' || t.status === 'ABORTED';
  const byName = new Map(t.participants.map((p) => [p.name, p]));
  const hazard = t.heuristicHazard || (t.violations?.length ?? 0) > 0;

  return (
    <section>
      <p class="crumbs">
        <a href="#/transactions">Transactions</a> /
      </p>
      <h1 class="txn-title" data-testid="txn-id">
        {t.txnId}
      </h1>
      <div class="summary" data-testid="summary" data-status={t.status}>
        <StatusBadge status={t.status} stuck={a.overThreshold} />
        {hazard && <span class="badge hazard">HEURISTIC HAZARD</span>}
        <span>
          decision <strong data-testid="decision">{t.decision ?? 'none logged'}</strong>
          {t.decidedBy ? ` by ${t.decidedBy}` : ''}
        </span>
        {t.reason && (
          <span>
            reason <strong data-testid="reason">{t.reason}</strong>
          </span>
        )}
        <span>
          created {clock(t.createdAt)} ({age((now - Date.parse(t.createdAt)) / 1000)} ago)
        </span>
        <span>
          deadline {clock(t.deadline)}
          {!final && a.pastDeadline ? ' — passed' : ''}
        </span>
        <span>end to end {duration(t.timings.totalMs)}</span>
      </div>
      {t.decisionNote && (
        <p class="note" data-testid="decision-note">
          Operator's reason: {t.decisionNote}
        </p>
      )}
      {(t.violations?.length ?? 0) > 0 && <p class="error">Protocol violations: {t.violations?.join(', ')}</p>}
      {!final && (
        <div class={`stuck-banner${a.overThreshold ? ' alarm' : ''}`} data-testid="stuck-banner">
          <strong>{a.pastDeadline ? 'Past its deadline: recovery will act.' : 'Still within its deadline: its coordinator may still finish it.'}</strong>{' '}
          Recovery will {a.recoveryAction}.{a.overThreshold && ' Open longer than the 5-minute in-doubt threshold.'}
        </div>
      )}
      {(a.resolvable || resolvedHere === t.txnId) && (
        <ResolvePanel
          logged={inspection.log !== null}
          transaction={{ ...t, participants: t.participants.map((p) => ({ ...p, ...(byName.get(p.name) ?? {}) })) }}
          // Kept from the moment the decision is sent: a refresh that sees it logged before the answer arrives must not unmount the panel.
          onSubmit={() => setResolvedHere(t.txnId)}
          onResolved={() => {
            setTick((n) => n + 1);
            refreshLive();
          }}
        />
      )}
      <h2>Participants</h2>
      <table class="striped" data-testid="participants">
        <thead>
          <tr>
            <th>participant</th>
            <th>kind</th>
            <th>vote</th>
            <th>reason</th>
            <th>record</th>
            <th>phase 2</th>
            <th>items and locks</th>
          </tr>
        </thead>
        <tbody>
          {inspection.participants.map((p) => (
            <tr key={p.name} data-participant={p.name}>
              <td>
                <a href={`#/participants/${encodeURIComponent(p.name)}`}>{p.name}</a>
              </td>
              <td>{p.kind ?? '?'}</td>
              <td class={`vote vote-${(effectiveVote(p.vote, p.record) ?? 'none').toLowerCase()}`}>
                {p.vote ??
                  (effectiveVote(null, p.record) ? (
                    <span title="the coordinator did not log this vote; the participant's PREPARED record proves it">
                      VOTE_COMMIT <small class="muted">(from its record)</small>
                    </span>
                  ) : (
                    'not collected'
                  ))}
              </td>
              <td>{p.reason ?? ''}</td>
              <td title={p.record ? JSON.stringify(p.record, null, 1) : ''}>{String(p.record?.state ?? byName.get(p.name)?.state ?? 'none')}</td>
              <td>{p.phaseTwo ?? '–'}</td>
              <td>
                <Items participant={p} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {inspection.timeline && (
        <>
          <h2>Timeline</h2>
          <TimelineView timeline={inspection.timeline} votes={new Map(inspection.participants.map((p) => [p.name, effectiveVote(p.vote, p.record)]))} />
          {inspection.timeline.recovery && (
            <p class="muted">
              Recovery: left to it at {clock(inspection.timeline.recovery.leftToRecoveryAt)}, recovered at {clock(inspection.timeline.recovery.recoveredAt)},{' '}
              {inspection.timeline.recovery.attempts} attempts
              {inspection.timeline.recovery.lastError ? `, last error: ${inspection.timeline.recovery.lastError}` : ''}
            </p>
          )}
        </>
      )}
      <h2>State machine</h2>
      <p class="muted small">
        Drawn from the ASL definition the service runs. The highlighted path is inferred from the log item and the participants' votes and outcomes
        {!final ? '; the amber state is where the transaction stands' : ''}. Hover a state for its comment.
        {t.decidedBy && t.decidedBy !== 'coordinator' && (
          <strong class="warn">
            {' '}
            Decided by {t.decidedBy}, not the state machine: from the decision on, the states show what that decision led to, as recovery delivered it.
          </strong>
        )}
      </p>
      {graph && path ? <StateGraph graph={graph} path={path} notes={notesFor(graph, path, inspection)} unfinished={!final} /> : <ErrorLine error={error} />}
      <h2>
        Raw log item{' '}
        <button
          type="button"
          class="secondary small-button"
          onClick={() => {
            void navigator.clipboard?.writeText(JSON.stringify(inspection.log, null, 2)).then(() => setCopied(true));
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </h2>
      <pre
        class="raw"
        data-testid="raw-log"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: it scrolls, and a keyboard must be able to scroll it.
        tabIndex={0}
      >
        {JSON.stringify(inspection.log, null, 2)}
      </pre>
    </section>
  );
}
