/** Small pieces every page uses: a status badge, a tile, a txnId link, an error line. */
import type { ComponentChildren } from 'preact';
import type { TxnStatus } from '../apiTypes.js';
import { ApiCallError } from '../api.js';

export function StatusBadge({ status, stuck }: { status: TxnStatus | string; stuck?: boolean }) {
  return <span class={`badge status-${status.toLowerCase()}${stuck ? ' stuck' : ''}`}>{stuck ? `${status} · STUCK` : status}</span>;
}

export function Tile({
  label,
  value,
  detail,
  alarm,
  testId,
}: {
  label: string;
  value: ComponentChildren;
  detail?: ComponentChildren;
  alarm?: boolean;
  testId?: string;
}) {
  return (
    <article class={`tile${alarm ? ' alarm' : ''}`} data-testid={testId} aria-live="polite">
      <header>{label}</header>
      <div class="tile-value">{value}</div>
      {detail !== undefined && <footer>{detail}</footer>}
    </article>
  );
}

export const txnHref = (txnId: string) => `#/transactions/${encodeURIComponent(txnId)}`;

export function TxnLink({ txnId }: { txnId: string }) {
  return (
    <a href={txnHref(txnId)} class="txn">
      {txnId}
    </a>
  );
}

export function ErrorLine({ error }: { error: unknown }) {
  if (!error) return null;
  const text =
    error instanceof ApiCallError ? `${error.code ?? `HTTP ${error.status}`}: ${error.message}` : error instanceof Error ? error.message : String(error);
  return (
    <p class="error" role="alert">
      {text}
    </p>
  );
}
