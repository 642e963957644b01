/**
 * Participants and items: each participant's kind, operations, timeouts and latency, and an item
 * lookup showing its committed value, what prepared transactions hold on it (available, reserved,
 * incoming, and each hold) and the lock holder, each hold and holder a link to its transaction.
 */
import { useEffect, useState } from 'preact/hooks';
import { getJson, itemPath } from '../api.js';
import type { ItemView, ParticipantInfo } from '../apiTypes.js';
import { ErrorLine, TxnLink } from '../components/Status.js';
import { count, duration, percent, since } from '../format.js';
import { figures } from '../liveMetrics.js';
import { useLive } from '../live.js';

const SHOWN_ELSEWHERE = new Set(['participant', 'key', 'available', 'reserved', 'incoming', 'lockedBy', 'shards', 'holds', 'holdsComplete']);
const AMOUNTS = ['available', 'reserved', 'incoming'] as const;

const shown = (v: unknown) => (typeof v === 'number' ? count(v) : typeof v === 'string' ? v : JSON.stringify(v));

function Holds({ item }: { item: ItemView }) {
  return (
    <>
      <h3 class="subhead">
        Holds of prepared transactions ({item.holds.length}
        {item.holdsComplete === false ? '+' : ''})
      </h3>
      {item.holds.length === 0 ? (
        <p class="muted">No prepared transaction holds anything on this item.</p>
      ) : (
        <table class="striped" data-testid="holds">
          <thead>
            <tr>
              <th>txnId</th>
              <th>op</th>
              <th>amount</th>
              <th>holder</th>
              <th>prepared</th>
            </tr>
          </thead>
          <tbody>
            {item.holds.map((h) => (
              <tr key={`${h.txnId}-${h.op}`} data-hold={h.txnId}>
                <td>
                  <TxnLink txnId={h.txnId} />
                </td>
                <td>{h.op}</td>
                <td>{h.amount === undefined ? '' : count(h.amount)}</td>
                <td>{h.holder ?? ''}</td>
                <td>{h.preparedAt ? since(h.preparedAt) : <span class="muted">unknown</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {item.holdsComplete === false && <p class="muted small">More prepared records exist than one look reads; the list is not complete.</p>}
    </>
  );
}

function ItemCard({ item }: { item: ItemView }) {
  const value = Object.entries(item).filter(([k]) => !SHOWN_ELSEWHERE.has(k));
  const amounts = AMOUNTS.filter((k) => typeof item[k] === 'number');
  return (
    <article class="item" data-testid="item">
      <header>
        <strong>{item.key}</strong> <span class="muted">on {item.participant}</span>
      </header>
      <dl>
        {value.map(([k, v]) => (
          <>
            <dt key={`${k}-t`}>{k}</dt>
            <dd key={`${k}-d`}>{shown(v)}</dd>
          </>
        ))}
        {amounts.map((k) => (
          <>
            <dt key={`${k}-t`}>{k}</dt>
            <dd key={`${k}-d`} data-testid={`amount-${k}`}>
              {count(item[k] as number)}
            </dd>
          </>
        ))}
        {item.shards !== undefined && (
          <>
            <dt>shards</dt>
            <dd>{count(item.shards)}</dd>
          </>
        )}
        <dt>lock holder</dt>
        <dd data-testid="lock-holder">{item.lockedBy ? <TxnLink txnId={item.lockedBy} /> : <span class="muted">none</span>}</dd>
      </dl>
      <Holds item={item} />
    </article>
  );
}

export function Participants({ participants, selected, itemKey }: { participants: ParticipantInfo[]; selected?: string; itemKey?: string }) {
  const live = useLive();
  const f = figures(live.readings);
  const [name, setName] = useState(selected ?? participants[0]?.name ?? '');
  const [key, setKey] = useState(itemKey ?? '');
  const [item, setItem] = useState<ItemView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const lookUp = async (participant: string, k: string) => {
    if (!participant || !k) return;
    setBusy(true);
    setError(null);
    setItem(null);
    try {
      setItem(await getJson<ItemView>(itemPath(participant, k)));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    if (selected) setName(selected);
    if (itemKey) {
      setKey(itemKey);
      void lookUp(selected ?? name, itemKey);
    }
  }, [selected, itemKey]);
  useEffect(() => {
    if (!name && participants[0]) setName(participants[0].name);
  }, [participants]);

  return (
    <section>
      <h1>Participants and items</h1>
      <table class="striped" data-testid="participant-list">
        <thead>
          <tr>
            <th>participant</th>
            <th>kind</th>
            <th>operations</th>
            <th>timeouts</th>
            <th>prepare p50 / p95 / p99</th>
            <th>calls / errors</th>
          </tr>
        </thead>
        <tbody>
          {participants.map((p) => {
            const health = f?.participants.find((h) => h.name === p.name);
            return (
              <tr key={p.name} class={(health?.prepareAlarm || health?.failureAlarm ? 'alarm-row ' : '') + (p.name === selected ? 'selected' : '')}>
                <td>
                  <strong>{p.name}</strong>
                  <br />
                  <span class="muted small">{p.description}</span>
                </td>
                <td>{p.kind}</td>
                <td>{p.operations.join(', ')}</td>
                <td class="small">
                  prepare {p.prepareTimeoutSeconds} s<br />
                  commit {p.commitTimeoutSeconds} s
                </td>
                <td>{health ? `${duration(health.prepare.p50)} / ${duration(health.prepare.p95)} / ${duration(health.prepare.p99)}` : '–'}</td>
                <td>{health ? `${count(health.calls)} / ${count(health.errors)} (${percent(health.errorPercent)})` : '–'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h2>Look up an item</h2>
      <form
        class="lookup"
        onSubmit={(e) => {
          e.preventDefault();
          location.hash = `#/participants/${encodeURIComponent(name)}/${key.split('/').map(encodeURIComponent).join('/')}`;
          void lookUp(name, key);
        }}
      >
        <select name="participant" value={name} onChange={(e) => setName(e.currentTarget.value)} aria-label="participant">
          {participants.map((p) => (
            <option key={p.name} value={p.name}>
              {p.name}
            </option>
          ))}
        </select>
        <input name="key" value={key} onInput={(e) => setKey(e.currentTarget.value)} placeholder="item key, e.g. alice" aria-label="item key" />
        <button type="submit" aria-busy={busy ? 'true' : 'false'}>
          Look up
        </button>
      </form>
      <ErrorLine error={error} />
      {item && <ItemCard item={item} />}
    </section>
  );
}
