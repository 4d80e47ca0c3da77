import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { StoredChangeRecord, listCampaigns, stepChangeRecords } from '../../campaign/campaign';
import { EngineContext } from '../../store/engineContext';
import { keptIgnored } from './ignoreRules';
import { canonicalJson, sha256 } from '../../util/canonical';
import { EngineError } from '../../util/errors';
import { encodePath } from '../../util/pathBytes';
import { FileOp, checkOps, treeOps } from './fileOps';
import { globMatcher } from '../../util/glob';
import { editedLines } from './editedLines';
import { lineCounts, patchMakes, reversePatch, treePatches } from '../../git/patches';
import { readObjects } from '../../git/objectReader';
import { readLooseObject } from '../../git/looseObjects';
import { orderRepos } from '../../repo/dependencyOrder';
import { defaultParallelism, mapLimit } from '../../util/pool';
import { phaseCounter } from '../../util/progress';
import { planReplayGoal } from './replay';
import { RepoState, assertRestorable, captureWithIndex } from '../../repo/repoState';
import { TreeEdit, buildTree } from '../../git/trees';
import { ResolvedTarget, TargetSpec, chooseTargetRepos, resolveTarget } from './target';
import { Drift, headMoved, repoChange } from './changes';
import { RepoRemotes, campaignRemoteReach } from './remotes';
import { RemotePush, planRemotePushes, undoPushes } from './remotePlan';

import { KeepEdits, driftedFiles, keepEdits } from './keepEdits';
import { KnownStates, newestStates } from './driftBase';
import { KeptCapture, captureStartNs, keepCaptures, keptCapture, stillCurrent } from './keptCaptures';

export type RollbackMode = 'restore' | 'replay';

export interface RollbackRequest extends TargetSpec {
  mode?: RollbackMode;
  /** Limit to these repos (folders). */
  repos?: string[];
  /** Limit to files matching these globs (the CLI's `--path`). */
  paths?: string[];
  /**
   * Per repo (absolute path), exactly these files: no glob, so a file named `a*b.ts` is itself only.
   * Paths as the plan gives them (byte-safe strings, util/pathBytes). A repo not named keeps all its files.
   */
  files?: Record<string, string[]>;
  /** Leave these repos (absolute paths) out of the plan altogether, e.g. one that is mid-merge. */
  exclude?: string[];
  /** Repos or files (`repo` + `path`) left out because they conflicted, so the evidence says why (`LeftOut`). */
  conflicted?: { repo: string; path?: string }[];
  /** Per repo, the state drift is measured from when the target has no campaign checkpoint after it (undo: the rollback's end state). */
  driftBase?: Record<string, RepoState>;
  /**
   * `git fetch` the remotes of the repos the campaign made commits, branches or tags in, before
   * saying what of it they hold (`RepoPlan.remotes`); otherwise their remote-tracking refs are read as they are.
   */
  fetch?: boolean;
  /**
   * Roll back the remotes too (remotePlan.ts): every remote that holds campaign work (`true`) or
   * these. Implies a fetch: what is pushed is leased on what the remotes hold now.
   */
  remote?: true | { repo: string; remote: string }[];
  /** With `remote`: reset the branches the campaign advanced to where it found them, instead of reverting on top. */
  rewrite?: boolean;
  /** An undo: the refs its rollback pushed, put back (remotePlan.ts `undoPushes`). */
  undoPushes?: { repo: string; remote: string; url: string; updates: { ref: string; old: string | null; to: string | null }[] }[];
  /**
   * The files edited since the drift base that the rollback would overwrite or remove: left as they
   * are (`leave`), or kept with the rollback's change undone around them (`merge`; what does not
   * merge is a conflict). Absent: they are drift, which a run refuses unless forced (keepEdits.ts).
   */
  keepEdits?: KeepEdits;
}

/** One file a rollback would change: the operation, said as a person would, and its line counts. */
export interface FileChange extends FileOp {
  /** What the rollback does to the file, as a person would say it. */
  change: 'restore' | 'recreate' | 'remove' | 'mode' | 'gitlink';
  added: number;
  removed: number;
  binary: boolean;
}

/** What a person calls the operation: restore a file, recreate one gone, remove one new since… */
export function changeOf(op: FileOp): FileChange['change'] {
  return op.action === 'delete'
    ? 'remove'
    : op.action === 'chmod'
      ? 'mode'
      : op.action === 'gitlink'
        ? 'gitlink'
        : op.fromBlob === null
          ? 'recreate'
          : 'restore';
}

/** One file the rollback will change, with its inverse diff. */
export interface PlannedFile extends FileChange {
  diffHash: string;
  patch: string;
  /**
   * Drifted files only: line numbers (1-based) of the file as it is now that someone other than the
   * campaign wrote since its last checkpoint, so a preview can say which lines are the user's own.
   */
  driftLines?: number[];
}

export interface Conflict {
  path?: string;
  reason: string;
  /** The hunk that did not apply (replay mode). */
  hunk?: string;
}

