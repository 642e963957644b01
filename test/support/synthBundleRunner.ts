/**
 * Runs a synthesized Lambda bundle as Lambda's Node.js runtime would: a fresh Node process imports
 * `index.mjs` and calls its `handler` export, with only the environment given. The bundle is first
 * copied out of the repository, so no node_modules can stand in for what it failed to bundle.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Invocation = { ok: true; answer: Record<string, unknown> } | { ok: false; name: string; message: string };

export interface IsolatedBundle {
  dir: string;
  invoke(event: unknown, env: Record<string, string>): Promise<Invocation>;
  remove(): void;
}

// The answer goes to file descriptor 3: stdout carries the handler's own structured logs.
const RUNNER = [
  "import { writeSync } from 'node:fs';",
  "const { handler } = await import('./index.mjs');",
  'try {',
  '  writeSync(3, JSON.stringify({ ok: true, answer: await handler(JSON.parse(process.argv[2]), {}) }));',
  '} catch (error) {',
  '  writeSync(3, JSON.stringify({ ok: false, name: error.name, message: error.message }));',
  '}',
].join('\n');

export function isolateBundle(assetDir: string): IsolatedBundle {
  const dir = mkdtempSync(join(tmpdir(), 'pakka-bundle-'));
  cpSync(assetDir, dir, { recursive: true });
  writeFileSync(join(dir, 'invoke.mjs'), RUNNER);
  return {
    dir,
    remove: () => rmSync(dir, { recursive: true, force: true }),
    invoke: (event, env) =>
      new Promise((resolvePromise, reject) => {
        const child = spawn(process.execPath, ['invoke.mjs', JSON.stringify(event)], {
          cwd: dir,
          env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '--enable-source-maps', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
          stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdio[3]?.on('data', (d: Buffer) => (out += d.toString()));
        child.stdout?.on('data', () => undefined);
        child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => {
          if (code !== 0) return reject(new Error(`the bundle exited with ${code}: ${err.slice(-2000)}`));
          try {
            resolvePromise(JSON.parse(out) as Invocation);
          } catch {
            reject(new Error(`the bundle gave no answer: ${out.slice(-500)} ${err.slice(-2000)}`));
          }
        });
      }),
  };
}
