// The `pakka` command in the repository: cli/ bundled by esbuild into one file under
// node_modules/.cache, rebuilt only when a source it was built from changed (by mtime). Compiling the
// TypeScript through tsx's loader on every call cost about 2.5 times the CPU of running this bundle.
// Each source's import.meta.url is kept as the source file's own URL, so the paths the code finds next
// to itself (the console, the participant config) are the repository's, as under tsx.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CACHE = `${ROOT}node_modules/.cache/pakka-cli/`;
const BUNDLE = `${CACHE}run.mjs`;
/** The sources the bundle was built from, relative to the repository. */
const INPUTS = `${CACHE}inputs.json`;

/** True when the bundle exists and no source it was built from changed or went away since. */
function fresh() {
  if (!existsSync(BUNDLE) || !existsSync(INPUTS)) return false;
  const built = statSync(BUNDLE).mtimeMs;
  try {
    return JSON.parse(readFileSync(INPUTS, 'utf8')).every((input) => statSync(`${ROOT}${input}`).mtimeMs <= built);
  } catch {
    return false;
  }
}

async function rebuild() {
  const { build } = await import('esbuild');
  const started = Date.now();
  const result = await build({
    entryPoints: [`${ROOT}cli/run.ts`],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Dependencies load from node_modules as they do under tsx; only the project's own code is bundled.
    packages: 'external',
    write: false,
    metafile: true,
    outfile: BUNDLE,
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
  mkdirSync(CACHE, { recursive: true });
  // Written aside and renamed, so a second `pakka` started meanwhile never runs half a file.
  const temporary = `${BUNDLE}.${process.pid}`;
  writeFileSync(temporary, result.outputFiles[0].contents);
  writeFileSync(`${INPUTS}.${process.pid}`, JSON.stringify(Object.keys(result.metafile.inputs)));
  renameSync(`${INPUTS}.${process.pid}`, INPUTS);
  renameSync(temporary, BUNDLE);
  return Date.now() - started;
}

/** The URL of an up-to-date bundle of the CLI; `log` hears how long a rebuild took, when there was one. */
export async function cliBundle(log = () => {}) {
  if (!fresh()) log(await rebuild());
  return pathToFileURL(BUNDLE).href;
}
