import { EngineContext } from '../store/engineContext';
import { defaultParallelism, mapLimit } from '../util/pool';
import { captureRepoState } from '../repo/repoState';
import { driftSince } from './plan';
import { TargetSpec, resolveTarget } from './target';

/**
 * Per repo, the files changed since the campaign's last checkpoint by something other than the
 * campaign: what a tree's status mark shows. One capture per repo and a tree comparison; no plan
 * (no inverse diffs, nothing kept on the server), so a status mark costs no more than it shows and
 * never pushes out the plan a user is about to run.
 */
export async function measureDrift(ctx: EngineContext, spec: TargetSpec): Promise<{ repo: string; drift: string[] }[]> {
  const target = await resolveTarget(ctx.store, spec);
  const last = target.lastCheckpoint;
  if (!last) return [];
  return mapLimit(last.repos, ctx.parallelism ?? defaultParallelism, async (r) => {
    const now = await captureRepoState(r.path);
    return { repo: r.path, drift: await driftSince(r.path, r, now) };
  });
}
