/**
 * Relative links in Markdown, and which of them lead nowhere: a file that does not exist, a path
 * outside the repository, or an anchor that no heading of the target page produces. Anchors follow
 * GitHub's rule, since that is where the pages are read.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export interface MarkdownLink {
  target: string;
  line: number;
}

export interface BrokenLink {
  /** The page holding the link, relative to the root. */
  file: string;
  line: number;
  target: string;
  problem: string;
}

/** Fenced code blocks and inline code spans blanked out (lines kept), so code that looks like a link is not one. */
function proseOnly(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const opener = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== undefined) {
      if (opener !== undefined && opener[0] === fence[0] && opener.length >= fence.length) fence = undefined;
      return '';
    }
    if (opener !== undefined) {
      fence = opener;
      return '';
    }
    return line.replace(/(`+)[^`]*?\1/g, '');
  });
}

/** Every inline link and image target, and every reference definition, with its line (1-based). */
export function markdownLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  proseOnly(markdown).forEach((text, i) => {
    for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ target: m[1] ?? '', line: i + 1 });
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(text);
    if (definition) links.push({ target: definition[1] ?? '', line: i + 1 });
  });
  return links;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped (hyphens and underscores kept), spaces to hyphens. */
export function headingSlug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a page's headings produce, a repeated one numbered as GitHub does (`-1`, `-2`, ...). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  // Headings inside code blocks are not headings; inline code in a heading still counts as its text.
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const opener = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== undefined) {
      if (opener !== undefined && opener[0] === fence[0] && opener.length >= fence.length) fence = undefined;
      continue;
    }
    if (opener !== undefined) {
      fence = opener;
      continue;
    }
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = headingSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i;

/** The links of `files` (paths relative to `root`) that do not lead to a file, or to a heading, inside `root`. */
export function brokenLinks(root: string, files: readonly string[]): BrokenLink[] {
  const base = resolve(root);
  const anchorsOf = new Map<string, Set<string>>();
  const anchors = (path: string) => {
    let found = anchorsOf.get(path);
    if (!found) {
      found = headingAnchors(readFileSync(path, 'utf8'));
      anchorsOf.set(path, found);
    }
    return found;
  };
  const broken: BrokenLink[] = [];
  for (const file of files) {
    const page = join(base, file);
    for (const { target, line } of markdownLinks(readFileSync(page, 'utf8'))) {
      if (EXTERNAL.test(target)) continue;
      const refuse = (problem: string) => broken.push({ file, line, target, problem });
      const hash = target.indexOf('#');
      const pathPart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
      const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
      const destination = pathPart === '' ? page : resolve(dirname(page), pathPart);
      if (destination !== base && !destination.startsWith(base + sep)) {
        refuse('points outside the repository');
        continue;
      }
      if (!existsSync(destination)) {
        refuse(`no such file: ${relative(base, destination)}`);
        continue;
      }
      if (anchor === undefined || anchor === '') continue;
      if (!statSync(destination).isFile() || !destination.endsWith('.md')) {
        refuse('an anchor on something that is not a Markdown page');
        continue;
      }
      if (!anchors(destination).has(anchor)) refuse(`${relative(base, destination)} has no heading #${anchor}`);
    }
  }
  return broken;
}
