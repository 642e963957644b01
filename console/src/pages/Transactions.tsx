/**
 * Every transaction, newest first, paged through GET /transactions. The status filter is the
 * API's; reason, participant and time filter the pages loaded so far (the page says so). Search
 * finds a transaction by its txnId or by the Idempotency-Key it was submitted with.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiCallError, getJson, txnIdForIdempotencyKey, txnPath } from '../api.js';
import { TXN_STATUSES, type TransactionList, type TransactionView } from '../apiTypes.js';
import { ErrorLine, StatusBadge, TxnLink, txnHref } from '../components/Status.js';
import { clock, duration, since } from '../format.js';
import { assess } from '../stuck.js';

const PAGE = 50;
const TXN_ID = /^[A-Za-z0-9_-]{1,80}$/;

interface Filters {
  status: string;
  reason: string;
  participant: string;
  /** datetime-local text, interpreted as UTC. */
  from: string;
  to: string;
}

function matches(t: TransactionView, f: Filters): boolean {
  if (f.reason && (t.reason ?? '') !== f.reason) return false;
  if (f.participant && !t.participants.some((p) => p.name === f.participant)) return false;
  if (f.from && t.createdAt < new Date(`${f.from}Z`).toISOString()) return false;
  if (f.to && t.createdAt > new Date(`${f.to}Z`).toISOString()) return false;
  return true;
}

function Search() {
  const [text, setText] = useState('');
  const [result, setResult] = useState<{ error?: string; busy?: boolean }>({});
  const find = async (event: Event) => {
    event.preventDefault();
    const query = text.trim();
    if (!query) return;
    setResult({ busy: true });
    const candidates = [...(TXN_ID.test(query) ? [query] : []), await txnIdForIdempotencyKey(query)];
    for (const txnId of candidates) {
      try {
        await getJson(txnPath(txnId));
        location.hash = txnHref(txnId);
        setResult({});
        return;
      } catch (error) {
        if (!(error instanceof ApiCallError && error.status === 404)) {
          setResult({ error: error instanceof Error ? error.message : String(error) });
          return;
        }
      }
    }
    setResult({ error: `No transaction has the txnId or Idempotency-Key “${query}”.` });
  };
  return (
    // biome-ignore lint/a11y/useSemanticElements: a form is what submits the search; role=search names the landmark
    <form class="search" onSubmit={find} role="search">
      <input
        type="search"
        name="q"
        placeholder="txnId or Idempotency-Key"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        aria-label="txnId or Idempotency-Key"
      />
      <button type="submit" aria-busy={result.busy ? 'true' : 'false'}>
        Find
      </button>
      {result.error && (
        <p class="error" role="alert" data-testid="search-error">
          {result.error}
        </p>
      )}
    </form>
  );
}

export function Transactions({ participants }: { participants: string[] }) {
  const [filters, setFilters] = useState<Filters>({ status: '', reason: '', participant: '', from: '', to: '' });
  const [rows, setRows] = useState<TransactionView[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [now, setNow] = useState(Date.now());

  const load = async (status: string, after: string | null, append: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const query = new URLSearchParams({ limit: String(PAGE) });
      if (status) query.set('status', status);
      if (after) query.set('cursor', after);
      const page = await getJson<TransactionList>(`/transactions?${query}`);
      setRows((old) => (append ? [...old, ...page.transactions] : page.transactions));
      setCursor(page.nextCursor);
      setNow(Date.now());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => void load(filters.status, null, false), [filters.status]);

  const shown = rows.filter((t) => matches(t, filters));
  const reasons = [...new Set(rows.map((t) => t.reason).filter((r): r is string => r !== null))].sort();
  const set = (k: keyof Filters) => (e: Event) => setFilters({ ...filters, [k]: (e.currentTarget as HTMLInputElement).value });

  return (
    <section>
      <h1>Transactions</h1>
      <Search />
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select name="status" value={filters.status} onChange={set('status')}>
            <option value="">any</option>
            {TXN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Reason
          <select name="reason" value={filters.reason} onChange={set('reason')}>
            <option value="">any</option>
            {reasons.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label>
          Participant
          <select name="participant" value={filters.participant} onChange={set('participant')}>
            <option value="">any</option>
            {participants.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          From (UTC)
          <input type="datetime-local" step="1" name="from" value={filters.from} onInput={set('from')} />
        </label>
        <label>
          To (UTC)
          <input type="datetime-local" step="1" name="to" value={filters.to} onInput={set('to')} />
        </label>
        <button type="button" class="secondary" onClick={() => void load(filters.status, null, false)} aria-busy={busy ? 'true' : 'false'}>
          Refresh
        </button>
      </form>
      <ErrorLine error={error} />
      <p class="muted small">
        {shown.length} shown of {rows.length} loaded{cursor ? ' (more on the server)' : ''}. Reason, participant and time filter the loaded pages; load more to
        look further back.
      </p>
      <table class="striped" data-testid="transactions">
        <thead>
          <tr>
            <th>txnId</th>
            <th>status</th>
            <th>reason</th>
            <th>participants</th>
            <th>created</th>
            <th>end to end</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((t) => (
            <tr key={t.txnId} data-txn={t.txnId}>
              <td>
                <TxnLink txnId={t.txnId} />
              </td>
              <td>
                <StatusBadge status={t.status} stuck={assess(t, now).overThreshold} />
                {t.heuristicHazard && <span class="badge hazard">HAZARD</span>}
              </td>
              <td>{t.reason ?? ''}</td>
              <td>{t.participants.map((p) => p.name).join(', ')}</td>
              <td title={clock(t.createdAt)}>{since(t.createdAt, now)}</td>
              <td>{duration(t.timings.totalMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {cursor && (
        <button type="button" class="secondary" onClick={() => void load(filters.status, cursor, true)} aria-busy={busy ? 'true' : 'false'}>
          Load {PAGE} more
        </button>
      )}
    </section>
  );
}
