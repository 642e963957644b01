/**
 * A grant over one resource per participant, as statements IAM can hold at any participant count. IAM
 * limits a managed policy to 6,144 characters and a role's inline policies to 10,240 ("IAM and AWS STS
 * quotas"); CDK moves statements that overflow a role's inline policy into managed policies, but never
 * splits one statement, and one statement naming every participant's table index outgrew 6,144
 * characters at about 35 participants. So the resources are cut into statements of at most
 * RESOURCES_PER_STATEMENT, and PakkaStack tells CDK how long an ARN of this stack may be
 * (ARN_SIZE_ESTIMATE), so that it packs the overflow policies by their deployed size.
 */
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';

/** 20 ARNs of up to 250 characters, with the actions, stay under 6,144 characters. */
export const RESOURCES_PER_STATEMENT = 20;

/** CDK's context key for the length it assumes an unresolved ARN takes (default 150). */
export const ARN_SIZE_ESTIMATE_CONTEXT = '@aws-cdk/aws-iam.arnSizeEstimate';
/**
 * An index ARN of a table named by CloudFormation (stack name, logical id, 13 characters) in the
 * longest region name takes about 170 characters: CDK's default 150 packed overflow policies past 6,144.
 */
export const ARN_SIZE_ESTIMATE = 200;

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
