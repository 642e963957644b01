/**
 * Resolves the few CloudFormation intrinsics Pakka's template uses (Ref, Fn::GetAtt, Fn::Join) to
 * plain strings, as CloudFormation would in one imagined account and region. A reference to a
 * resource becomes `<Ref:LogicalId>` / `<LogicalId.Attribute>`, so assertions can name it.
 */
export const FAKE_ENVIRONMENT = { partition: 'aws', region: 'eu-west-1', account: '123456789012', urlSuffix: 'amazonaws.com' } as const;

const PSEUDO: Record<string, string> = {
  'AWS::Partition': FAKE_ENVIRONMENT.partition,
  'AWS::Region': FAKE_ENVIRONMENT.region,
  'AWS::AccountId': FAKE_ENVIRONMENT.account,
  'AWS::URLSuffix': FAKE_ENVIRONMENT.urlSuffix,
};

export function resolveIntrinsic(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    const [name, arg] = entries[0] ?? [];
    if (entries.length === 1 && name === 'Ref' && typeof arg === 'string') return PSEUDO[arg] ?? `<Ref:${arg}>`;
    if (entries.length === 1 && name === 'Fn::GetAtt' && Array.isArray(arg)) return `<${arg.join('.')}>`;
    if (entries.length === 1 && name === 'Fn::Join' && Array.isArray(arg)) {
      const [separator, parts] = arg as [string, unknown[]];
      return parts.map(resolveIntrinsic).join(separator);
    }
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

export const refOf = (logicalId: string) => `<Ref:${logicalId}>`;
export const arnOf = (logicalId: string) => `<${logicalId}.Arn>`;