export interface RepoPlan {
  path: string;
  wave: number;
  /**
   * Repos of this plan that are rolled back before this one: those that depend on it, from the
   * waves before. It waits for them alone, not for the rest of their waves.
   */
  after: string[];
  /** Repos of this plan that this one depends on (rolled back after it): why it is in its wave. */
  dependsOn: string[];
  /** The state the plan was made from; execution refuses if the repo is no longer in it. */
  current: RepoState;
  /** The state the rollback leaves the repo in. */
  goal: RepoState;
  files: PlannedFile[];
  indexChanged: boolean;
  headChanged: boolean;
  /** The rollback changes this repo: a file, the index, HEAD or the branch (`changes.ts`, the one rule). */
  changed: boolean;
  /** Files (and index/HEAD) changed since the campaign's last checkpoint by something other than the campaign. */
  drift: Drift[];
  /**
   * Files the rollback overwrites or removes that changed since the newest snapshot, checkpoint or
   * rollback of the repo, whoever made it, and are not drift: the user's edits, which no record
   * holds but the safety snapshot. Named wherever the rollback is offered; a run is not refused for them.
   */
  unsaved: string[];
  conflicts: Conflict[];
  notes: string[];
  /** Files of the repo the target differs in that this plan leaves alone (not ticked, not matching `paths`). */
  leftOut?: string[];
  /**
   * What the campaign being rolled back made in this repo and what of it its remotes hold
   * (remotes.ts): absent when it made no commit, branch or tag here, and for a target that is no
   * campaign checkpoint. Left out of the plan hash: a rollback is local, and this changes nothing it does.
   */
  remotes?: RepoRemotes;
  /** What a remote rollback pushes to each of its remotes (asked with `remote`): in the plan hash. */
  pushes?: RemotePush[];
}

/**
 * What of the target a partial rollback leaves as it is, and why: a repo or file the user did not tick
 * (`unticked`), a repo whose state stopped the plan (`blocked`: mid-merge, locked…), or one left out
 * because it conflicted (`conflict`). The evidence keeps it, so a partial rollback says it was partial.
 */
export interface LeftOut {
  repo: string;
  /** A file of the repo; absent: the whole repo. */
  path?: string;
  reason: 'unticked' | 'blocked' | 'conflict';
}

export interface RollbackPlan {
  format: 1;
  /** Hash of what the plan does and the states it starts from. */
  hash: string;
  createdAt: string;
  mode: RollbackMode;
  /** `onlyStep`: the one step this plan undoes (`--only-step`), the steps after it kept. */
  target: { snapshot: string; campaign?: string; checkpoint?: number; onlyStep?: number; label: string };
  repos: RepoPlan[];
  waves: string[][];
  cycles: string[][];
  request: RollbackRequest;
  totals: {
    repos: number;
    reposChanged: number;
    files: number;
    added: number;
    removed: number;
    drift: number;
    unsaved: number;
    conflicts: number;
    pushes?: number;
  };
  /** Repos of the target, and files of its repos, this plan leaves as they are; absent when it rolls back all of the target. */
  leftOut?: LeftOut[];
}

/**
 * Repos planned so far, handed out while a large plan is still being made (the preview draws them):
 * each repo's first plan, in wave order. Provisional: the finished plan may still plan a repo again
 * (a parent of a submodule of the plan), name who made its drift, and add what its remotes hold.
 */
export interface PlanPart {
  /** Repos of the plan, and how many of them are planned with this part. */
  total: number;
  planned: number;
  mode: RollbackMode;
  target: RollbackPlan['target'];
  waves: string[][];
  cycles: string[][];
  /** The repos planned since the last part. */
  repos: RepoPlan[];
}

/** How often a plan hands out the repos planned since its last part, after the first one. */
const partEveryMs = 250;

/**
 * Works out a rollback without changing anything: per repo the goal state, the file operations
 * with inverse diffs, drift and conflicts, and the waves of dependency order.
 */
export async function planRollback(
  ctx: EngineContext,
  request: RollbackRequest,
  /** States recorded outside snapshots (rollbacks' end states): `unsaved` is measured from the newest state of each repo (driftBase.ts). */
  known: readonly KnownStates[] = [],
  /**
   * `keepCaptures`: each repo's capture is kept for the run of this plan (keptCaptures.ts), which
   * reuses it when nothing changed since; whoever asks releases what the run does not take.
   */
  options: {
    keepCaptures?: boolean;
    /**
     * Captures to start from (an undo's plan: its rollback's verify, keptCaptures.ts `takeAfterRollback`):
     * a repo's is used when it can be kept and `stillCurrent` proves it, else the repo is captured; all
     * are taken over (released or kept).
     */
    startFrom?: Map<string, KeptCapture>;
    /**
     * An undo's rollback's files per repo, read from its evidence pack: where the undo undoes exactly
     * them, their diffs turned around are its own once each is proved on the blobs (`reversedFiles`).
     */
    undoes?: ReadonlyMap<string, readonly PlannedFile[]>;
    /** Called with the repos planned so far: the first repo at once, then at most every `partEveryMs`, the rest when all are planned. */
    onPart?: (part: PlanPart) => void;
  } = {},
): Promise<RollbackPlan> {
  const captures = options.keepCaptures ? new Map<string, KeptCapture>() : undefined;
  const startFrom = options.startFrom;
  try {
    const plan = await planWith(ctx, request, known, captures, options.onPart, startFrom, options.undoes);
    if (captures) await keepCaptures(plan, captures);
    return plan;
  } catch (e) {
    if (captures) await Promise.all([...captures.values()].map((k) => k.capture.release()));
    throw e;
  } finally {
    // those no repo took (a repo left out of the plan)
    if (startFrom) await Promise.all([...startFrom.values()].map((k) => k.capture.release()));
    startFrom?.clear();
  }
}

