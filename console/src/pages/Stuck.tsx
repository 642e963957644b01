/**
 * Stuck and in doubt: every transaction not yet final, the oldest first, with how far past its
 * deadline it is, what recovery will do, and a way to resolve the ones an operator may decide.
 */
import { useState } from 'preact/hooks';
import { postJson } from '../api.js';
import { ErrorLine, StatusBadge, TxnLink } from '../components/Status.js';
import { age } from '../format.js';
import { refreshLive, useLive } from '../live.js';
import { assess } from '../stuck.js';
import { THRESHOLDS } from '../thresholds.js';

interface SweepSummary {
  [field: string]: unknown;
}

export function Stuck() {
  const live = useLive();
  const now = live.updatedAt ?? Date.now();
  const [sweep, setSweep] = useState<{ busy: boolean; result?: SweepSummary; error?: unknown }>({ busy: false });
  const rows = live.open.map((t) => ({ t, a: assess(t, now) }));
  const overThreshold = rows.filter((r) => r.a.overThreshold).length;
  const due = rows.filter((r) => r.a.pastDeadline).length;

  const runSweep = async () => {
    setSweep({ busy: true });
    try {
      setSweep({ busy: false, result: await postJson<SweepSummary>('/recovery/run', {}) });
    } catch (error) {
      setSweep({ busy: false, error });
    }
    refreshLive();
  };

  return (
    <section>
      <h1>Stuck and in doubt</h1>
      <p>
        <strong data-testid="open-count">{rows.length}</strong> open{live.openCapped ? ' (the listing stopped at its limit; there are more)' : ''} ·{' '}
        <strong class={due ? 'warn' : ''}>{due}</strong> past their deadline (recovery acts on these after its grace period) ·{' '}
        <strong class={overThreshold ? 'bad' : ''}>{overThreshold}</strong> open longer than {age(THRESHOLDS.inDoubtSeconds)}.
      </p>
      <p>
        <button type="button" class="secondary" onClick={() => void runSweep()} aria-busy={sweep.busy ? 'true' : 'false'}>
          Run a recovery sweep now
        </button>{' '}
        {sweep.result && <code class="small">{JSON.stringify(sweep.result)}</code>}
      </p>
      <ErrorLine error={sweep.error} />
      {rows.length === 0 ? (
        <p class="ok" data-testid="nothing-stuck">
          Nothing is stuck: every transaction is committed or aborted.
        </p>
      ) : (
        <table class="striped" data-testid="stuck">
          <thead>
            <tr>
              <th>txnId</th>
              <th>status</th>
              <th>open for</th>
              <th>deadline</th>
              <th>recovery will</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map(({ t, a }) => (
              <tr key={t.txnId} class={a.overThreshold ? 'alarm-row' : ''} data-txn={t.txnId}>
                <td>
                  <TxnLink txnId={t.txnId} />
                </td>
                <td>
                  <StatusBadge status={t.status} stuck={a.overThreshold} />
                </td>
                <td>{age(a.ageSeconds)}</td>
                <td>{a.pastDeadline ? `passed ${age((now - Date.parse(t.deadline)) / 1000)} ago` : `in ${age((Date.parse(t.deadline) - now) / 1000)}`}</td>
                <td class="small">{a.recoveryAction}</td>
                <td>
                  {a.resolvable ? (
                    // biome-ignore lint/a11y/useSemanticElements: a link to the transaction's page, drawn as a button by Pico CSS's [role=button]
                    <a href={`#/transactions/${encodeURIComponent(t.txnId)}`} role="button" class="outline small-button">
                      Resolve…
                    </a>
                  ) : (
                    <span class="muted small">decision logged</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
