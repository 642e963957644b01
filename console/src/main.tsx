/**
 * The Pakka console: a page per question an on-call engineer asks (is it healthy, what is stuck,
 * what happened to this transaction, who holds this item), routed by the URL's hash so that every
 * view has a link to paste into an incident channel.
 */
import '@picocss/pico/css/pico.min.css';
import './styles.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson } from './api.js';
import type { ParticipantInfo } from './apiTypes.js';
import { startLive, useLive } from './live.js';
import { Overview } from './pages/Overview.js';
import { Participants } from './pages/Participants.js';
import { Stuck } from './pages/Stuck.js';
import { Transaction } from './pages/Transaction.js';
import { Transactions } from './pages/Transactions.js';
import { assess } from './stuck.js';

type Route =
  | { page: 'overview' }
  | { page: 'transactions' }
  | { page: 'transaction'; txnId: string }
  | { page: 'stuck' }
  | { page: 'participants'; participant?: string; key?: string };

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

export function route(hash: string): Route {
  const parts = hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((p) => p !== '');
  const [first, second, ...rest] = parts;
  if (first === 'transactions' && second !== undefined) return { page: 'transaction', txnId: decode(second) };
  if (first === 'transactions') return { page: 'transactions' };
  if (first === 'stuck') return { page: 'stuck' };
  if (first === 'participants') {
    return { page: 'participants', ...(second ? { participant: decode(second) } : {}), ...(rest.length ? { key: rest.map(decode).join('/') } : {}) };
  }
  return { page: 'overview' };
}

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function App() {
  const hash = useHash();
  const current = route(hash);
  const live = useLive();
  const [participants, setParticipants] = useState<ParticipantInfo[]>([]);
  useEffect(() => {
    startLive();
    getJson<{ participants: ParticipantInfo[] }>('/participants').then(
      (r) => setParticipants(r.participants),
      () => setParticipants([]),
    );
  }, []);
  const now = live.updatedAt ?? Date.now();
  const open = live.open.length;
  const stuck = live.open.filter((t) => assess(t, now).overThreshold).length;
  const link = (page: Route['page'], href: string, label: string, badge?: { n: number; alarm: boolean; testId: string }) => (
    <li>
      <a href={href} aria-current={current.page === page || (page === 'transactions' && current.page === 'transaction') ? 'page' : undefined}>
        {label}
        {badge && badge.n > 0 && (
          <span class={`count${badge.alarm ? ' alarm' : ''}`} data-testid={badge.testId}>
            {badge.n}
          </span>
        )}
      </a>
    </li>
  );
  return (
    <>
      <header class="topbar">
        <nav class="container-fluid">
          <ul>
            <li>
              <a href="#/" class="brand">
                <strong>Pakka</strong> console
              </a>
            </li>
          </ul>
          <ul>
            {link('overview', '#/', 'Overview')}
            {link('transactions', '#/transactions', 'Transactions')}
            {link('stuck', '#/stuck', 'Stuck & in doubt', { n: open, alarm: stuck > 0, testId: 'nav-open' })}
            {link('participants', '#/participants', 'Participants & items')}
          </ul>
          <ul>
            <li class={`pulse${live.apiProblem ? ' down' : ''}`} title={live.apiProblem ?? 'polling the API every 2 s'}>
              {live.apiProblem ? 'API unreachable' : live.updatedAt ? `live · ${new Date(live.updatedAt).toISOString().slice(11, 19)} UTC` : 'connecting…'}
            </li>
          </ul>
        </nav>
      </header>
      <main class="container-fluid">
        {current.page === 'overview' && <Overview />}
        {current.page === 'transactions' && <Transactions participants={participants.map((p) => p.name)} />}
        {current.page === 'transaction' && <Transaction key={current.txnId} txnId={current.txnId} />}
        {current.page === 'stuck' && <Stuck />}
        {current.page === 'participants' && (
          <Participants
            participants={participants}
            {...(current.participant ? { selected: current.participant } : {})}
            {...(current.key ? { itemKey: current.key } : {})}
          />
        )}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