async function planWith(
  ctx: EngineContext,
  request: RollbackRequest,
  known: readonly KnownStates[],
  captures: Map<string, KeptCapture> | undefined,
  onPart?: (part: PlanPart) => void,
  startFrom?: Map<string, KeptCapture>,
  undoes?: ReadonlyMap<string, readonly PlannedFile[]>,
): Promise<RollbackPlan> {
  const mode = request.mode ?? (request.onlyStep !== undefined ? 'replay' : 'restore');
  if (mode !== 'restore' && mode !== 'replay') throw new EngineError('Usage', `--mode is restore or replay, not ${String(mode)}`);
  // one step's inverse over the steps after it is a replay: a restore would undo those steps too
  if (request.onlyStep !== undefined && mode !== 'replay') throw new EngineError('Usage', '--only-step undoes one step by replay; --mode restore cannot');
  const target = await resolveTarget(ctx.store, request);
  const excluded = new Set((request.exclude ?? []).map((r) => path.resolve(r)));
  const repoPaths = chooseTargetRepos(target.snapshot, request.repos).filter((r) => !excluded.has(r));
  if (repoPaths.length === 0) throw new EngineError('NoRepositories', `every repo of ${target.label} is left out: nothing to plan`);
  // one stat each, without a round trip through the thread pool: awaited one by one, 5,000 repos took a second
  const there = (r: string) => {
    try {
      return !!fs.statSync(path.join(r, '.git'), { throwIfNoEntry: false });
    } catch {
      return false; // not readable (EACCES, a loop): as good as gone
    }
  };
  const missing = repoPaths.find((r) => !there(r));
  if (missing) throw new EngineError('RepoMissing', 'repository not found (deleted or moved since the snapshot?)', missing);
  const order = await orderRepos(repoPaths);
  const waveOf = new Map(order.waves.flatMap((w, i) => w.map((r) => [r, i] as const)));
  const dependents = new Map<string, string[]>();
  for (const [d, deps] of Object.entries(order.dependsOn)) for (const r of deps) dependents.set(r, [...(dependents.get(r) ?? []), d]);
  const counted = phaseCounter(ctx.progress, 'plan', repoPaths.length);
  const globs = globMatcher(request.paths ?? []);
  const exact = new Map(Object.entries(request.files ?? {}).map(([r, files]) => [path.resolve(r), new Set(files)]));
  const records = mode === 'replay' ? await replayRecords(ctx, target) : [];
  // the user's edits no record holds: what changed since the newest state anyone recorded of each repo (not for an
  // undo, whose drift base is exact; nor while a campaign has no checkpoint: its own work since the baseline is not told apart)
  const newest = request.driftBase || (target.campaign && target.campaign.steps.length === 0) ? undefined : await newestStates(ctx.store, repoPaths, known);
  const planOne = (repo: string, submodules?: ReadonlyMap<string, string>) => {
    const only = exact.get(repo);
    const matches = only ? (p: string) => only.has(p) && globs(p) : globs;
    return planRepo(
      repo,
      target,
      mode,
      matches,
      (request.paths ?? []).length > 0 || !!only,
      records,
      request.driftBase,
      submodules,
      request.keepEdits,
      newest?.get(repo),
      captures,
      startFrom,
      undoes?.get(repo),
    );
  };
  const placed = (plan: RepoPlan): RepoPlan => {
    const repo = plan.path;
    plan.wave = waveOf.get(repo) ?? 0;
    plan.dependsOn = (order.dependsOn[repo] ?? []).filter((d) => waveOf.has(d)).sort();
    // a circle goes as one: each of its repos waits for whatever depends on any of them
    const circle = order.cycles.find((c) => c.includes(repo)) ?? [repo];
    plan.after = [...new Set(circle.flatMap((m) => dependents.get(m) ?? []))].filter((d) => (waveOf.get(d) ?? 0) < plan.wave).sort();
    return plan;
  };
  // planned in wave order, so the parts a preview draws while the rest is planned start with the first wave
  const byWave = onPart ? [...repoPaths].sort((a, b) => (waveOf.get(a) ?? 0) - (waveOf.get(b) ?? 0)) : repoPaths;
  const parts = onPart && partsOf(onPart, byWave, { total: repoPaths.length, mode, target: targetOf(target), waves: order.waves, cycles: order.cycles });
  const planOf = new Map<string, RepoPlan>();
  await mapLimit(byWave, ctx.parallelism ?? defaultParallelism, async (repo) => {
    const plan = await planOne(repo);
    planOf.set(repo, plan);
    counted(repo);
    parts?.add(placed(plan));
  });
  parts?.flush();
  const planned = repoPaths.map((r) => planOf.get(r)!);
  // A submodule that is a repo of this plan moves its HEAD in its own rollback, and git records
  // that HEAD as its parent's gitlink: a parent is planned again, expecting the heads its
  // submodules' plans leave (a campaign that bumped a submodule rolls back both).
  const repos = await mapLimit(planned, ctx.parallelism ?? defaultParallelism, async (first) => {
    const repo = first.path;
    const inside = planned.filter((n) => n.path.startsWith(repo + path.sep) && n.goal.head !== null);
    return placed(inside.length ? await planOne(repo, new Map(inside.map((n) => [n.path, n.goal.head!]))) : first);
  });
  await attributeDrift(ctx, target, repos);
  // after the local plan: a repo that stops the plan stops it before anything is fetched
  const remote = request.remote === true || (Array.isArray(request.remote) && request.remote.length > 0) ? request.remote : undefined;
  if (remote && !target.campaign) throw new EngineError('Usage', '--remote rolls back what a campaign pushed: give a campaign target (--campaign)');
  const reach = await campaignRemoteReach(ctx.store, target, repoPaths, { fetch: request.fetch || !!remote, parallelism: ctx.parallelism });
  await mapLimit(repos, ctx.parallelism ?? defaultParallelism, async (plan) => {
    const found = reach.get(plan.path);
    if (!found) return;
    plan.remotes = found.remotes;
    plan.notes.push(...found.notes);
    if (!remote) return;
    const pushes = await planRemotePushes(plan.path, found.remotes, { select: remote, rewrite: request.rewrite });
    if (!pushes.length) return;
    plan.pushes = pushes;
    for (const p of pushes) {
      plan.notes.push(...p.notes);
      // what no flag makes safe stops the plan like any conflict; what --force may override waits for refusePlan
      for (const x of p.problems.filter((y) => !y.forceable)) plan.conflicts.push({ path: x.paths?.[0], reason: x.reason });
    }
  });
  for (const plan of repos) {
    const pushed = (request.undoPushes ?? []).filter((p) => p.repo === plan.path);
    if (pushed.length) plan.pushes = [...(plan.pushes ?? []), ...undoPushes(pushed)];
  }
  // what of the target this plan leaves out, and why: the evidence of a partial rollback says so
  const conflicted = new Set((request.conflicted ?? []).map((c) => `${path.resolve(c.repo)}\0${c.path ?? ''}`));
  const why = (repo: string, p?: string): LeftOut['reason'] => (conflicted.has(`${repo}\0${p ?? ''}`) ? 'conflict' : 'unticked');
  const kept = new Set(repoPaths);
  const leftOut: LeftOut[] = [
    ...chooseTargetRepos(target.snapshot, undefined)
      .filter((r) => !kept.has(r))
      .map((r): LeftOut => ({ repo: r, reason: excluded.has(r) ? 'blocked' : why(r) })),
    ...repos.flatMap((r) => (r.leftOut ?? []).map((p): LeftOut => ({ repo: r.path, path: p, reason: why(r.path, p) }))),
  ];
  const body = { mode, target: targetOf(target), repos };
  return {
    format: 1,
    hash: planHash(body.mode, body.target.snapshot, repos),
    createdAt: new Date().toISOString(),
    ...body,
    waves: order.waves,
    cycles: order.cycles,
    request,
    totals: {
      repos: repos.length,
      reposChanged: repos.filter((r) => r.changed).length,
      files: repos.reduce((n, r) => n + r.files.length, 0),
      added: repos.reduce((n, r) => n + r.files.reduce((m, f) => m + f.added, 0), 0),
      removed: repos.reduce((n, r) => n + r.files.reduce((m, f) => m + f.removed, 0), 0),
      drift: repos.reduce((n, r) => n + r.drift.length, 0),
      unsaved: repos.reduce((n, r) => n + r.unsaved.length, 0),
      conflicts: repos.reduce((n, r) => n + r.conflicts.length, 0),
      pushes: repos.reduce((n, r) => n + (r.pushes ?? []).reduce((m, p) => m + p.updates.length, 0), 0),
    },
    ...(leftOut.length ? { leftOut } : {}),
  };
}

