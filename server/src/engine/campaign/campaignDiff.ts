import * as path from 'path';
import { Campaign, stepBounds } from './campaign';
import { GitError, gitRaw } from '../git/gitRunner';
import { defaultParallelism, mapLimit } from '../util/pool';
import { Store } from '../store/store';
import { loadSnapshot } from '../snapshot/snapshot';

/**
 * Unified diffs of one step, or of the whole campaign so far, across its repos. Paths are prefixed
 * with each repo's folder relative to the campaign's first root, so the result reads (and applies)
 * from there. Deterministic: repos in path order, git's own diff per repo.
 */
export async function campaignDiff(store: Store, campaign: Campaign, step?: number, parallelism = defaultParallelism): Promise<string> {
  const { from, to } = stepBounds(campaign, step);
  const [a, b] = await Promise.all([loadSnapshot(store, from), loadSnapshot(store, to)]);
  const before = new Map(a.repos.map((r) => [r.path, r]));
  const parts = await mapLimit(b.repos, parallelism, async (r) => {
    const old = before.get(r.path);
    if (!old || old.worktree === r.worktree) return '';
    const rel = repoLabel(campaign, r.path);
    try {
      const { stdout } = await gitRaw(r.path, ['diff-tree', '-p', '-M', '--no-commit-id', '--full-index', `--src-prefix=a/${rel}/`, `--dst-prefix=b/${rel}/`, old.worktree, r.worktree], { readOnly: true });
      return prefixRenameLines(stdout.toString('utf8'), rel);
    } catch (e) {
      throw e instanceof GitError ? e.toEngineError() : e;
    }
  });
  return parts.join('');
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
