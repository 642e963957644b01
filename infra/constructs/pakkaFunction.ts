/**
 * Every Pakka Lambda is built the same way: bundled locally by esbuild (from the repository's own
 * TypeScript, or from the installed package's JavaScript when a team's CDK app uses it), on the newest Node.js runtime, arm64, with its own role and its own log group. The
 * role starts empty; each construct grants exactly what its function needs.
 */
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

/** Pakka's root: the repository, or `dist/` of the installed package. Pakka's own entries are found from here. */
export const PAKKA_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Run from the repository's sources (tsx, vitest), this file is TypeScript and the repository's lock
 * file pins what is bundled. Compiled into an installed package, the entries are JavaScript and the
 * team's project (its lock file, found from the working directory as NodejsFunction does) is the root.
 */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** The file to bundle: a team's absolute path as it is, or one of Pakka's own (`lambdas/....ts`) in whichever form is installed. */
export function entryFile(entry: string): string {
  if (isAbsolute(entry)) {
    if (!existsSync(entry)) throw new Error(`Lambda entry ${entry} does not exist`);
    return entry;
  }
  return `${PAKKA_ROOT}${FROM_SOURCE ? entry : entry.replace(/\.ts$/, '.js')}`;
}

export const PAKKA_RUNTIME = Runtime.NODEJS_24_X;

/** The newest Node.js runtime the installed aws-cdk-lib knows (what cdk-nag's AwsSolutions-L1 asks for). */
export function newestNodeRuntime(runtimes: readonly Runtime[] = Runtime.ALL): string | undefined {
  const major = (runtime: Runtime) => Number(/^nodejs(\d+)/.exec(runtime.name)?.[1] ?? Number.NaN);
  return runtimes
    .filter((runtime) => !Number.isNaN(major(runtime)))
    .sort((a, b) => major(a) - major(b))
    .at(-1)?.name;
}
export const PAKKA_ARCHITECTURE = Architecture.ARM_64;

/**
 * How every function is bundled. The AWS SDK is bundled too instead of taken from the runtime, so
 * the code that runs in Lambda is exactly the code the lock file pins and the tests load.
 * ESM keeps `import.meta.url` working; the banner gives CommonJS dependencies a `require`.
 */
export const PAKKA_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  bundleAwsSDK: true,
  externalModules: [],
  mainFields: ['module', 'main'],
  banner: "import { createRequire as __pakkaCreateRequire } from 'node:module'; const require = __pakkaCreateRequire(import.meta.url);",
};

export interface PakkaFunctionProps {
  /**
   * Entry file exporting `handler`: one of Pakka's own, relative to the repository root (e.g.
   * `lambdas/participants/entries/ledger.ts`), or an absolute path to a team's own entry.
   */
  entry: string;
  functionName?: string;
  description: string;
  environment: Record<string, string>;
  timeout: Duration;
  memorySize?: number;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  /**
   * Why the role's "*" resources are needed, when the function grants more of them than active
   * tracing's X-Ray statement (cdk-nag keeps one reason per finding, so it is given here).
   */
  wildcardResourceReason?: string;
  /** The team's VPC, for a function that reaches a database inside it (a SQL participant). */
  network?: { vpc: IVpc; vpcSubnets?: SubnetSelection; securityGroups?: ISecurityGroup[] };
}

export class PakkaFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: IRole;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: PakkaFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    // A role of its own, without AWSLambdaBasicExecutionRole: that managed policy may write to any log group.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.functionName ?? props.entry}`,
    });
    this.logGroup.grantWrite(role);
    this.role = role;
    this.function = new NodejsFunction(this, 'Function', {
      entry: entryFile(props.entry),
      handler: 'handler',
      ...(FROM_SOURCE ? { projectRoot: PAKKA_ROOT, depsLockFilePath: `${PAKKA_ROOT}package-lock.json` } : {}),
      ...(props.functionName ? { functionName: props.functionName } : {}),
      description: props.description,
      runtime: PAKKA_RUNTIME,
      architecture: PAKKA_ARCHITECTURE,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      // X-Ray: Powertools Tracer records each handler and its AWS SDK calls, annotated with the txnId.
      tracing: Tracing.ACTIVE,
      // Stack traces point into the TypeScript sources through the bundled source map.
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: PAKKA_BUNDLING,
      ...(props.network ?? {}),
    });
    // A team's aws-cdk-lib newer than Pakka's may know a newer Node.js runtime (2.278 knows nodejs26.x),
    // and L1 would then stop the team's synth over a runtime Pakka's bundles were never tested on.
    const newest = newestNodeRuntime();
    if (newest !== PAKKA_RUNTIME.name) {
      Validations.of(this.function).acknowledge({
        id: 'AwsSolutions-L1',
        reason: `Pakka's functions run on ${PAKKA_RUNTIME.name}, the runtime they are built and tested for; this aws-cdk-lib also knows ${newest}, which Pakka has not been tested on.`,
      });
    }
    const policy = role.node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          props.wildcardResourceReason ??
          'Only the statement Lambda active tracing adds: xray:PutTraceSegments and xray:PutTelemetryRecords accept no resource but "*". Every other statement of this role names its resources.',
      });
    }
  }
}
