/**
 * A grant over one resource per participant, as statements IAM can hold at any participant count. IAM
 * limits a managed policy to 6,144 characters, a role's inline policies to 10,240 and a role to 10 managed
 * policies ("IAM and AWS STS quotas"); CDK moves statements that overflow a role's inline policy into managed
 * policies, packing them to 6,000 characters by its own estimate (an unresolved ARN counts ARN_SIZE_ESTIMATE),
 * but never splits one statement, and one statement naming every participant's table index outgrew 6,144
 * characters at about 35 participants. So the resources are cut into statements of RESOURCES_PER_STATEMENT,
 * small enough that CDK packs two of them into each managed policy: with statements of 20 ARNs it packed one,
 * and recovery's role needed 12 managed policies at 56 participants.
 */
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';

/** CDK's context key for the length it assumes an unresolved ARN takes (default 150). */
export const ARN_SIZE_ESTIMATE_CONTEXT = '@aws-cdk/aws-iam.arnSizeEstimate';
/**
 * An index ARN of a table named by CloudFormation (stack name, logical id, 13 characters) in the
 * longest region name takes about 170 characters: CDK's default 150 packed overflow policies past 6,144.
 */
export const ARN_SIZE_ESTIMATE = 200;

/** The size CDK packs a managed policy to, by its estimate (aws-iam's role.ts, MAX_MANAGEDPOL_SIZE). */
const CDK_MANAGED_POLICY_PACK = 6000;
/** A statement's effect, actions and conditions (the heldItems tidy's are the longest, about 150 characters), as CDK counts them. */
const STATEMENT_ALLOWANCE = 300;
/**
 * Two statements per managed policy as CDK estimates them, each ARN counted with its quotes and comma: 13. The
 * deployed policy is smaller (this stack's ARNs are shorter than the estimate; test/infra/stackLimits.test.ts
 * measures them with the names CloudFormation gives).
 */
export const RESOURCES_PER_STATEMENT = Math.floor((CDK_MANAGED_POLICY_PACK / 2 - STATEMENT_ALLOWANCE) / (ARN_SIZE_ESTIMATE + 3));

/** `conditions`, where given, go into every statement (IAM's Condition element). */
export function perParticipantStatements(
  actions: readonly string[],
  resources: readonly string[],
  conditions?: Record<string, Record<string, unknown>>,
): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  for (let i = 0; i < resources.length; i += RESOURCES_PER_STATEMENT) {
    statements.push(
      new PolicyStatement({ actions: [...actions], resources: resources.slice(i, i + RESOURCES_PER_STATEMENT), ...(conditions ? { conditions } : {}) }),
    );
  }
  return statements;
}