function targetOf(target: ResolvedTarget): RollbackPlan['target'] {
  return {
    snapshot: target.snapshot.id,
    campaign: target.campaign?.id,
    checkpoint: target.checkpoint,
    ...(target.onlyStep ? { onlyStep: target.onlyStep.n } : {}),
    label: target.label,
  };
}

/**
 * Gathers planned repos into parts, in `order` (a repo planned before one ahead of it waits for it,
 * so the parts go wave by wave): the first repo goes out at once (something to draw soon), then a
 * part at most every `partEveryMs`; `flush` sends what is left.
 */
function partsOf(
  onPart: (part: PlanPart) => void,
  order: readonly string[],
  fixed: Omit<PlanPart, 'planned' | 'repos'>,
): { add(plan: RepoPlan): void; flush(): void } {
  const done = new Map<string, RepoPlan>();
  let next = 0;
  let sent = 0;
  let last = 0;
  const send = () => {
    if (next === sent) return;
    const repos = order.slice(sent, next).map((r) => done.get(r)!);
    sent = next;
    last = Date.now();
    onPart({ ...fixed, planned: sent, repos });
  };
  return {
    add(plan) {
      done.set(plan.path, plan);
      while (next < order.length && done.has(order[next])) next++;
      if (Date.now() - last >= partEveryMs) send();
    },
    flush: send,
  };
}

/**
 * Refuses to run `plan` unless the files it changes are exactly `files` (per repo, absolute path):
 * a run asked for by a list of ticked files changes those and no other. Checked before anything is
 * locked or written.
 */
