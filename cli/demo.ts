/** `pakka demo [NAME]`: runs the example scenarios against a running Pakka and reports each one. */
import { SCENARIOS } from '../examples/index.js';
import { type Check, type Scenario, type StepReport, newRunId } from '../examples/scenario.js';
import type { PakkaClient } from './client.js';
import { outcomeLine, table } from './format.js';

export interface DemoReport {
  scenario: string;
  title: string;
  steps: Array<{ label: string; txnId: string; status: string; reason: string | null; totalMs: number | null }>;
  checks: Check[];
  passed: boolean;
}

export function scenarioNamed(name: string | undefined): Scenario[] {
  if (!name) return [...SCENARIOS];
  const found = SCENARIOS.find((s) => s.name === name);
  if (!found) throw new Error(`no scenario '${name}'; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return [found];
}

export async function runDemo(client: PakkaClient, scenarios: Scenario[], print: (line: string) => void): Promise<DemoReport[]> {
  const reports: DemoReport[] = [];
  for (const scenario of scenarios) {
    print(`\n== ${scenario.title}`);
    const onStep = (step: StepReport) => {
      const mark = step.transaction.status === step.expected ? '✔' : '✘ unexpected:';
      print(`  ${mark} ${step.label}\n      ${outcomeLine(step.transaction)}`);
    };
    const result = await scenario.run({ client, runId: newRunId(), onStep });
    for (const check of result.checks.filter((c) => !c.ok)) print(`  !! ${check.what}: ${check.detail}`);
    const passed = result.checks.every((c) => c.ok);
    print(`  ${passed ? 'as expected' : 'NOT as expected'}: ${result.checks.filter((c) => c.ok).length}/${result.checks.length} checks hold`);
    reports.push({
      scenario: scenario.name,
      title: scenario.title,
      steps: result.steps.map((s) => ({
        label: s.label,
        txnId: s.transaction.txnId,
        status: s.transaction.status,
        reason: s.transaction.reason,
        totalMs: s.transaction.timings.totalMs,
      })),
      checks: result.checks,
      passed,
    });
  }
  return reports;
}

export function summaryText(reports: DemoReport[]): string {
  return table(
    ['scenario', 'transactions', 'committed', 'aborted', 'checks', 'result'],
    reports.map((r) => [
      r.scenario,
      r.steps.length,
      r.steps.filter((s) => s.status === 'COMMITTED').length,
      r.steps.filter((s) => s.status === 'ABORTED').length,
      `${r.checks.filter((c) => c.ok).length}/${r.checks.length}`,
      r.passed ? 'ok' : 'FAILED',
    ]),
  );
}
