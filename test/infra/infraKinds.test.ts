/**
 * The CDK constructs with a team's kinds: a kind Pakka does not know brings its Lambda entry (bundled
 * as given) and the stack an API entry that validates with it; without them the synth stops and names
 * the participant. A team kind that reuses a built-in's name is not mistaken for it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { Participant } from '../../infra/constructs/participant.js';
import { PakkaStack } from '../../infra/pakkaStack.js';
import { deploymentSettings } from '../../infra/settings.js';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { ledger } from '../../lambdas/participants/kinds/ledger.js';
import { kindRegistry } from '../../lambdas/participants/kinds/index.js';
import { defineKind } from '../../lambdas/participants/kind.js';
import { loyalty, teamKinds } from '../support/loyaltyKind.js';

const ENTRY = fileURLToPath(new URL('../support/loyaltyParticipantEntry.ts', import.meta.url));
const raw = {
  defaults: { prepareTimeoutSeconds: 5, commitTimeoutSeconds: 5 },
  participants: { bank: { kind: 'ledger' }, rewards: { kind: 'loyalty' } },
};
const config = parseParticipantConfig(raw, teamKinds);
const rewards = config.get('rewards');
if (!rewards) throw new Error('the test config declares rewards');
const common = { functionNamePrefix: 'team-', removalPolicy: RemovalPolicy.DESTROY, logRetention: RetentionDays.ONE_DAY };

describe("a participant of a team's kind", () => {
  it('needs its Lambda entry: without one the synth stops, naming the participant and the kind', () => {
    const stack = new Stack(new App(), 'NoEntry');
    expect(() => new Participant(stack, 'Rewards', { spec: rewards, ...common })).toThrow(
      "participant rewards: kind 'loyalty' is not one of Pakka's own, so give its function (participantFunctions['rewards']) or its Lambda entry (kindEntries['loyalty'])",
    );
  });

  it("is not given a built-in's entry for reusing a built-in's name", () => {
    const impostor = defineKind({ ...loyalty, name: 'ledger' });
    const spec = parseParticipantConfig({ ...raw, participants: { bank: { kind: 'ledger' } } }, kindRegistry([impostor])).get('bank');
    if (!spec) throw new Error('bank is declared');
    expect(spec.definition).not.toBe(ledger);
    expect(() => new Participant(new Stack(new App(), 'Impostor'), 'Bank', { spec, ...common })).toThrow(
      "participant bank: kind 'ledger' is not one of Pakka's own",
    );
  });

  it('refuses an entry file that does not exist', () => {
    expect(() => new Participant(new Stack(new App(), 'Missing'), 'Rewards', { spec: rewards, ...common, entry: '/nonexistent/entry.ts' })).toThrow(
      'Lambda entry /nonexistent/entry.ts does not exist',
    );
  });

  it('bundles the entry it is given, with the kind inside', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'pakka-team-kind-'));
    try {
      const app = new App({ outdir });
      new Participant(new Stack(app, 'TeamKind'), 'Rewards', { spec: rewards, ...common, entry: ENTRY });
      app.synth();
      const assets = JSON.parse(readFileSync(join(outdir, 'TeamKind.assets.json'), 'utf8')) as {
        files: Record<string, { source: { path: string; packaging?: string } }>;
      };
      const code = Object.values(assets.files).filter((a) => a.source.packaging === 'zip');
      expect(code).toHaveLength(1);
      expect(readFileSync(join(outdir, code[0]?.source.path ?? '', 'index.mjs'), 'utf8')).toContain('team loyalty points (construct test)');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("PakkaStack with a team's kinds", () => {
  it('needs an API entry that validates with them, before anything is built', () => {
    const settings = deploymentSettings(() => undefined);
    expect(() => new PakkaStack(new App(), 'Team', { participants: config, settings, kindEntries: { loyalty: ENTRY } })).toThrow(
      "participant rewards: kind 'loyalty' is not one of Pakka's own, so the API needs an entry that validates with it (apiEntry)",
    );
  });

  it('takes kindEntries by kind, and says so when it is keyed by a participant or names a kind nobody has', () => {
    const settings = deploymentSettings(() => undefined);
    const stack = (kindEntries: Record<string, string>) => () =>
      new PakkaStack(new App(), 'Team', { participants: config, settings, kindEntries, apiEntry: ENTRY });
    expect(stack({ rewards: ENTRY })).toThrow(
      "kindEntries is keyed by kind, not by participant: 'rewards' is a participant of kind 'loyalty', so write kindEntries['loyalty']",
    );
    expect(stack({ vouchers: ENTRY })).toThrow("kindEntries['vouchers']: no participant in the config has kind 'vouchers'; kinds configured: ledger, loyalty");
  });
});
