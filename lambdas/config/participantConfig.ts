/**
 * The participant config: one file that names every participant, its kind and its timeouts.
 * Local mode and the CDK stack both load it through here, so they cannot disagree.
 */
import { HOLDS_IN_ITEMS_BY_DEFAULT } from '../participants/holdLayout.js';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isOwnFunctionKind } from '../participants/barrier/kind.js';
import { MAX_SHARDS } from '../participants/hotItems.js';
import { itemKey } from '../participants/kinds/fields.js';
import type { ParticipantKind } from '../participants/kind.js';
import { BUILT_IN_KINDS, type KindRegistry } from '../participants/kinds/index.js';

export const PARTICIPANT_NAME = /^[a-z][a-z0-9-]{1,39}$/;

const timeoutSeconds = z.number().int().min(1).max(300);

const participantEntry = z.strictObject({
  kind: z.string(),
  description: z.string().max(200).optional(),
  prepareTimeoutSeconds: timeoutSeconds.optional(),
  commitTimeoutSeconds: timeoutSeconds.optional(),
  /** Hot keys spread over this many shard items (hotItems.ts): a fee account that every transfer credits. */
  shardedKeys: z.record(itemKey, z.number().int().min(2).max(MAX_SHARDS)).optional(),
  /**
   * A transaction with this participant alone is committed in one phase (commitOnePhase). On by
   * default where Pakka's own runtime answers; off for a team's own function, which may not know it.
   */
  onePhaseCommit: z.boolean().optional(),
  /**
   * A transaction whose operations here are one escrow on one unsharded item keeps its hold inside that
   * item (single-item writes, no TransactWriteItems: docs/design.md, "Holds that live in the item").
   */
  holdsInItems: z.boolean().optional(),
});

/**
 * A participant without timeouts of its own, in a file without `defaults`, gets these: long enough for a
 * participant's DynamoDB writes and a Lambda cold start, short enough that a stuck one does not hold
 * the others' reservations for long.
 */
export const DEFAULT_TIMEOUTS = { prepareTimeoutSeconds: 10, commitTimeoutSeconds: 10 } as const;

const configFile = z.strictObject({
  $comment: z.string().optional(),
  defaults: z.strictObject({ prepareTimeoutSeconds: timeoutSeconds.optional(), commitTimeoutSeconds: timeoutSeconds.optional() }).optional(),
  participants: z.record(z.string().regex(PARTICIPANT_NAME, 'participant names are lower-case letters, digits and -'), participantEntry),
});

export interface ParticipantSpec {
  name: string;
  kind: string;
  /** The registered kind `kind` names: its operations, their validation and what prepare holds. */
  definition: ParticipantKind;
  description: string;
  prepareTimeoutSeconds: number;
  commitTimeoutSeconds: number;
  shardedKeys: ReadonlyMap<string, number>;
  /** Sent commitOnePhase when it is a transaction's only participant (see the config entry). */
  onePhaseCommit: boolean;
  /** One-item escrows hold in their item (holdLayout.ts). */
  holdsInItems: boolean;
}

export type ParticipantConfig = ReadonlyMap<string, ParticipantSpec>;

/**
 * A participant that keeps its prepared state in its own store (a SQL participant: its kind says
 * `preparedStateIn: 'participant'`): recovery and the API ask it (`status`, `inDoubt`) instead of
 * reading its table.
 */
export const keepsPreparedStateItself = (spec: ParticipantSpec): boolean => spec.definition.preparedStateIn === 'participant';

/** The names of the participants that keep their prepared state in their own store, in the config's order. */
export const participantsAskedForInDoubt = (config: ParticipantConfig): string[] =>
  [...config.values()].filter(keepsPreparedStateItself).map((spec) => spec.name);

export const DEFAULT_CONFIG_PATH = new URL('../../config/participants.json', import.meta.url);

/** `kinds`: the kinds the config may name, Pakka's own by default. */
export function parseParticipantConfig(raw: unknown, kinds: KindRegistry = BUILT_IN_KINDS): ParticipantConfig {
  const parsed = configFile.safeParse(raw);
  if (!parsed.success) {
    // A bad participant name is an issue about a record key, whose rule is in its nested issues.
    const problems = parsed.error.issues.map(
      (issue) =>
        `${issue.path.length ? issue.path.join('.') : '(the file)'}: ${issue.code === 'invalid_key' ? issue.issues.map((inner) => inner.message).join(', ') : issue.message}`,
    );
    throw new Error(`the participant config is invalid: ${problems.join('; ')}`);
  }
  const file = parsed.data;
  const defaults = {
    prepareTimeoutSeconds: file.defaults?.prepareTimeoutSeconds ?? DEFAULT_TIMEOUTS.prepareTimeoutSeconds,
    commitTimeoutSeconds: file.defaults?.commitTimeoutSeconds ?? DEFAULT_TIMEOUTS.commitTimeoutSeconds,
  };
  const specs = new Map<string, ParticipantSpec>();
  for (const [name, entry] of Object.entries(file.participants)) {
    const definition = kinds.get(entry.kind);
    if (!definition) throw new Error(`participant ${name}: kind '${entry.kind}' is not registered; known: ${[...kinds.keys()].join(', ')}`);
    specs.set(name, {
      name,
      kind: entry.kind,
      definition,
      description: entry.description ?? '',
      prepareTimeoutSeconds: entry.prepareTimeoutSeconds ?? defaults.prepareTimeoutSeconds,
      commitTimeoutSeconds: entry.commitTimeoutSeconds ?? defaults.commitTimeoutSeconds,
      shardedKeys: new Map(Object.entries(entry.shardedKeys ?? {})),
      onePhaseCommit: entry.onePhaseCommit ?? !isOwnFunctionKind(definition),
      holdsInItems: entry.holdsInItems ?? HOLDS_IN_ITEMS_BY_DEFAULT,
    });
    if (entry.shardedKeys && definition.escrowQuantity === undefined) {
      throw new Error(`participant ${name}: shardedKeys needs a kind whose operations escrow a quantity (like ledger or inventory), not ${entry.kind}`);
    }
  }
  if (specs.size === 0) throw new Error('the participant config declares no participants');
  return specs;
}

export function loadParticipantConfig(
  path: string | URL = process.env.PAKKA_PARTICIPANTS ?? DEFAULT_CONFIG_PATH,
  kinds: KindRegistry = BUILT_IN_KINDS,
): ParticipantConfig {
  return parseParticipantConfig(JSON.parse(readFileSync(path, 'utf8')), kinds);
}
