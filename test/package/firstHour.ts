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
  return sectionSteps(markdown, FIRST_HOUR_HEADING, 'docs/library.md');
}

/** docs/sql-participants.md's first transfer across DynamoDB and PostgreSQL, read the same way. */
export const SQL_FIRST_TRANSFER_HEADING = '## Your first transfer across DynamoDB and PostgreSQL';

export const sqlFirstTransferSteps = (markdown = readFileSync(join(REPO_ROOT, 'docs', 'sql-participants.md'), 'utf8')): FirstHourStep[] =>
  sectionSteps(markdown, SQL_FIRST_TRANSFER_HEADING, 'docs/sql-participants.md');

/** The steps of one section of a page: its files, whole, and its commands, in the page's order. */
export function sectionSteps(markdown: string, heading: string, page: string): FirstHourStep[] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`${page} has no "${heading}" section`);
  const rest = markdown.slice(start + heading.length + 2);
  const section = rest.slice(0, rest.search(/^## /m) >= 0 ? rest.search(/^## /m) : undefined);
  const steps: FirstHourStep[] = [];
  for (const [, info = '', body = ''] of section.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const [language, file] = info.trim().split(/\s+/);
    if (language === 'sh') {
      for (const line of body.split('\n').filter((l) => l.trim() && !l.startsWith('#'))) steps.push({ command: line.trim() });
    } else if (file) {
      steps.push({ file, text: body });
    } else {
      throw new Error(`a \`\`\`${language} block in "${heading}" names no file: the package test could not follow it`);
    }
  }
  return steps;
}
