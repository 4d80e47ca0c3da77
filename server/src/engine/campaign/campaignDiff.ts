import * as path from 'path';
import { Campaign, stepBounds } from './campaign';
import { GitError, gitRaw } from '../git/gitRunner';
import { defaultParallelism, mapLimit } from '../util/pool';
import { Store } from '../store/store';
import { loadSnapshot } from '../snapshot/snapshot';

/** One repo's part of a campaign diff: git's own patch text, paths prefixed with the repo's label. */
export interface RepoDiffText {
  repo: string;
  label: string;
  text: string;
}

/**
 * Unified diffs of one step, or of the whole campaign so far, across its repos. Paths are prefixed
 * with each repo's folder relative to the campaign's first root, so the result reads (and applies)
 * from there. Deterministic: repos in path order, git's own diff per repo. The one producer of a
 * step's diff text: `campaign diff` and the server's `codecontext/campaign/diff` both print this.
 */
export async function campaignDiff(store: Store, campaign: Campaign, step?: number, parallelism = defaultParallelism): Promise<string> {
  return (await campaignDiffByRepo(store, campaign, step, parallelism)).map((p) => p.text).join('');
}

/** `campaignDiff` per repo, in the same order; `only` limits it to one repo (the others are not diffed). */
export async function campaignDiffByRepo(
  store: Store,
  campaign: Campaign,
  step?: number,
  parallelism = defaultParallelism,
  only?: string,
): Promise<RepoDiffText[]> {
  const { from, to } = stepBounds(campaign, step);
  const [a, b] = await Promise.all([loadSnapshot(store, from), loadSnapshot(store, to)]);
  const before = new Map(a.repos.map((r) => [r.path, r]));
  const repos = only === undefined ? b.repos : b.repos.filter((r) => r.path === only);
  return mapLimit(repos, parallelism, async (r) => {
    const old = before.get(r.path);
    const label = repoLabel(campaign, r.path);
    if (!old || old.worktree === r.worktree) return { repo: r.path, label, text: '' };
    try {
      const prefixes = [`--src-prefix=a/${label}/`, `--dst-prefix=b/${label}/`];
      const args = ['diff-tree', '-p', '-M', '--no-commit-id', '--full-index', ...prefixes, old.worktree, r.worktree];
      const { stdout } = await gitRaw(r.path, args, { readOnly: true });
      return { repo: r.path, label, text: prefixRenameLines(stdout.toString('utf8'), label) };
    } catch (e) {
      throw e instanceof GitError ? e.toEngineError() : e;
    }
  });
}

/** One file's section of a repo's diff text: from its `diff --git` line to the next one. */
export interface FileDiffSection {
  /** Repo-relative path after the change (before it, for a deletion). */
  path: string;
  /** Repo-relative path before a rename. */
  oldPath?: string;
  text: string;
}

/**
 * Cuts a repo's diff text (as `campaignDiffByRepo` made it, with `label`) into its files' sections,
 * without changing a byte: the sections joined are the text. Only header lines can start with
 * "diff --git ", never a hunk line (those start with a space, '+', '-' or a backslash).
 */
export function fileDiffSections(text: string, label: string): FileDiffSection[] {
  const starts: number[] = [];
  const re = /^diff --git /gm;
  for (let m = re.exec(text); m; m = re.exec(text)) starts.push(m.index);
  return starts.map((start, i) => {
    const section = text.slice(start, starts[i + 1] ?? text.length);
    return { ...sectionPaths(section, label), text: section };
  });
}

function sectionPaths(section: string, label: string): { path: string; oldPath?: string } {
  const header = section.slice(0, section.search(/^@@|^Binary files /m) >>> 0);
  const line = (prefix: string) => header.match(new RegExp(`^${prefix}(.*)$`, 'm'))?.[1];
  const strip = (p: string | undefined, side: 'a' | 'b' | '') => {
    if (p === undefined || p === '/dev/null') return undefined;
    // git ends a ---/+++ name that holds a space with a tab (as GNU diff does)
    const name = unquote(p.endsWith('\t') ? p.slice(0, -1) : p);
    const head = `${side ? side + '/' : ''}${label}/`;
    return name.startsWith(head) ? name.slice(head.length) : name;
  };
  const renamedFrom = strip(line('rename from '), '');
  const renamedTo = strip(line('rename to '), '');
  if (renamedFrom !== undefined && renamedTo !== undefined) return { path: renamedTo, oldPath: renamedFrom };
  // a deletion's +++ side is /dev/null: its path is the --- side's
  const found = strip(line('\\+\\+\\+ '), 'b') ?? strip(line('--- '), 'a');
  if (found !== undefined) return { path: found };
  // no ---/+++ lines (a binary or mode-only change): both halves of the first line name the same file
  const first = section.slice(0, section.indexOf('\n') >>> 0).slice('diff --git '.length);
  if (first.startsWith('"')) {
    const end = closingQuote(first);
    return { path: strip(first.slice(0, end + 1), 'a') ?? first };
  }
  const half = first.slice(0, (first.length - 1) / 2);
  return { path: strip(half, 'a') ?? half };
}

function closingQuote(s: string): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return s.length - 1;
}

/** Git's C-style quoting of a path ("a/t\303\251st\tx") undone; an unquoted path is returned as it is. */
function unquote(p: string): string {
  if (!p.startsWith('"') || !p.endsWith('"') || p.length < 2) return p;
  const bytes: number[] = [];
  const body = p.slice(1, -1);
  const simple: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body[i + 1];
    if (/[0-7]/.test(next ?? '')) {
      bytes.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A repo's name for people: its folder relative to the campaign's first root, or its base name. */
export function repoLabel(campaign: Campaign, repo: string): string {
  const root = campaign.roots[0];
  const rel = root ? path.relative(root, repo) : '';
  if (rel === '') return path.basename(repo);
  return rel.startsWith('..') ? path.basename(repo) : rel.split(path.sep).join('/');
}

/**
 * `--src-prefix`/`--dst-prefix` do not reach the `rename from`/`copy to`… header lines, which git
 * writes relative to the repo; without the repo's folder there, the diff would not apply from the
 * root (a rename would be looked for beside it). Only header lines can start this way: every hunk
 * line starts with a space, '+', '-' or a backslash.
 */
function prefixRenameLines(diff: string, rel: string): string {
  return diff.replace(/^((?:rename|copy) (?:from|to) )("?)(.*)$/gm, (_, head: string, quote: string, p: string) => `${head}${quote}${rel}/${p}`);
}
