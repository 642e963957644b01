/**
 * GET /metrics as the Prometheus ecosystem reads it: `promtool check metrics` (Debian's `prometheus`
 * package) finds nothing on a fresh service and after a mixed workload (commits, an abort, a
 * transaction recovery finished, a protocol violation), and a fresh service already lists every metric
 * with HELP and TYPE, every counter at 0. Under CI=true a missing promtool fails the run.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROMETHEUS_METRICS } from '../../lambdas/observability/prometheusNames.js';
import { FaultInjector } from '../../local/faults.js';
import type { LocalService } from '../../local/server.js';
import { HOUR_MS } from '../chaos/ledgerWorld.js';
import { uniqueId } from '../support/pakka.js';
import { call, startTestService } from '../support/service.js';
import { commandRuns, toolsPresent } from '../support/tools.js';

/** promtool's findings on an exposition: its output lines, empty when clean. */
function promtoolFindings(exposition: string): string[] {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  const out = `${run.stdout}${run.stderr}`.split('\n').filter((l) => l.trim());
  return run.status === 0 ? out : [`promtool exit ${run.status}`, ...out];
}

const stuckId = uniqueId('lint-stuck');
const injector = new FaultInjector([{ fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: stuckId }]);
let service: LocalService;
let fresh = '';

const metricsText = async () => {
  const response = await fetch(`${service.url}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
};

beforeAll(async () => {
  service = await startTestService({ pakka: injector.seams(), recovery: { timer: false, now: () => Date.now() + HOUR_MS }, log: () => {} });
  injector.attach(service.pakka);
  fresh = await metricsText();
});
afterAll(async () => service?.stop());

describe('GET /metrics and promtool', () => {
  const havePromtool = toolsPresent({ name: 'promtool', debianPackage: 'prometheus', present: commandRuns('promtool', ['--version']) });
  it('a fresh service lists every metric with HELP and TYPE, and every counter at 0', () => {
    for (const m of PROMETHEUS_METRICS) {
      expect(fresh, m.name).toContain(`# HELP ${m.name} `);
      expect(fresh, m.name).toContain(`# TYPE ${m.name} ${m.type}`);
      if (m.type === 'counter') expect(fresh, m.name).toMatch(new RegExp(`^${m.name}(\\{[^}]*\\})? 0$`, 'm'));
    }
    expect(fresh).not.toMatch(/_ms(_|\b)/);
    // Known label sets are there before the first call, so rate() sees them from the first scrape.
    expect(fresh).toContain('pakka_participant_calls_total{participant="payer-bank",action="prepare"} 0');
    expect(fresh).toContain('pakka_transactions_aborted_total{reason="TIMEOUT"} 0');
  });

  it.runIf(havePromtool)('promtool check metrics finds nothing on a fresh service', () => {
    expect(promtoolFindings(fresh)).toEqual([]);
  });

  it.runIf(havePromtool)('promtool check metrics finds nothing after commits, an abort, a recovery and a violation', async () => {
    const payer = uniqueId('payer');
    const payee = uniqueId('payee');
    const run = (body: unknown) => call<{ status: string }>(service.url, 'POST', '/transactions?wait=true', body);
    const transfer = (amount: number, txnId?: string) => ({
      ...(txnId ? { txnId } : {}),
      participants: [
        { name: 'payer-bank', operations: [{ op: 'debit', key: payer, amount }] },
        { name: 'payee-bank', operations: [{ op: 'credit', key: payee, amount }] },
      ],
    });
    expect((await run({ participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: payer, amount: 1000 }] }] })).body.status).toBe('COMMITTED');
    expect((await run(transfer(100))).body.status).toBe('COMMITTED');
    expect((await run(transfer(5000))).body.status).toBe('ABORTED');
    // A coordinator that stops before deciding: recovery finishes the transaction.
    expect((await call(service.url, 'POST', '/transactions', transfer(50, stuckId))).status).toBe(202);
    await service.pakka.drain();
    await injector.settled();
    const sweep = await call<{ finalized: number }>(service.url, 'POST', '/recovery/run');
    expect(sweep.body.finalized).toBeGreaterThanOrEqual(1);
    // A commit after that abort is a protocol violation the participant refuses and counts.
    const bank = service.pakka.participants.get('payee-bank');
    await expect(bank?.({ action: 'commit', txnId: stuckId, operations: [{ op: 'credit', key: payee, amount: 50 }] })).rejects.toThrow();

    const after = await metricsText();
    expect(after).toMatch(/^pakka_in_doubt_resolved_total [1-9]/m);
    expect(after).toMatch(/^pakka_transactions_committed_total [1-9]/m);
    expect(after).toMatch(/^pakka_protocol_violations_total\{participant="payee-bank",code="COMMIT_AFTER_ABORT"\} 1$/m);
    expect(after).toMatch(/^pakka_prepare_latency_seconds_count\{participant="payer-bank"\} [1-9]/m);
    expect(promtoolFindings(after)).toEqual([]);
    // Every dimension the code recorded is declared in metricNames.ts, so none was left out.
    expect([...service.pakka.metrics.unknownDimensions]).toEqual([]);
  });

  it.runIf(havePromtool)('promtool does report the old form, so a clean result means something', () => {
    const old =
      '# TYPE pakka_prepare_latency_ms histogram\npakka_prepare_latency_ms_bucket{le="+Inf"} 1\npakka_prepare_latency_ms_sum 1\npakka_prepare_latency_ms_count 1\n';
    expect(promtoolFindings(old).join('\n')).toMatch(/no help text|abbreviated unit|base unit/);
  });
});
