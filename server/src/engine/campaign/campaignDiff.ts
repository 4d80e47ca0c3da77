import * as path from 'path';
import { Campaign, stepBounds } from './campaign';
import { FilePatch, treePatches } from '../git/patches';
import { defaultParallelism, mapLimit } from '../util/pool';
import { Store } from '../store/store';
import { loadSnapshot } from '../snapshot/snapshot';

/** One repo's part of a campaign diff: git's own patch text, paths prefixed with the repo's label. */
export interface RepoDiffText {
  repo: string;
  label: string;
  text: string;
  /** The text cut per file, joined back it is `text`; each names its file exactly (repo-relative). */
  files: FilePatch[];
}

/**
 * Unified diffs of one step, or of the whole campaign so far, across its repos. Paths are prefixed
 * with each repo's folder relative to the campaign's first root, so the result reads (and applies)
 * from there. Deterministic: repos in path order, each repo's text from the one diff producer
 * (git/patches.ts), which `campaign diff`, the server's `codecontext/campaign/diff` and a plan's
 * inverse diffs share.
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
    const files = old ? await treePatches(r.path, old.worktree, r.worktree, { renames: true, under: label }) : [];
    return { repo: r.path, label, text: files.map((f) => f.text).join(''), files };
  });
}

/** A repo's name for people: its folder relative to the campaign's first root, or its base name. */
export function repoLabel(campaign: Campaign, repo: string): string {
  const root = campaign.roots[0];
  const rel = root ? path.relative(root, repo) : '';
  if (rel === '') return path.basename(repo);
  return rel.startsWith('..') ? path.basename(repo) : rel.split(path.sep).join('/');
}
