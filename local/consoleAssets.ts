/**
 * The web console's static files, for the local service and `pakka console`: built from console/
 * with vite when the bundle is missing or older than its sources (so a fresh clone needs no extra
 * step), then served from memory under /console with a strict Content-Security-Policy. Also serves
 * the state machine definition the service runs, which the console draws. An installed package has
 * no console sources (nor vite): it serves the bundle `npm run build` shipped beside this code.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type CoordinatorVariant, DEFAULT_COORDINATOR_VARIANT } from '../lambdas/config/coordinatorVariant.js';
import { aslPath } from '../statemachines/source/files.js';

export const CONSOLE_PATH = '/console';
const CONSOLE_DIR = fileURLToPath(new URL('../console/', import.meta.url));
const DIST_DIR = join(CONSOLE_DIR, 'dist');
/** Where the package build puts the bundle (dist/console/bundle, beside dist/local/ as console/ is beside local/). */
export const SHIPPED_BUNDLE_DIR = join(CONSOLE_DIR, 'bundle');
const STAMP = 'build.json';

/** What went into a build, and how big it came out (the bundle size docs/operations.md and the log report). */
export interface ConsoleBuild {
  sourceHash: string;
  files: number;
  bytes: number;
  gzipBytes: number;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'dist' || entry.name === 'node_modules' ? [] : sourceFiles(path);
    return [path];
  });
}

/**
 * A content hash, not mtimes: a checkout or a copy changes mtimes but not what the bundle holds.
 * The lock file counts too: a library update must rebuild.
 */
export function consoleSourceHash(): string {
  const hash = createHash('sha256');
  const files = [...sourceFiles(CONSOLE_DIR), fileURLToPath(new URL('../package-lock.json', import.meta.url))].sort();
  for (const file of files) hash.update(relative(CONSOLE_DIR, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

/** Each build lives in a folder named by its sources' hash: never overwritten, so a process serving it never sees it change. */
const buildDir = (sourceHash: string) => join(DIST_DIR, sourceHash.slice(0, 16));

function readStamp(dir: string): ConsoleBuild | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, STAMP), 'utf8')) as ConsoleBuild;
  } catch {
    return undefined;
  }
}

/** The folder the running process serves, once ensureConsoleBuilt has answered. */
let servedDir: string | undefined;

function measure(dir: string): { files: number; bytes: number; gzipBytes: number } {
  let files = 0;
  let bytes = 0;
  let gzipBytes = 0;
  for (const file of sourceFiles(dir)) {
    if (file.endsWith(STAMP)) continue;
    const content = readFileSync(file);
    files += 1;
    bytes += content.length;
    gzipBytes += gzipSync(content).length;
  }
  return { files, bytes, gzipBytes };
}

let building: Promise<ConsoleBuild> | undefined;

/**
 * The bundle, built now if missing or stale. Built into a fresh folder and renamed into place, so
 * that two processes building at once (two test workers) never serve a half-written bundle; builds
 * of other sources are removed once a day old.
 */