export function assertPlanChanges(plan: RollbackPlan, files: Record<string, readonly string[]>): void {
  const named = new Map(Object.entries(files).map(([repo, paths]) => [repo, new Set(paths)]));
  const which = `plan ${plan.hash.slice(0, 12)}`;
  for (const r of plan.repos) {
    const wanted = named.get(r.path) ?? new Set<string>();
    named.delete(r.path);
    const other = r.files.find((f) => !wanted.has(f.path));
    if (other) throw new EngineError('PlanStale', `${which} would also change this file, which the run does not name; preview again`, r.path, other.path);
    const planned = new Set(r.files.map((f) => f.path));
    const left = [...wanted].find((p) => !planned.has(p));
    if (left !== undefined) throw new EngineError('PlanStale', `the run names this file, which ${which} does not change; preview again`, r.path, left);
  }
  for (const [repo, paths] of named) {
    const [first] = paths;
    if (first !== undefined)
      throw new EngineError('PlanStale', `the run names this file, but ${which} does not roll this repo back; preview again`, repo, first);
  }
}

/**
 * The plan's identity: the starting states, the goals and the operations. Recomputed at prepare.
 * A repo's `remotes` is not in it (a fetch moves it, and it changes nothing); its `pushes` are.
 */
export function planHash(mode: string, target: string, repos: readonly Pick<RepoPlan, 'path' | 'current' | 'goal' | 'files' | 'pushes'>[]): string {
  // sha256(canonicalJson({ mode, target, repos: [{ path, current, goal, files: [[path, action, blob, mode]…], pushes? }…] })),
  // its keys in canonical order, hashed file by file: neither the text nor an array a file is ever held (issue 21, item 12)
  const hash = crypto.createHash('sha256');
  hash.update(`{"mode":${canonicalJson(mode)},"repos":[`);
  repos.forEach((r, i) => {
    hash.update(`${i ? ',' : ''}{"current":${canonicalJson(r.current)},"files":[`);
    r.files.forEach((f, j) => hash.update(`${j ? ',' : ''}${canonicalJson([f.path, f.action, f.blob, f.mode])}`));
    hash.update(`],"goal":${canonicalJson(r.goal)},"path":${canonicalJson(r.path)}`);
    const pushes = r.pushes?.length ? r.pushes.map((p) => [p.remote, p.updates.map((u) => [u.ref, u.action, u.old, u.to, u.tree ?? null])]) : undefined;
    hash.update(pushes ? `,"pushes":${canonicalJson(pushes)}}` : '}');
  });
  hash.update(`],"target":${canonicalJson(target)}}`);
  return hash.digest('hex');
}

/**
 * Names, on each drifted file, the other campaign that made the change (issue 23, item 6: two
 * agents on the same repos): one whose step, recorded after the target campaign's last checkpoint,
 * changed that file in that repo. Only campaigns sharing a repo of the plan, only their later steps.
 */
async function attributeDrift(ctx: EngineContext, target: ResolvedTarget, repos: readonly RepoPlan[]): Promise<void> {
  const own = target.campaign;
  const drifted = repos.filter((r) => r.drift.some((d) => d.kind === 'file'));
  if (!own || drifted.length === 0) return;
  const since = own.steps.at(-1)?.at ?? own.createdAt;
  const paths = new Set(drifted.map((r) => r.path));
  const by = new Map<string, string>();
  for (const other of await listCampaigns(ctx.store)) {
    if (other.id === own.id || !other.repos.some((r) => paths.has(r))) continue;
    for (const step of other.steps.filter((s) => s.at > since)) {
      for (const rec of await stepChangeRecords(ctx.store, other, step.n)) {
        for (const p of rec.oldPath !== undefined ? [rec.path, rec.oldPath] : [rec.path]) {
          const key = `${rec.repo}\0${p}`;
          if (paths.has(rec.repo) && !by.has(key)) by.set(key, `${other.name} (${other.id})`);
        }
      }
    }
  }
  for (const r of drifted) for (const d of r.drift) if (d.kind === 'file' && by.has(`${r.path}\0${d.path}`)) d.by = by.get(`${r.path}\0${d.path}`);
}

/** The change records replay undoes: every step after the target checkpoint, or the one step of `--only-step`. */
async function replayRecords(ctx: EngineContext, target: ResolvedTarget): Promise<StoredChangeRecord[]> {
  const { campaign, checkpoint } = target;
  if (!campaign || checkpoint === undefined) {
    throw new EngineError('Usage', 'replay mode needs a campaign target (--campaign, or a snapshot that is one of its checkpoints)');
  }
  const steps = target.onlyStep ? [target.onlyStep.n] : campaign.steps.slice(checkpoint).map((s) => s.n);
  return (await Promise.all(steps.map((n) => stepChangeRecords(ctx.store, campaign, n)))).flat();
}

