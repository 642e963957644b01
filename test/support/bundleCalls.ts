/**
 * The AWS calls a synthesized Lambda bundle makes, read from its code rather than listed by hand.
 * The bundle's source map names every file esbuild put into it; in Pakka's own files among them,
 * each AWS SDK v3 command the code constructs (`new XxxCommand(`), each paginator it calls and each
 * Powertools Parameters getter is one call. The IAM action of a call is the operation's name under
 * the service's prefix, with the exceptions AWS documents (IAM_ACTIONS_OF).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO } from './importGraph.js';

export interface AwsCall {
  /** The IAM action AWS authorizes the call with, e.g. `dynamodb:Query`. */
  action: string;
  /** The repository file that makes it. */
  file: string;
  /** For `dynamodb:Query` and `dynamodb:Scan`: the index names the calling file passes as IndexName. */
  indexNames: string[];
}

/** The IAM service prefix of each AWS SDK v3 client package Pakka uses (Service Authorization Reference). */
const SERVICE_PREFIX: Record<string, string> = {
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-lambda': 'lambda',
  '@aws-sdk/client-sfn': 'states',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-ssm': 'ssm',
};

/**
 * Powertools Parameters getters and the call each makes (Powertools for AWS Lambda (TypeScript),
 * Parameters utility, "IAM Permissions": getSecret needs secretsmanager:GetSecretValue, getParameter
 * ssm:GetParameter, getParameters ssm:GetParametersByPath).
 */
const POWERTOOLS_GETTERS: Record<string, Record<string, string>> = {
  '@aws-lambda-powertools/parameters/secrets': { getSecret: 'secretsmanager:GetSecretValue' },
  '@aws-lambda-powertools/parameters/ssm': { getParameter: 'ssm:GetParameter', getParameters: 'ssm:GetParametersByPath' },
};

/**
 * Operations whose IAM action is not `prefix:Operation`. Lambda's Invoke API is authorized as
 * lambda:InvokeFunction (Service Authorization Reference, "Actions defined by AWS Lambda").
 * DynamoDB's TransactWriteItems and TransactGetItems have no action of their own: "Permissions for
 * Put, Update, Delete, and Get actions are governed by the permissions used for the underlying
 * PutItem, UpdateItem, DeleteItem, and GetItem operations. For the ConditionCheck action, you can use
 * the dynamodb:ConditionCheckItem permission" (DynamoDB developer guide, "Using IAM with DynamoDB
 * transactions", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
 * Which of them a TransactWriteItems needs is what its TransactItems hold (transactItemActions).
 */
const IAM_ACTIONS_OF: Record<string, (sources: readonly string[]) => string[]> = {
  'lambda:Invoke': () => ['lambda:InvokeFunction'],
  'dynamodb:TransactGetItems': () => ['dynamodb:GetItem'],
  'dynamodb:TransactWriteItems': (sources) => transactItemActions(sources),
};

