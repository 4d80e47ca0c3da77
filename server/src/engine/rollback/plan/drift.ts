import { EngineContext } from '../../store/engineContext';
import { defaultParallelism, mapLimit } from '../../util/pool';
import { RepoState, captureRepoState } from '../../repo/repoState';
import { EngineError, asEngineError } from '../../util/errors';
import { opOf, treeOps } from './fileOps';
import { FileChange, changeOf, driftSince } from './plan';
import { diffTrees } from '../../git/trees';
import { TargetSpec, resolveTarget } from './target';
import { Drift, repoChange } from './changes';
import { KnownStates, newestStates } from './driftBase';

/**
 * Per repo, the files changed since the campaign's last checkpoint by something other than the
 * campaign that a rollback to the target would undo: what a tree's status mark shows. One capture
 * per repo and tree comparisons; no plan (no inverse diffs, nothing kept on the server), so a status
 * mark costs no more than it shows and never pushes out the plan a user is about to run.
 */
export async function measureDrift(ctx: EngineContext, spec: TargetSpec): Promise<{ repo: string; drift: Drift[] }[]> {
  const target = await resolveTarget(ctx.store, spec);
  const last = target.lastCheckpoint;
  if (!last) return [];
  const goals = new Map(target.snapshot.repos.map((r) => [r.path, r]));
  return mapLimit(last.repos, ctx.parallelism ?? defaultParallelism, async (r) => {
    const now = await captureRepoState(r.path);
    // a repo the target does not hold is rolled back by nothing: nothing of it is at risk
    const goal = goals.get(r.path);
    return { repo: r.path, drift: goal ? await driftSince(r.path, r, now, goal) : [] };
  });
}

/** What a rollback to one snapshot would change in one repo, measured without a plan. */
export interface RepoDifference {
  repo: string;
  /** Files that differ between the repo now and the snapshot: what a restore would write or remove. */
  files: number;
  headChanged: boolean;
  indexChanged: boolean;
  /** A rollback to the snapshot would change the repo: a file, the index, HEAD or the branch (`changes.ts`). */
  changed: boolean;
  /** Files changed since the campaign's last checkpoint by something else (0 outside a campaign). */
  drift: number;
  /** Files it would overwrite that changed since the newest snapshot, checkpoint or rollback of the repo, and are not drift: the user's edits. */
  unsaved: number;
  /** Why the repo cannot be compared (gone, mid-merge…); the preview says the same at length. */
  problem?: string;
}

export interface SnapshotDifference {
  snapshot: string;
  repos: RepoDifference[];
  totals: { reposChanged: number; files: number; drift: number; unsaved: number; problems: number };
  /** Why the snapshot itself cannot be compared (modified manifest, unknown id). */
  problem?: string;
}

/**
 * For each snapshot, what a rollback to it would change compared with now: per repo the files
 * that differ, HEAD and index, drift. Each repo is captured once however many snapshots name it,
 * and nothing is planned or kept: the quick pick's rows and the Snapshots tree's marks cost one
 * capture per repo and a tree comparison per snapshot. The counts are those of a restore; a
 * preview (nested repos, ignored files) is the exact word.
 */
