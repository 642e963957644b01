/**
 * The documentation leads somewhere and says what the code does: every relative link in the README
 * and docs/ reaches a file (and a heading, when it names one), and the routes, CLI commands, npm
 * scripts, CDK context keys and environment variables the pages name are the ones the code has.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { program } from '../../cli/main.js';
import { API_ROUTES } from '../../infra/constructs/api.js';
import { CONTEXT } from '../../infra/settings.js';
import { brokenLinks, headingAnchors, markdownLinks } from '../support/markdownLinks.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PAGES = [
  'README.md',
  'CHANGELOG.md',
  'BENCHMARKS.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const read = (page: string) => readFileSync(join(ROOT, page), 'utf8');
const allText = () => PAGES.map(read).join('\n');

/** The rows of the first table under `## heading`: the first cell of each, backticks removed. */
function tableKeys(page: string, heading: string): string[] {
  const section = read(page)
    .split(/^## /m)
    .find((s) => s.startsWith(`${heading}\n`));
  if (!section) throw new Error(`${page} has no section "## ${heading}"`);
  const lines = section.split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('|'));
  return lines.slice(start + 2, end === -1 ? undefined : end).map((l) => (l.split('|')[1] ?? '').replace(/`/g, '').trim());
}

describe('links in the README and docs/', () => {
  it('every relative link reaches a file in the repository, and a heading when it names one', () => {
    expect(brokenLinks(ROOT, PAGES)).toEqual([]);
  });

  it('the README links every page of docs/', () => {
    const linked = new Set(markdownLinks(read('README.md')).map((l) => l.target.split('#')[0]));
    for (const page of PAGES.filter((p) => p.startsWith('docs/'))) expect(linked, `README.md does not link ${page}`).toContain(page);
  });

  describe('the check itself', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pakka-docs-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'docs'));
    writeFileSync(
      join(dir, 'docs', 'guide.md'),
      ['# Guide', '', '## The `pakka` CLI', '', '## Recovery: what it does', '', '## Again', '', '## Again', ''].join('\n'),
    );

    const check = (markdown: string) => {
      writeFileSync(join(dir, 'README.md'), markdown);
      return brokenLinks(dir, ['README.md']).map((b) => `${b.line} ${b.target}: ${b.problem}`);
    };

    it('passes links that lead somewhere, including GitHub anchors', () => {
      expect(
        check(
          [
            '[guide](docs/guide.md) [cli](docs/guide.md#the-pakka-cli) [recovery](docs/guide.md#recovery-what-it-does)',
            '[second](docs/guide.md#again-1) [folder](docs/) [web](https://example.com/x.md#nowhere) [top](#top)',
            '# Top',
          ].join('\n'),
        ),
      ).toEqual([]);
    });

    it('fails a link to a missing file, a missing anchor, or a path outside the repository', () => {
      expect(
        check(
          [
            'See [the API](docs/api.md) and [the CLI](docs/guide.md#cli).',
            '![picture](docs/missing.png) [up](../elsewhere.md) [here](#nowhere)',
            '[ref]: docs/gone.md',
          ].join('\n'),
        ),
      ).toEqual([
        '1 docs/api.md: no such file: docs/api.md',
        '1 docs/guide.md#cli: docs/guide.md has no heading #cli',
        '2 docs/missing.png: no such file: docs/missing.png',
        '2 ../elsewhere.md: points outside the repository',
        '2 #nowhere: README.md has no heading #nowhere',
        '3 docs/gone.md: no such file: docs/gone.md',
      ]);
    });

    it('ignores what code blocks and code spans hold', () => {
      expect(check(['```md', '[not a link](docs/nothing.md)', '```', 'and `[nor](docs/this.md)` here'].join('\n'))).toEqual([]);
      expect(headingAnchors(['```sh', '# a comment, not a heading', '```', '## Real'].join('\n'))).toEqual(new Set(['real']));
    });
  });
});

describe('what the docs name exists in the code', () => {
  it('docs/api.md lists exactly the routes of the deployed API', () => {
    const documented = tableKeys('docs/api.md', 'Routes').map((r) => r.replace(/\?.*$/, ''));
    const deployed = API_ROUTES.map(([method, path]) => `${method} ${path.replace('+}', '}')}`);
    expect([...documented].sort()).toEqual([...deployed].sort());
  });

  it('every pakka command the docs use exists, and docs/api.md shows every command', () => {
    const commands = program(
      () => undefined,
      () => undefined,
    ).cli.commands.map((c) => c.name());
    // commander adds `help` itself.
    const used = new Set([...allText().matchAll(/\bpakka (?:--url \S+ (?:--region \S+ )?)?([a-z]+)\b/g)].map((m) => m[1] ?? ''));
    for (const name of used) expect([...commands, 'help'], `the docs use "pakka ${name}"`).toContain(name);
    const api = read('docs/api.md');
    for (const name of commands) expect(api, `docs/api.md does not show pakka ${name}`).toMatch(new RegExp(`pakka ${name}\\b`));
  });

  it('every npm run script the docs use is in package.json', () => {
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
    const used = new Set([...allText().matchAll(/\bnpm run ([a-z][\w:-]*)/g)].map((m) => m[1] ?? ''));
    expect(used.size).toBeGreaterThan(3);
    for (const name of used) expect(scripts, `the docs use "npm run ${name}"`).toContain(name);
  });

  it('docs/deployment.md lists exactly the CDK context keys', () => {
    const documented = tableKeys('docs/deployment.md', 'Deploy')
      .flatMap((cell) => cell.split(','))
      .map((k) => k.trim());
    expect(documented.sort()).toEqual(Object.values(CONTEXT).sort());
  });

  it('every PAKKA_ environment variable the docs name is read by the code', () => {
    const source = ['lambdas', 'local', 'cli', 'infra', 'client', 'lib', 'test/support']
      .flatMap((dir) =>
        readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
          .filter((f) => f.endsWith('.ts'))
          .map((f) => readFileSync(join(ROOT, dir, f), 'utf8')),
      )
      .join('\n');
    const named = new Set([...allText().matchAll(/\bPAKKA_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0]));
    expect(named.size).toBeGreaterThan(5);
    for (const name of named) expect(source.includes(name), `the docs name ${name}, which no code reads`).toBe(true);
  });
});
