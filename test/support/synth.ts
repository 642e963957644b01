/**
 * Synthesizes the CDK app the way CI and a user do, `npm run synth`, in a child process with no
 * AWS credentials and no version check, into a directory of its own. A test file calls this once
 * and shares the result: a full synth bundles every Lambda.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
}

interface FileAsset {
  source: { path: string; packaging: 'file' | 'zip' };
  destinations: Record<string, { objectKey: string }>;
}

export interface Synthesized {
  /** The cloud assembly directory (what `cdk deploy` would upload from). */
  outdir: string;
  stackName: string;
  template: Template;
  json: CfnTemplate;
  /** The local path of the asset that a template's S3 key names (a directory for zipped Lambda code). */
  assetPath(objectKey: string): string;
  stdout: string;
  stderr: string;
  /** Deletes the cloud assembly (bundles included). */
  remove(): void;
}

/** Only what a synth needs from the environment: no AWS credentials, profile or region reach the child. */
function offlineEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('CDK_')) env[key] = value;
  }
  return {
    ...env,
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // An unreachable proxy: a synth that tried the network would fail instead of passing by luck.
    HTTPS_PROXY: 'http://127.0.0.1:9',
    HTTP_PROXY: 'http://127.0.0.1:9',
    npm_config_update_notifier: 'false',
  };
}

export async function synthWithCli(context: Record<string, string> = {}): Promise<Synthesized> {
  const outdir = mkdtempSync(join(tmpdir(), 'pakka-cdk-out-'));
  const args = ['run', 'synth', '--', '--output', outdir, ...Object.entries(context).flatMap(([k, v]) => ['--context', `${k}=${v}`])];
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolvePromise, reject) => {
    const child = spawn('npm', args, { cwd: REPO_ROOT, env: offlineEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (exitCode) => resolvePromise({ code: exitCode, stdout: out, stderr: err }));
  });
  const remove = () => rmSync(outdir, { recursive: true, force: true });
  if (code !== 0) {
    remove();
    throw new Error(`npm run synth exited with ${code}:\n${stderr.slice(-4000)}`);
  }
  const templates = readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
  if (templates.length !== 1 || !templates[0]) throw new Error(`expected one stack template in ${outdir}, found ${templates.join(', ') || 'none'}`);
  const stackName = templates[0].slice(0, -'.template.json'.length);
  const json = JSON.parse(readFileSync(join(outdir, templates[0]), 'utf8')) as CfnTemplate;
  const assets = JSON.parse(readFileSync(join(outdir, `${stackName}.assets.json`), 'utf8')) as { files: Record<string, FileAsset> };
  const assetPath = (objectKey: string): string => {
    const asset = Object.values(assets.files).find((a) => Object.values(a.destinations).some((d) => d.objectKey === objectKey));
    if (!asset) throw new Error(`no asset uploads to ${objectKey}`);
    return join(outdir, asset.source.path);
  };
  return { outdir, stackName, template: Template.fromJSON(json), json, assetPath, stdout, stderr, remove };
}
