/**
 * The deployment knobs, read from CDK context (cdk.json, or `-c key=value` on the command line)
 * and validated here, at the edge, so a typo fails the synth instead of deploying something else.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { z } from 'zod';
import { COORDINATOR_VARIANTS, DEFAULT_COORDINATOR_VARIANT } from '../lambdas/config/coordinatorVariant.js';

/** Context keys, as documented in cdk.json. */
export const CONTEXT = {
  stackName: 'pakka:stackName',
  participantConfig: 'pakka:participantConfig',
  removalPolicy: 'pakka:removalPolicy',
  logRetentionDays: 'pakka:logRetentionDays',
  apiTimeoutSeconds: 'pakka:apiTimeoutSeconds',
  recoveryTimeoutSeconds: 'pakka:recoveryTimeoutSeconds',
  apiThrottleRatePerSecond: 'pakka:apiThrottleRatePerSecond',
  apiThrottleBurst: 'pakka:apiThrottleBurst',
  stateMachineLogLevel: 'pakka:stateMachineLogLevel',
  coordinator: 'pakka:coordinator',
  alarmEmail: 'pakka:alarmEmail',
  faultInjection: 'pakka:faultInjection',
} as const;

// CloudWatch Logs accepts only these retention periods.
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

// `-c key=value` arrives as a string, cdk.json as a number: accept both.
const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const settingsSchema = z.object({
  // The stack name also prefixes every function name, so it stays short (names are at most 64 characters).
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,22}$/, 'must be 1-23 letters, digits or -, starting with a letter')
    .default('Pakka'),
  participantConfig: z.string().min(1).default('config/participants.json'),
  removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
  logRetentionDays: count(1, 3653)
    .refine((d) => (RETENTION_DAYS as readonly number[]).includes(d), { message: `must be one of ${RETENTION_DAYS.join(', ')}` })
    .default(30),
  // API Gateway gives a REST integration at most 29 s; `?wait=true` waits up to 25 s of it.
  apiTimeoutSeconds: count(1, 29).default(29),
  // Recovery runs every minute; a sweep must end before the next one starts.
  recoveryTimeoutSeconds: count(10, 60).default(55),
  apiThrottleRatePerSecond: count(1, 10_000).default(50),
  apiThrottleBurst: count(1, 5_000).default(100),
  stateMachineLogLevel: z.enum(['ALL', 'ERROR']).default('ALL'),
  // Which workflow coordinates (see Coordinator's variant prop): express unless a deployment needs longer transactions.
  coordinator: z.enum(COORDINATOR_VARIANTS).default(DEFAULT_COORDINATOR_VARIANT),
  // Subscribed to the alarm topic (SNS asks the address to confirm); without it, subscribe yourself.
  alarmEmail: z.email().optional(),
  // For a sandbox that runs `pakka verify`: a request may ask the coordinator to stop after prepare
  // (lambdas/request/coordinatorFault.ts). Never on by default; `-c` gives the string, cdk.json a boolean.
  faultInjection: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(false),
});

export type DeploymentSettings = z.infer<typeof settingsSchema>;

/** Reads every knob through `tryGetContext` (a node's view of the app context). */
export function deploymentSettings(tryGetContext: (key: string) => unknown): DeploymentSettings {
  const raw = Object.fromEntries(
    Object.entries(CONTEXT).flatMap(([field, key]) => {
      const value = tryGetContext(key);
      return value === undefined ? [] : [[field, value]];
    }),
  );
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? '');
    const key = CONTEXT[field as keyof typeof CONTEXT] ?? field;
    throw new Error(`CDK context ${key}: ${issue?.message ?? 'is invalid'}`);
  }
  return parsed.data;
}

export function removalPolicyOf(settings: Pick<DeploymentSettings, 'removalPolicy'>): RemovalPolicy {
  return settings.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
}