async function planRepo(
  repo: string,
  target: ResolvedTarget,
  mode: RollbackMode,
  matches: (p: string) => boolean,
  narrowed: boolean,
  records: readonly StoredChangeRecord[],
  driftBase: Record<string, RepoState> | undefined,
  /** Repos of the plan inside this one (absolute path), and the HEAD each one's own rollback leaves. */
  submodules?: ReadonlyMap<string, string>,
  keep?: KeepEdits,
  /** The newest state anyone recorded of the repo (driftBase.ts): what `unsaved` is measured from. */
  newest?: RepoState,
  /** Where to keep the repo's capture for the plan's run, when it can be kept. */
  captures?: Map<string, KeptCapture>,
  /** A capture to start from, when it proves still current (taken out of the map: released or kept here). */
  startFrom?: Map<string, KeptCapture>,
  /** An undo's rollback's files in this repo, from its evidence pack: turned around only once proved. */
  undoes?: readonly PlannedFile[],
): Promise<RepoPlan> {
  const started = await startingCapture(repo, startFrom);
  const { capture, racyFromNs } = started ?? { racyFromNs: captureStartNs(), capture: await captureWithIndex(repo) };
  let planned = false;
  try {
    const current = capture.state;
    const recorded = target.snapshot.repos.find((r) => r.path === repo)!;
    const targetState: RepoState = { head: recorded.head, ref: recorded.ref, index: recorded.index, worktree: recorded.worktree };
    const notes: string[] = [];
    const conflicts: Conflict[] = [];
    const leftOut: string[] = [];
    let goal: RepoState;
    if (mode === 'replay') {
      const replay = await planReplayGoal(repo, target, current, capture.tempIndex, matches, records, narrowed);
      goal = replay.goal;
      conflicts.push(...replay.conflicts);
      notes.push(...replay.notes);
      leftOut.push(...replay.leftOut);
    } else if (narrowed) {
      const narrow = await narrowGoal(repo, current, targetState, matches, capture.tempIndex);
      goal = narrow.goal;
      leftOut.push(...narrow.leftOut);
      notes.push('limited to the given paths: HEAD and branch are left as they are');
    } else {
      goal = targetState;
    }
    assertRestorable(repo, goal);
    const base = driftBase?.[repo] ?? target.lastCheckpoint?.repos.find((r) => r.path === repo);
    // the user's edits kept (left, or merged): decided on the goal before anything else is worked out from it
    const edited = new Set<string>();
    if (keep && base && mode === 'restore') {
      const [since, first] = await Promise.all([treeOps(repo, base.worktree, current.worktree), treeOps(repo, current.worktree, goal.worktree)]);
      const touched = new Set(first.map((o) => o.path));
      for (const o of since) if (touched.has(o.path) && matches(o.path)) edited.add(o.path);
      const k = await keepEdits(repo, keep, driftedFiles(since, first, edited));
      conflicts.push(...k.conflicts);
      notes.push(...k.notes);
      if (k.edits.length) goal = { ...goal, worktree: await buildTree(repo, capture.tempIndex, { tree: goal.worktree }, k.edits) };
    }
    let ops = await treeOps(repo, current.worktree, goal.worktree);
    // A nested repo (a gitlink in the worktree) is a repo of its own: the rollback neither removes
    // it nor moves its HEAD; its own rollback does, if it is a repo of the plan, and then the
    // gitlink is the HEAD that rollback leaves (git records a submodule's HEAD as its gitlink).
    const nested = ops.filter((o) => o.fromMode === '160000' && (o.action === 'delete' || o.action === 'gitlink'));
    if (nested.length) {
      const follows = (o: FileOp) => (o.action === 'gitlink' ? submodules?.get(path.join(repo, o.path)) : undefined);
      const ahead = nested.filter((o) => follows(o) !== undefined && follows(o) !== o.fromBlob);
      goal = {
        ...goal,
        worktree: await buildTree(
          repo,
          capture.tempIndex,
          { tree: goal.worktree },
          nested.map((o) => ({ path: o.path, entry: { mode: o.fromMode!, id: follows(o) ?? o.fromBlob! } })),
        ),
      };
      ops = ops.flatMap((o) => (!nested.includes(o) ? [o] : ahead.includes(o) ? [{ ...o, blob: follows(o)! }] : []));
      const left = nested.filter((o) => follows(o) === undefined);
      if (left.length) notes.push(`nested repos are repos of their own and are left as they are: ${left.map((o) => o.path).join(', ')}`);
      for (const o of ahead) notes.push(`${o.path}: a submodule rolled back in this plan; its pointer follows it to ${follows(o)!.slice(0, 10)}`);
    }
    for (const o of ops.filter((x) => x.fromMode === '160000' && x.action === 'write')) {
      conflicts.push({ path: o.path, reason: 'a nested repo is here now, and the target has a file at its place; move the nested repo first' });
    }
    // What the target's ignore rules ignored was no one's to roll back, whatever ignores it now
    // (a campaign that edited a .gitignore or info/exclude): it stays as it is.
    const kept = await keptIgnored(repo, ops, recorded, goal, capture.tempIndex);
    if (kept) {
      ops = ops.filter((o) => !kept.paths.has(o.path));
      goal = kept.goal;
      const bySource = new Map<string, string[]>();
      for (const [p, source] of kept.paths) bySource.set(source, [...(bySource.get(source) ?? []), p]);
      for (const [source, names] of bySource) {
        notes.push(
          `left as they are, ignored by the target's ${source}: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''}`,
        );
      }
    }
    try {
      await checkOps(repo, ops);
    } catch (e) {
      if (!(e instanceof EngineError)) throw e;
      conflicts.push({ path: e.path, reason: e.message });
    }
    // an undo turns its rollback's diffs around where it undoes exactly them: kept in this process
    // with the verify's capture, or read from the evidence pack and proved on the blobs
    const objects = path.join(capture.layout.commonDir, 'objects');
    const turned = started?.undoes ? reversedFiles(ops, started.undoes) : undoes && reversedFiles(ops, undoes, objects);
    const files = turned || (await withInverseDiffs(repo, ops, current.worktree, goal.worktree));
    // one tree diff since the checkpoint serves both: which paths drifted, and which lines of them
    const since = base ? await treeOps(repo, base.worktree, current.worktree) : [];
    const notKept = edited.size ? (p: string) => matches(p) && !edited.has(p) : matches;
    const drift = base ? driftOf(since, base, current, goal, new Set(ops.map((o) => o.path)), notKept) : [];
    const drifted = new Set(drift.flatMap((d) => (d.kind === 'file' ? [d.path] : [])));
    if (base) await markDriftLines(repo, since, files, drifted);
    // files it overwrites that changed since the newest record of the repo (whoever made it) and are not drift already
    let unsaved: string[] = [];
    if (newest && ops.length) {
      const sinceNewest = base && newest.worktree === base.worktree ? since : await treeOps(repo, newest.worktree, current.worktree);
      const touched = new Set(ops.map((o) => o.path));
      unsaved = sinceNewest.filter((o) => touched.has(o.path) && notKept(o.path) && !drifted.has(o.path)).map((o) => o.path);
      if (unsaved.length) await markDriftLines(repo, sinceNewest, files, new Set(unsaved));
    }
    if (!base && target.campaign && target.checkpoint !== undefined) {
      notes.push('no checkpoint after the target: drift cannot be told from campaign changes');
    }
    planned = true;
    return {
      path: repo,
      wave: 0,
      after: [],
      dependsOn: [],
      current,
      goal,
      files,
      ...repoChange(current, goal, files.length > 0),
      drift,
      unsaved,
      conflicts,
      notes,
      ...(leftOut.length ? { leftOut } : {}),
    };
  } finally {
    // a capture proved current at the start is kept with the census that proved it: a second census
    // of the same folders, moments later, could only say the same or refuse (issue 24, item 2)
    const kept = planned && captures ? (started ?? (await keptCapture(capture, racyFromNs).catch(() => undefined))) : undefined;
    if (kept && captures) {
      // a repo planned again (a parent of submodules) keeps its newest capture
      await captures.get(repo)?.capture.release();
      captures.set(repo, kept);
    } else {
      await capture.release();
    }
  }
}

