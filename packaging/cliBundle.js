// A TypeScript entry of the repository (the `pakka` command's cli/run.ts, `npm start`'s local/start.ts)
// bundled by esbuild into one file under node_modules/.cache, rebuilt only when a source it was built
// from changed (by mtime). Compiling the TypeScript through tsx's loader on every call cost about 2.5
// times the CPU of running this bundle. Each source's import.meta.url is kept as the source file's own
// URL, so the paths the code finds next to itself (the console, the participant config) are the
// repository's, as under tsx.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Where the bundle of `entry` (relative to the repository) and the list of its sources are kept. */
function cacheOf(entry) {
  const cache = `${ROOT}node_modules/.cache/pakka-${dirname(entry)}/`;
  const bundle = `${cache}${basename(entry, '.ts')}.mjs`;
  return { cache, bundle, inputs: `${bundle}.inputs.json` };
}

/** True when the bundle exists and no source it was built from changed or went away since. */
function fresh({ bundle, inputs }) {
  if (!existsSync(bundle) || !existsSync(inputs)) return false;
  const built = statSync(bundle).mtimeMs;
  try {
    return JSON.parse(readFileSync(inputs, 'utf8')).every((input) => statSync(`${ROOT}${input}`).mtimeMs <= built);
  } catch {
    return false;
  }
}

async function rebuild(entry, { cache, bundle, inputs }) {
  const { build } = await import('esbuild');
  const started = Date.now();
  const result = await build({
    entryPoints: [`${ROOT}${entry}`],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Dependencies load from node_modules as they do under tsx; only the project's own code is bundled.
    packages: 'external',
    write: false,
    metafile: true,
    outfile: bundle,
    logLevel: 'error',
    plugins: [
      {
        name: 'own-import-meta-url',
        setup(on) {
          on.onLoad({ filter: /\.ts$/ }, (args) => ({
            contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
            loader: 'ts',
          }));
        },
      },
    ],
  });
  mkdirSync(cache, { recursive: true });
  // Written aside and renamed, so a second process started meanwhile never runs half a file.
  const temporary = `${bundle}.${process.pid}`;
  writeFileSync(temporary, result.outputFiles[0].contents);
  writeFileSync(`${inputs}.${process.pid}`, JSON.stringify(Object.keys(result.metafile.inputs)));
  renameSync(`${inputs}.${process.pid}`, inputs);
  renameSync(temporary, bundle);
  return Date.now() - started;
}

/** The URL of an up-to-date bundle of `entry`; `log` hears how long a rebuild took, when there was one. */
export async function entryBundle(entry, log = () => {}) {
  const files = cacheOf(entry);
  if (!fresh(files)) log(await rebuild(entry, files));
  return pathToFileURL(files.bundle).href;
}

/** The URL of an up-to-date bundle of the CLI. */
export const cliBundle = (log = () => {}) => entryBundle('cli/run.ts', log);
