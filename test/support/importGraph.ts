/**
 * The repository's own import graph, read from the sources: the relative imports of each .ts/.tsx
 * file (type-only ones included, since a type import still ties two folders together). Used by the
 * layout checks in test/layout/.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'";]*?\sfrom\s+'(\.{1,2}\/[^']+)'|\bimport\(\s*'(\.{1,2}\/[^']+)'\s*\)|(?:^|\n)\s*import\s+'(\.{1,2}\/[^']+)'/g;

/** A relative specifier as written (`./x.js`) to the repository path of the file it names. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  const base = resolve(REPO, dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.js$/, '.tsx'), base, `${base}.ts`, `${base}/index.ts`];
  const found = candidates.find((c) => existsSync(c) && /\.(ts|tsx)$/.test(c));
  return found && relative(REPO, found);
}

/** The files `file` (a repository path) imports directly. */
export function importsOf(file: string): string[] {
  const source = readFileSync(resolve(REPO, file), 'utf8');
  const found: string[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    const target = specifier && resolveSpecifier(file, specifier);
    if (target) found.push(target);
  }
  return found;
}

/** Every file `file` reaches through relative imports, itself included. */
export function reachableFrom(file: string): Set<string> {
  const seen = new Set<string>();
  const queue = [file];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    queue.push(...importsOf(next));
  }
  return seen;
}

/** The .ts and .tsx files under a repository folder, as repository paths (node_modules and dist left out). */
export function sourceFiles(folder: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(resolve(REPO, dir), { withFileTypes: true }).flatMap((entry) => {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : walk(path);
      return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
    });
  return walk(folder);
}