/** The repo's capture in `startFrom` (taken out of it) when it can be kept and is still current; else it is released. */
async function startingCapture(repo: string, startFrom: Map<string, KeptCapture> | undefined): Promise<KeptCapture | undefined> {
  const given = startFrom?.get(repo);
  startFrom?.delete(repo);
  if (!given) return undefined;
  const k = await keptCapture(given.capture, given.racyFromNs).catch(() => undefined);
  if (k && (await stillCurrent(k).catch(() => false))) return given.undoes ? { ...k, undoes: given.undoes } : k;
  await given.capture.release();
  return undefined;
}

/**
 * Each op with its inverse diff: the text that takes the file from now to the goal, from the one
 * diff producer (git/patches.ts) in one process for the repo, so a preview reads as `git diff`
 * and as `campaign diff` would.
 */
async function withInverseDiffs(repo: string, ops: readonly FileOp[], current: string, goal: string): Promise<PlannedFile[]> {
  if (ops.length === 0) return [];
  const patches = new Map((await treePatches(repo, current, goal)).map((p) => [p.change.path, p]));
  return ops.map((op) => {
    const p = patches.get(op.path);
    // every op is a difference of these two trees, so git diffed it; the guard names a bug, not a state
    if (!p) throw new EngineError('Internal', 'no inverse diff for a planned file', repo, op.path);
    const { added, removed, binary } = p.change;
    // spelled out, not spread: V8 gave each spread copy a hidden class of its own (≈400 bytes a file)
    const { path: at, action, fromBlob, fromMode, blob, mode } = op;
    return {
      path: at,
      action,
      fromBlob,
      fromMode,
      blob,
      mode,
      change: changeOf(op),
      added,
      removed,
      binary,
      diffHash: sha256(encodePath(p.text)),
      patch: p.text,
    };
  });
}

/**
 * The inverse diffs of an undo's ops from its rollback's files, without git (issue 24, item 2): when
 * every op is one of those files the other way (the same path, its blobs and modes swapped) and
 * `reversePatch` turns each file's diff. A patch is git's text for its two blobs and modes, so the
 * turned one is the same change. Anything else gives undefined, and git diffs the trees as for any
 * plan: a gitlink (a nested repo's pointer may follow its own rollback), and a `.gitattributes` the
 * rollback changed (git read the file's diff attributes, binary or not, under the other rules).
 */
