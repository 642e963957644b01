/**
 * A grant on the indexes of every participant's table (the API's and recovery's reads of inDoubt and
 * heldItems). A table Pakka built has exactly PARTICIPANT_TABLE_SCHEMA's indexes, so where a role reads all of
 * them it names the table's indexes once, `<table ARN>/index/*`, instead of once per index: at the largest stack
 * (56 participants) the per-index ARNs alone filled three of the ten managed policies IAM attaches to a role
 * ("IAM and AWS STS quotas"). A team's table may hold indexes of its own that no Pakka role may read, so its
 * indexes are named one by one.
 *
 * cdk-nag reports each `/index/*` resource (AwsSolutions-IAM5). CDK moves what overflows a role's inline
 * policy into managed policies it creates while synthesizing, so the acknowledgement is made after that
 * split, on the very policy that holds each such resource, and on no other.
 */
import { Aspects, AspectPriority, type IAspect, Stack, Validations } from 'aws-cdk-lib';
import { type IRole, ManagedPolicy, Policy } from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';
import { PARTICIPANT_TABLE_SCHEMA } from '../../lambdas/tableSchemas.js';
import type { ParticipantTable } from './participant.js';
import { perParticipantStatements } from './perParticipantStatements.js';

export interface IndexedParticipant {
  name: string;
  table: ParticipantTable;
}

const SCHEMA_INDEXES = PARTICIPANT_TABLE_SCHEMA.indexes.map((index) => index.indexName);

/**
 * The ARNs naming `indexes` of each participant's table: one per table where the table is Pakka's and
 * `indexes` are all its schema has, else one per index.
 */
export function participantIndexArns(participants: readonly IndexedParticipant[], indexes: readonly string[]): { arns: string[]; everyIndexArns: string[] } {
  const everyIndex = SCHEMA_INDEXES.every((name) => indexes.includes(name));
  const arns: string[] = [];
  const everyIndexArns: string[] = [];
  for (const p of participants) {
    if (everyIndex && p.table.everyIndexArn) {
      arns.push(p.table.everyIndexArn);
      everyIndexArns.push(p.table.everyIndexArn);
      continue;
    }
    for (const index of indexes) {
      const arn = p.table.indexArns.get(index);
      if (!arn) throw new Error(`participant ${p.name}: its table has no ${index} index`);
      arns.push(arn);
    }
  }
  return { arns, everyIndexArns };
}

/** Lets `role` use `actions` on `indexes` of each participant's table, acknowledging each `/index/*` with cdk-nag. */
export function grantOnParticipantIndexes(
  role: IRole,
  actions: readonly string[],
  participants: readonly IndexedParticipant[],
  indexes: readonly string[],
): void {
  const { arns, everyIndexArns } = participantIndexArns(participants, indexes);
  for (const statement of perParticipantStatements(actions, arns)) role.addToPrincipalPolicy(statement);
  if (everyIndexArns.length === 0) return;
  const reason = `${actions.join(', ')} on the indexes of a participant table Pakka built: it has exactly the indexes of PARTICIPANT_TABLE_SCHEMA (${SCHEMA_INDEXES.join(', ')}), all of which this function reads. One ARN per table keeps the role within IAM's 10 managed policies.`;
  Aspects.of(role).add(new AcknowledgeWhereLanded(role, everyIndexArns, reason), { priority: AspectPriority.READONLY });
}

/**
 * Runs on the role after CDK split its policy (a mutating aspect, which runs earlier) and before cdk-nag writes
 * the acknowledgements into the template (on the policies, which are visited after the role).
 */
class AcknowledgeWhereLanded implements IAspect {
  constructor(
    private readonly role: IRole,
    private readonly arns: readonly string[],
    private readonly reason: string,
  ) {}

  visit(node: IConstruct): void {
    if (node !== this.role) return;
    const stack = Stack.of(this.role);
    const wanted = new Set(this.arns.map((arn) => JSON.stringify(stack.resolve(arn))));
    for (const child of this.role.node.children) {
      if (!(child instanceof Policy || child instanceof ManagedPolicy)) continue;
      const document = stack.resolve(child.document) as { Statement?: Array<{ Resource?: unknown }> };
      const found = (document.Statement ?? [])
        .flatMap((statement) => (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]))
        .filter((resource) => wanted.has(JSON.stringify(resource)))
        .map((resource) => flattenCfnReference(resource));
      if (found.length)
        Validations.of(child).acknowledge(...found.map((resource) => ({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason: this.reason })));
    }
  }
}