const TRANSACT_ITEM_ACTIONS: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/** The kinds of transaction items (`{ Put: {...} }`, `Update:`, ...) the bundle's own files build. */
function transactItemActions(sources: readonly string[]): string[] {
  const kinds = new Set<string>();
  for (const source of sources) for (const match of source.matchAll(/\b(Put|Update|Delete|ConditionCheck):\s*\{?\s*[A-Za-z{]/g)) kinds.add(match[1] ?? '');
  return [...kinds].flatMap((kind) => (TRANSACT_ITEM_ACTIONS[kind] ? [TRANSACT_ITEM_ACTIONS[kind]] : []));
}

/** The DynamoDB reads that may name an index (IndexName), and are then authorized on the index's ARN. */
const INDEX_READS = new Set(['dynamodb:Query', 'dynamodb:Scan']);

/** The repository files (outside node_modules) a bundle holds, from the source map esbuild wrote beside it. */
export function bundledRepositoryFiles(assetDir: string): string[] {
  const map = readdirSync(assetDir).find((f) => f.endsWith('.mjs.map') || f.endsWith('.js.map'));
  if (!map) throw new Error(`no source map in ${assetDir}: the IAM check reads the bundle's files from it`);
  const { sources } = JSON.parse(readFileSync(join(assetDir, map), 'utf8')) as { sources: string[] };
  return sources
    .map((s) => resolve(assetDir, s))
    .filter((path) => path.startsWith(`${REPO}/`) && !path.includes('/node_modules/') && /\.tsx?$/.test(path) && existsSync(path));
}

/** `import { A, B as C, type D } from 'module'` -> local name -> imported name, for the value imports. */
function namedImports(source: string, module: string): Map<string, string> {
  const names = new Map<string, string>();
  const escaped = module.replace(/[/.-]/g, (c) => `\\${c}`);
  for (const match of source.matchAll(new RegExp(`import\\s*(type\\s*)?\\{([^}]*)\\}\\s*from\\s*'${escaped}'`, 'g'))) {
    if (match[1]) continue;
    for (const part of (match[2] ?? '').split(',')) {
      const spec = part.trim();
      if (!spec || spec.startsWith('type ')) continue;
      const [imported, local] = spec.split(/\s+as\s+/);
      if (imported) names.set((local ?? imported).trim(), imported.trim());
    }
  }
  return names;
}

/** The DynamoDB operation a lib-dynamodb document command sends, read from lib-dynamodb itself. */
function documentCommandOperation(command: string): string {
  const file = join(REPO, 'node_modules/@aws-sdk/lib-dynamodb/dist-es/commands', `${command}.js`);
  const wrapped = /import \{ (\w+)Command as __\w+ \} from "@aws-sdk\/client-dynamodb"/.exec(readFileSync(file, 'utf8'))?.[1];
  if (!wrapped) throw new Error(`cannot tell which DynamoDB operation lib-dynamodb's ${command} sends`);
  return wrapped;
}

/** The string value of `export const NAME = '...'` in any of the sources. */
function constantValue(name: string, sources: readonly string[]): string | undefined {
  for (const source of sources) {
    const value = new RegExp(`export const ${name}\\s*=\\s*'([^']+)'`).exec(source)?.[1];
    if (value) return value;
  }
  return undefined;
}

/** Every AWS call the bundle's own files make, one entry per (action, file). */
export function awsCallsOf(files: readonly string[]): AwsCall[] {
  const sources = files.map((f) => readFileSync(f, 'utf8'));
  const calls: AwsCall[] = [];
  files.forEach((file, i) => {
    const source = sources[i] ?? '';
    const relativeFile = file.slice(REPO.length + 1);
    const used = (local: string, paginator: boolean) => new RegExp(paginator ? `\\b${local}\\(` : `\\bnew ${local}\\(`).test(source);
    const indexNames = [...source.matchAll(/IndexName:\s*(?:'([^']+)'|(\w+))/g)].flatMap((m) => {
      const value = m[1] ?? constantValue(m[2] ?? '', sources);
      return value ? [value] : [];
    });
    for (const [module, prefix] of Object.entries(SERVICE_PREFIX)) {
      for (const [local, imported] of namedImports(source, module)) {
        const paginator = /^paginate[A-Z]/.test(imported);
        if (!(imported.endsWith('Command') || paginator) || !used(local, paginator)) continue;
        const operation = paginator
          ? imported.slice('paginate'.length)
          : module === '@aws-sdk/lib-dynamodb'
            ? documentCommandOperation(imported)
            : imported.slice(0, -'Command'.length);
        const named = `${prefix}:${operation}`;
        for (const action of IAM_ACTIONS_OF[named]?.(sources) ?? [named]) {
          calls.push({ action, file: relativeFile, indexNames: INDEX_READS.has(action) ? indexNames : [] });
        }
      }
    }
    for (const [module, getters] of Object.entries(POWERTOOLS_GETTERS)) {
      for (const [local, imported] of namedImports(source, module)) {
        const action = getters[imported];
        if (action && used(local, true)) calls.push({ action, file: relativeFile, indexNames: [] });
      }
    }
  });
  return calls;
}