export async function compareWithNow(ctx: EngineContext, snapshots: readonly string[], known: readonly KnownStates[] = []): Promise<SnapshotDifference[]> {
  const targets = await Promise.all(
    snapshots.map((id) =>
      resolveTarget(ctx.store, { snapshot: id }).then(
        (t) => ({ id, t }),
        (e: unknown) => ({ id, e: e as Error }),
      ),
    ),
  );
  const paths = [...new Set(targets.flatMap((x) => ('t' in x ? x.t.snapshot.repos.map((r) => r.path) : [])))];
  // drift from the newest state anyone recorded of each repo, whichever snapshot is the target (driftBase.ts)
  const bases = await newestStates(ctx.store, paths, known);
  const now = new Map<string, RepoState | Error>();
  await mapLimit(paths, ctx.parallelism ?? defaultParallelism, async (p) => {
    now.set(p, await captureRepoState(p).catch((e: unknown) => asEngineError(e)));
  });
  return Promise.all(
    targets.map(async (x): Promise<SnapshotDifference> => {
      if (!('t' in x)) return { snapshot: x.id, repos: [], totals: { reposChanged: 0, files: 0, drift: 0, unsaved: 0, problems: 1 }, problem: x.e.message };
      const { t } = x;
      const repos = await mapLimit(t.snapshot.repos, ctx.parallelism ?? defaultParallelism, async (goal): Promise<RepoDifference> => {
        const current = now.get(goal.path)!;
        if (current instanceof Error) {
          return { repo: goal.path, files: 0, headChanged: false, indexChanged: false, changed: false, drift: 0, unsaved: 0, problem: current.message };
        }
        const last = t.lastCheckpoint?.repos.find((r) => r.path === goal.path);
        const ops = await treeOps(goal.path, current.worktree, goal.worktree);
        const drift = last ? await driftSince(goal.path, last, current, goal, undefined, ops) : [];
        // as the plan counts them (plan.ts `unsaved`): the user's edits since the newest record of the repo
        const newest = t.campaign && t.campaign.steps.length === 0 ? undefined : bases.get(goal.path);
        const drifted = new Set(drift.flatMap((d) => (d.kind === 'file' ? [d.path] : [])));
        const touched = new Set(ops.map((o) => o.path));
        const unsaved =
          newest && ops.length
            ? (await treeOps(goal.path, newest.worktree, current.worktree)).filter((o) => touched.has(o.path) && !drifted.has(o.path)).length
            : 0;
        return { repo: goal.path, files: ops.length, ...repoChange(current, goal, ops.length > 0), drift: drift.length, unsaved };
      });
      const changed = repos.filter((r) => r.changed);
      return {
        snapshot: t.snapshot.id,
        repos,
        totals: {
          reposChanged: changed.length,
          files: sum(repos, 'files'),
          drift: sum(repos, 'drift'),
          unsaved: sum(repos, 'unsaved'),
          problems: repos.filter((r) => r.problem).length,
        },
      };
    }),
  );
}

function sum(repos: readonly RepoDifference[], field: 'files' | 'drift' | 'unsaved'): number {
  return repos.reduce((n, r) => n + r[field], 0);
}

/** One repo's files that differ between now and a snapshot (what a restore to it would change). */
export interface RepoFilesDifference {
  repo: string;
  snapshot: string;
  files: FileChange[];
  headChanged: boolean;
  indexChanged: boolean;
  changed: boolean;
}

/**
 * The files of one repo that differ from a snapshot, with line counts: what the Snapshots tree
 * lists under a repo. One capture and one tree diff; no plan, no inverse diffs, nothing kept, so
 * expanding a repo never pushes out the plan a user is about to run. The same files the repo's
 * "N files differ" counts (`compareWithNow`); a preview, which leaves nested repos and ignored
 * files alone, is the exact word on what a rollback does.
 */
export async function filesDifferingFromNow(ctx: EngineContext, snapshot: string, repo: string): Promise<RepoFilesDifference> {
  const { snapshot: s } = await resolveTarget(ctx.store, { snapshot });
  const goal = s.repos.find((r) => r.path === repo);
  if (!goal) throw new EngineError('UnknownId', `not a repo of snapshot ${s.id}`, repo);
  const now = await captureRepoState(repo).catch((e: unknown) => {
    throw asEngineError(e, repo);
  });
  const changes = await diffTrees(repo, now.worktree, goal.worktree, { lineCounts: true });
  const files = changes.map((c): FileChange => {
    const op = opOf(c);
    return { ...op, change: changeOf(op), added: c.added, removed: c.removed, binary: c.binary };
  });
  return { repo, snapshot: s.id, files, ...repoChange(now, goal, files.length > 0) };
}