function reversedFiles(ops: readonly FileOp[], undoes: readonly PlannedFile[], proveIn?: string): PlannedFile[] | undefined {
  if (ops.length !== undoes.length) return undefined;
  const by = new Map(undoes.map((f) => [f.path, f]));
  const files: PlannedFile[] = [];
  for (const op of ops) {
    const f = by.get(op.path);
    if (!f || f.blob !== op.fromBlob || f.fromBlob !== op.blob || f.mode !== op.fromMode || f.fromMode !== op.mode) return undefined;
    if (op.fromMode === '160000' || op.mode === '160000' || /(^|\/)\.gitattributes$/.test(op.path)) return undefined;
    const patch = reversePatch(f.patch);
    if (patch === undefined) return undefined;
    const { path: at, action, fromBlob, fromMode, blob, mode } = op;
    // text from a store file is the undo's only once it is the change of these very blobs (loose objects
    // read here; one packed since, and git diffs the trees)
    const read = (id: string | null) => (id ? readLooseObject(proveIn!, id)?.content : undefined);
    if (proveIn !== undefined && !patchMakes(patch, fromBlob, blob, () => ({ from: read(fromBlob), to: read(blob) }))) return undefined;
    const change = { added: 0, removed: 0, binary: false };
    lineCounts(patch, change);
    files.push({ path: at, action, fromBlob, fromMode, blob, mode, change: changeOf(op), ...change, diffHash: sha256(encodePath(patch)), patch });
  }
  return files;
}

/**
 * Per drifted file of the plan, the lines of it as it is now that were not there at the last
 * checkpoint: what the user typed after the campaign. Text files only; read in one batch.
 */
async function markDriftLines(repo: string, sinceOps: readonly FileOp[], files: PlannedFile[], drift: ReadonlySet<string>): Promise<void> {
  const drifted = files.filter((f) => drift.has(f.path) && f.fromBlob && f.fromMode !== '160000' && !f.binary);
  if (drifted.length === 0) return;
  const since = new Map(sinceOps.map((o) => [o.path, o]));
  const ids = drifted.flatMap((f) => [f.fromBlob!, since.get(f.path)?.fromBlob ?? null]).filter((x): x is string => !!x);
  const objects = await readObjects(repo, ids);
  for (const f of drifted) {
    const now = objects.get(f.fromBlob!)?.content;
    const before = since.get(f.path)?.fromBlob;
    if (!now) continue;
    f.driftLines = editedLines(before ? objects.get(before)?.content : undefined, now);
  }
}

/**
 * Drift: what someone other than the campaign changed since its last checkpoint (`last`) that a
 * rollback from `current` to `goal` would undo: the files it changed that the rollback writes or
 * removes, and the index and HEAD when the rollback resets them. A change the rollback leaves
 * alone (a file already as the target has it, as after a rollback) loses no one's work.
 */
export async function driftSince(
  repo: string,
  last: RepoState,
  current: RepoState,
  goal: RepoState,
  matches: (p: string) => boolean = () => true,
  /** The rollback's ops (current → goal), when the caller has them already. */
  known?: readonly FileOp[],
): Promise<Drift[]> {
  const [since, ops] = await Promise.all([treeOps(repo, last.worktree, current.worktree), known ?? treeOps(repo, current.worktree, goal.worktree)]);
  return driftOf(since, last, current, goal, new Set(ops.map((o) => o.path)), matches);
}

/** `driftSince` from the ops already worked out: `since` (last → current) and the paths the rollback changes. */
function driftOf(
  since: readonly FileOp[],
  last: RepoState,
  current: RepoState,
  goal: RepoState,
  touched: ReadonlySet<string>,
  matches: (p: string) => boolean,
): Drift[] {
  const drift: Drift[] = since.filter((o) => touched.has(o.path) && matches(o.path)).map((o) => ({ kind: 'file', path: o.path }));
  if (last.index !== current.index && current.index !== goal.index && drift.length === 0) drift.push({ kind: 'index' });
  if (headMoved(last, current) && headMoved(current, goal)) {
    drift.push({ kind: 'head', from: { head: last.head, ref: last.ref }, to: { head: current.head, ref: current.ref } });
  }
  return drift;
}

/**
 * A goal that restores only the paths matching the globs (worktree and index), keeping every other
 * path, HEAD and the branch as they are now.
 */
async function narrowGoal(
  repo: string,
  current: RepoState,
  target: RepoState,
  matches: (p: string) => boolean,
  worktreeIndex: string,
): Promise<{ goal: RepoState; leftOut: string[] }> {
  const [wtOps, idxOps] = await Promise.all([treeOps(repo, current.worktree, target.worktree), treeOps(repo, current.index, target.index)]);
  const edits = (ops: FileOp[]): TreeEdit[] =>
    ops.filter((o) => matches(o.path)).map((o) => ({ path: o.path, entry: o.action === 'delete' ? null : { mode: o.mode!, id: o.blob! } }));
  const [wtEdits, idxEdits] = [edits(wtOps), edits(idxOps)];
  // the worktree's from the capture's index of it (it stands for current.worktree): a copy costs less than a read-tree
  const [worktree, index] = await Promise.all([
    wtEdits.length ? buildTree(repo, worktreeIndex, { indexFile: worktreeIndex }, wtEdits) : current.worktree,
    buildTree(repo, worktreeIndex, { tree: current.index }, idxEdits),
  ]);
  return { goal: { head: current.head, ref: current.ref, worktree, index }, leftOut: wtOps.filter((o) => !matches(o.path)).map((o) => o.path) };
}
