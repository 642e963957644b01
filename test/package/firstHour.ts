/**
 * docs/library.md's "Your first hour" as steps, in the page's order: each fenced block whose info
 * string names a file (```ts app.ts) is that file's whole text, and each line of a ```sh block is a
 * command run in the project folder. The package test runs them, so the page cannot drift from what works.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/synth.js';

export type FirstHourStep = { file: string; text: string } | { command: string };

export const FIRST_HOUR_HEADING = '## Your first hour';

export function firstHourSteps(markdown = readFileSync(join(REPO_ROOT, 'docs', 'library.md'), 'utf8')): FirstHourStep[] {
  const start = markdown.indexOf(`\n${FIRST_HOUR_HEADING}\n`);
  if (start < 0) throw new Error(`docs/library.md has no "${FIRST_HOUR_HEADING}" section`);
  const rest = markdown.slice(start + FIRST_HOUR_HEADING.length + 2);
  const section = rest.slice(0, rest.search(/^## /m) >= 0 ? rest.search(/^## /m) : undefined);
  const steps: FirstHourStep[] = [];
  for (const [, info = '', body = ''] of section.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const [language, file] = info.trim().split(/\s+/);
    if (language === 'sh') {
      for (const line of body.split('\n').filter((l) => l.trim() && !l.startsWith('#'))) steps.push({ command: line.trim() });
    } else if (file) {
      steps.push({ file, text: body });
    } else {
      throw new Error(`a \`\`\`${language} block in "${FIRST_HOUR_HEADING}" names no file: the package test could not follow it`);
    }
  }
  return steps;
}
