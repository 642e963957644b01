/**
 * docs/library.md's "Your first hour", followed literally from an empty folder holding only the run's
 * tarball (packSetup.ts): every file the page shows written, every command it shows run (npm installs,
 * `cdk synth`, tsx, vitest), and what they made and printed checked. Part of `npm run test:package`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FIRST_HOUR_HEADING, firstHourSteps } from './firstHour.js';
import { ENV, followPage, run } from './packedLibrary.js';

describe(`docs/library.md, "${FIRST_HOUR_HEADING.slice(3)}", followed literally from an empty folder`, () => {
  const steps = firstHourSteps();
  const { printed, at } = followPage('first-hour', steps);

  it('covers init, the install, the team kind, the stack, local transactions and the conformance kit', () => {
    const commands = steps.flatMap((s) => ('command' in s ? [s.command] : []));
    expect(commands[0]).toBe('npm init -y');
    for (const needed of [/^npm install \.\/pakka-\*\.tgz /, /cdk synth/, /transact\.ts/, /vitest run/])
      expect(commands.some((c) => needed.test(c))).toBe(true);
  });

  it('refuses require() with a message that says Pakka is ESM and what to change', async () => {
    const refused = await run(process.execPath, ['-e', "require('pakka/participants')"], { cwd: at.path, env: ENV }).catch((e: { stderr: string }) => e);
    expect('stderr' in refused ? refused.stderr : '').toContain('pakka is an ES module package and cannot be loaded with require()');
    expect('stderr' in refused ? refused.stderr : '').not.toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it("synthesized the stack with the team's kind in its own function", () => {
    const template = JSON.parse(readFileSync(join(at.path, 'cdk.out', 'Vouchers.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties?: { FunctionName?: string } }>;
    };
    const names = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties?.FunctionName)
      .filter((n) => n !== undefined)
      .sort();
    expect(names).toEqual(['Vouchers-bank', 'Vouchers-vouchers']);
  });

  it('committed across the ledger and the voucher kind, then aborted both when the voucher was spent', () => {
    const output = [...printed].find(([command]) => command.includes('transact.ts'))?.[1] ?? '';
    const result = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(result).toEqual({
      setup: { status: 'COMMITTED', reason: null },
      first: { status: 'COMMITTED', reason: null },
      // The voucher kind's own reason (contract 1.3), as the doc declares it.
      second: { status: 'ABORTED', reason: 'NO_SUCH_VOUCHER' },
      alice: expect.objectContaining({ balance: 8_000, available: 8_000, reserved: 0 }),
      voucher: expect.objectContaining({ amount: 500, redeemed: true }),
    });
  });

  it('ran the conformance kit against the kind participant, every rule it supports', () => {
    // vitest colours its summary even into a pipe.
    const output = stripVTControlCharacters([...printed].find(([command]) => command.includes('vitest run'))?.[1] ?? '');
    // Every rule a kind participant supports, 8 of them: all but readOnly (the voucher kind has no
    // check-only operation) and the three crashes after an external call (a kind calls no external
    // system). vitest names only its slow tests when not on a terminal, so the count is what is checked.
    expect(output).toMatch(/Tests\s+8 passed \(8\)/);
  });
});
