/**
 * Synthesizes the CDK app the way CI and a user do, `npm run synth`, in a child process with no
 * AWS credentials and no version check. A full synth bundles every Lambda, so `sharedSynth` makes
 * each configuration once per test run and every test file reads the same cloud assembly.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import { inject } from 'vitest';

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

/** Runs `npm run synth` into `outdir`; throws with the end of stderr when it fails. */
async function runSynth(outdir: string, context: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
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
  if (code !== 0) throw new Error(`npm run synth exited with ${code}:\n${stderr.slice(-4000)}`);
  return { stdout, stderr };
}

function readAssembly(outdir: string, output: { stdout: string; stderr: string }): Synthesized {
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
  return { outdir, stackName, template: Template.fromJSON(json), json, assetPath, ...output };
}

const OUTPUT_FILE = 'pakka-synth-output.json';
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * The app synthesized with `context`, once per test run: the first test file to ask synthesizes it
 * under a lock (a directory, created atomically), the others wait for the finished assembly and read
 * it. The assembly is shared, so it is read-only; the run's global setup deletes it when the run ends.
 */
export async function sharedSynth(context: Record<string, string> = {}): Promise<Synthesized> {
  const key = createHash('sha256')
    .update(JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b))))
    .digest('hex')
    .slice(0, 16);
  const outdir = join(inject('synthDir'), key);
  const lock = `${outdir}.lock`;
  for (;;) {
    if (existsSync(join(outdir, OUTPUT_FILE))) return readAssembly(outdir, JSON.parse(readFileSync(join(outdir, OUTPUT_FILE), 'utf8')));
    try {
      mkdirSync(lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A holder that died (its worker killed) leaves its lock behind: take it over.
      let holder = 0;
      try {
        holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        // Not written yet, or the lock was just released: look again.
      }
      if (holder && !alive(holder)) rmSync(lock, { recursive: true, force: true });
      else await delay(250);
      continue;
    }
    try {
      writeFileSync(join(lock, 'pid'), String(process.pid));
      if (!existsSync(join(outdir, OUTPUT_FILE))) {
        // Written beside the final directory and renamed into place, so no reader sees half an assembly.
        const building = `${outdir}.building`;
        rmSync(building, { recursive: true, force: true });
        const output = await runSynth(building, context);
        writeFileSync(join(building, OUTPUT_FILE), JSON.stringify(output));
        renameSync(building, outdir);
      }
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}