export function ensureConsoleBuilt(log: (line: string) => void = () => {}): Promise<ConsoleBuild> {
  if (building) return building;
  building = (async () => {
    // Not the folder: the package build compiles the few console modules the CLI imports.
    if (!existsSync(join(CONSOLE_DIR, 'src', 'main.tsx'))) {
      const shipped = readStamp(SHIPPED_BUNDLE_DIR);
      if (!shipped || !existsSync(join(SHIPPED_BUNDLE_DIR, 'index.html'))) {
        throw new Error(`the console's bundle is missing from this installation (${SHIPPED_BUNDLE_DIR}): the package was built without it; reinstall pakka`);
      }
      servedDir = SHIPPED_BUNDLE_DIR;
      return shipped;
    }
    const sourceHash = consoleSourceHash();
    const dir = buildDir(sourceHash);
    const current = readStamp(dir);
    if (current?.sourceHash === sourceHash && existsSync(join(dir, 'index.html'))) {
      servedDir = dir;
      return current;
    }
    mkdirSync(DIST_DIR, { recursive: true });
    const outDir = join(DIST_DIR, `.building-${process.pid}-${Date.now()}`);
    const { build } = await import('vite');
    try {
      await build({ configFile: join(CONSOLE_DIR, 'vite.config.ts'), build: { outDir }, logLevel: 'warn' });
      const result: ConsoleBuild = { sourceHash, ...measure(outDir) };
      writeFileSync(join(outDir, STAMP), JSON.stringify(result));
      try {
        renameSync(outDir, dir);
      } catch (error) {
        // Another process put its build of the same sources in place first.
        if (!existsSync(join(dir, STAMP))) throw error;
      }
      for (const entry of readdirSync(DIST_DIR)) {
        const other = join(DIST_DIR, entry);
        if (other !== dir && Date.now() - statSync(other).mtimeMs > 86_400_000) rmSync(other, { recursive: true, force: true });
      }
      servedDir = dir;
      log(`console bundle built: ${result.files} files, ${(result.bytes / 1024).toFixed(0)} KiB (${(result.gzipBytes / 1024).toFixed(0)} KiB gzipped)`);
      return result;
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  })().catch((error: unknown) => {
    building = undefined;
    throw error;
  });
  return building;
}

/** The folder of the bundle this process serves: built (or found) by ensureConsoleBuilt. */
export async function consoleBundleDir(log?: (line: string) => void): Promise<string> {
  await ensureConsoleBuilt(log);
  if (!servedDir) throw new Error('the console bundle was built but its folder is unknown');
  return servedDir;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

/**
 * Nothing but the console's own files runs or loads; no inline script, no frames, no form posts
 * elsewhere. Inline styles are allowed because the chart library sizes its canvas with them.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  // Pico's icons (select arrows, spinners) are data: SVGs; an image cannot run script.
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** The state machine the service runs, placeholders left as they are (the console only reads its shape). */
export function stateMachineDefinition(variant: CoordinatorVariant = DEFAULT_COORDINATOR_VARIANT): unknown {
  return JSON.parse(readFileSync(aslPath(variant), 'utf8'));
}

export const isConsolePath = (path: string): boolean => path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);

/**
 * Answers a GET under /console: the ASL at /console/statemachine.json, a built file, or the page
 * itself for any other path (the console routes inside the page).
 */
/** `variant`: the workflow whose ASL the transaction page draws (the deployed default for `pakka console --url`). */
export async function serveConsole(
  method: string,
  path: string,
  response: ServerResponse,
  log?: (line: string) => void,
  variant: CoordinatorVariant = DEFAULT_COORDINATOR_VARIANT,
): Promise<void> {
  if (method !== 'GET' && method !== 'HEAD') {
    response.writeHead(405, { 'Content-Type': 'application/json', Allow: 'GET, HEAD' });
    response.end(JSON.stringify({ error: { code: 'METHOD_NOT_ALLOWED', message: `${method} is not allowed on ${path}; allowed: GET`, field: null } }));
    return;
  }
  if (path === `${CONSOLE_PATH}/statemachine.json`) {
    response.writeHead(200, { 'Content-Type': TYPES['.json'] ?? '', 'Cache-Control': 'no-store', ...SECURITY_HEADERS });
    response.end(JSON.stringify(stateMachineDefinition(variant)));
    return;
  }
  await ensureConsoleBuilt(log);
  const root = servedDir ?? DIST_DIR;
  const relativePath = path.slice(CONSOLE_PATH.length).replace(/^\/+/, '');
  const file = join(root, relativePath);
  // Only files inside the bundle; anything else (and any ../) gets the page.
  const inside = relativePath !== '' && !relativePath.split('/').includes('..') && !relativePath.endsWith(STAMP) && existsSync(file) && statSync(file).isFile();
  const served = inside ? file : join(root, 'index.html');
  const hashed = inside && relativePath.startsWith('assets/');
  response.writeHead(200, {
    'Content-Type': TYPES[extname(served)] ?? 'application/octet-stream',
    'Cache-Control': hashed ? 'public, max-age=31536000, immutable' : 'no-store',
    ...SECURITY_HEADERS,
  });
  response.end(method === 'HEAD' ? undefined : readFileSync(served));
}
