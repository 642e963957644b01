/**
 * An operator's decision for a stuck transaction: commit or abort, with a written reason, after a
 * confirmation that names the transaction and what will happen. Offered only while no decision is
 * logged (the API refuses otherwise). Abort is allowed at any moment, the coordinator running or not
 * (it loses the write-once decision and obeys); commit only once every participant's yes vote is
 * confirmed. The API's answer, hazards included, is shown as it comes.
 */
import { useRef, useState } from 'preact/hooks';
import { ApiCallError, postJson, txnPath } from '../api.js';
import type { ApiErrorBody, Resolved, TransactionStatus } from '../apiTypes.js';
import { consequence, unconfirmedVoters } from '../stuck.js';

const OPERATOR = /^[A-Za-z0-9._@-]{1,64}$/;

/**
 * `logged`: the transaction has a log item. Without one (nothing is logged before the decision)
 * which participants it has cannot be shown, so the API lets an operator only abort it.
 */
export function ResolvePanel({
  transaction,
  logged,
  onSubmit,
  onResolved,
}: {
  transaction: TransactionStatus;
  logged: boolean;
  /** Called before the decision is sent: the page must keep this panel (and its answer) once the decision makes the transaction unresolvable. */
  onSubmit: () => void;
  onResolved: () => void;
}) {
  const [decision, setDecision] = useState<'COMMIT' | 'ABORT'>('ABORT');
  const [operator, setOperator] = useState(() => localStorage.getItem('pakka.operator') ?? '');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: Resolved } | { refused: ApiErrorBody | null; status: number; message: string } | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const unconfirmed = unconfirmedVoters(transaction.participants);
  const problems = [
    !OPERATOR.test(operator) ? 'your name: 1-64 letters, digits, . _ @ or -' : null,
    reason.trim().length < 3 ? 'a reason, at least 3 characters' : null,
    decision === 'COMMIT' && unconfirmed.length ? `a commit needs every yes vote; ${unconfirmed.join(', ')} not confirmed: abort instead` : null,
  ].filter((p): p is string => p !== null);

  const submit = async () => {
    onSubmit();
    setBusy(true);
    localStorage.setItem('pakka.operator', operator);
    try {
      const body = { decision, operator, reason: reason.trim() };
      setResult({ ok: await postJson<Resolved>(`${txnPath(transaction.txnId)}/resolve`, body) });
    } catch (error) {
      setResult(
        error instanceof ApiCallError
          ? { refused: error.body, status: error.status, message: error.message }
          : { refused: null, status: 0, message: String(error) },
      );
    } finally {
      setBusy(false);
      dialog.current?.close();
      onResolved();
    }
  };

  return (
    <article class="resolve" data-testid="resolve">
      <header>
        <strong>Resolve by hand</strong>{' '}
        <span class="muted">
          — allowed now, even while its coordinator runs (it loses the decision write and obeys yours); recovery would do this itself once the transaction is
          past its deadline and grace period
        </span>
      </header>
      {/* Once a decision is logged another one would be refused: only the answer stays. */}
      {!(result && 'ok' in result) && (
        <>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (!problems.length) dialog.current?.showModal();
            }}
          >
            <fieldset class="decision">
              <label>
                <input type="radio" name="decision" value="ABORT" checked={decision === 'ABORT'} onChange={() => setDecision('ABORT')} /> Abort — every
                participant releases what it holds (what recovery would do: presumed abort)
              </label>
              <label>
                <input type="radio" name="decision" value="COMMIT" checked={decision === 'COMMIT'} disabled={!logged} onChange={() => setDecision('COMMIT')} />{' '}
                Commit — every participant applies its operations
                {!logged && (
                  <small class="warn" data-testid="commit-impossible">
                    {' '}
                    (no log item: which participants it has cannot be shown, so only abort can be decided)
                  </small>
                )}
                {logged && unconfirmed.length > 0 && (
                  <small class="warn"> (not every yes vote is confirmed: {unconfirmed.join(', ')}; only abort can be decided)</small>
                )}
              </label>
            </fieldset>
            <div class="grid">
              <label>
                Your name
                <input name="operator" value={operator} onInput={(e) => setOperator(e.currentTarget.value)} placeholder="e.g. alice" autocomplete="username" />
              </label>
              <label>
                Why (recorded with the decision)
                <input
                  name="reason"
                  value={reason}
                  onInput={(e) => setReason(e.currentTarget.value)}
                  placeholder="e.g. coordinator crashed; bank confirmed by phone"
                  maxLength={500}
                />
              </label>
            </div>
            {problems.length > 0 && <p class="muted small">Needed: {problems.join('; ')}.</p>}
            <button type="submit" class={decision === 'COMMIT' ? 'commit' : 'abort'} disabled={problems.length > 0}>
              Review {decision === 'COMMIT' ? 'commit' : 'abort'}…
            </button>
          </form>
          <dialog ref={dialog} data-testid="confirm">
            <article>
              <h3>{decision === 'COMMIT' ? 'Commit' : 'Abort'} this transaction?</h3>
              <p data-testid="consequence">{consequence(transaction.txnId, decision, transaction.participants)}</p>
              <p class="muted">
                Reason recorded: “{reason.trim()}” — by operator:{operator}
              </p>
              <footer>
                <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
                  Cancel
                </button>{' '}
                <button
                  type="button"
                  class={decision === 'COMMIT' ? 'commit' : 'abort'}
                  aria-busy={busy ? 'true' : 'false'}
                  onClick={() => void submit()}
                  data-testid="confirm-button"
                >
                  {decision === 'COMMIT' ? 'Commit' : 'Abort'} {transaction.txnId}
                </button>
              </footer>
            </article>
          </dialog>
        </>
      )}
      {result && 'ok' in result && (
        <p class={result.ok.violations?.length ? 'error' : 'ok'} role="status" data-testid="resolve-result">
          {result.ok.decision} logged.{' '}
          {result.ok.final
            ? 'Every participant has answered: the transaction is final.'
            : 'Not every participant answered yet; recovery keeps delivering the decision.'}
          {result.ok.violations?.length ? ` Heuristic hazard: ${result.ok.violations.join(', ')}.` : ''}
          {result.ok.errors?.length ? ` Errors: ${result.ok.errors.join('; ')}.` : ''}
        </p>
      )}
      {result && 'refused' in result && (
        <p class="error" role="alert" data-testid="resolve-result">
          Refused ({result.refused?.error.code ?? `HTTP ${result.status}`}): {result.message}
          {result.refused?.logged ? ` Logged: ${result.refused.logged.decision} by ${result.refused.logged.decidedBy}.` : ''}
        </p>
      )}
    </article>
  );
}
