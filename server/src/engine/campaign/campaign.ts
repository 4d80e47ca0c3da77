import * as path from 'path';
import { ChangeCounts, ChangeRecord, changeRecords, countChanges } from '../git/treeChanges';
import { randomHex } from '../util/canonical';
import { EngineError } from '../util/errors';
import { resolveId } from '../store/ids';
import { withFileLock } from '../store/fileLock';
import { defaultParallelism, mapLimit } from '../util/pool';
import { discoverRepos } from '../repo/discovery';
import { repoLayout } from '../git/repoLayout';
import { RepoSnapshot, SnapshotManifest, captureRepos, createSnapshot, loadSnapshot, saveSnapshot } from '../snapshot/snapshot';
import { RepoState, sameState } from '../repo/repoState';
import { EngineContext } from '../store/engineContext';
import { InvalidRecord, Store, readRecords } from '../store/store';
import { toolVersion } from '../util/version';
import { faultPoint } from '../util/faults';
import { recordCheckpointRefs } from './campaignRefs';
import { plural } from '../util/words';

/** A campaign's outcome of one repo in `campaign run`. */
export interface RepoRunResult {
  repo: string;
  exitCode: number;
  /** The last lines of stdout and stderr together. */
  outputTail: string;
  durationMs: number;
}

/** How HEAD moved in one repo during a step (a commit, a branch switch). */
export interface RefChange {
  repo: string;
  headBefore: string | null;
  headAfter: string | null;
  refBefore: string | null;
  refAfter: string | null;
}

export interface CampaignStep {
  /** 1-based; step N is what changed between checkpoint N-1 (0 = baseline) and checkpoint N. */
  n: number;
  snapshot: string;
  parent: string;
  at: string;
  message?: string;
  /** Who asked for this checkpoint: "auto" (a watcher), a tool's name; absent: a person or `campaign run`. */
  source?: string;
  command?: string[];
  results?: RepoRunResult[];
  counts: ChangeCounts;
  reposChanged: number;
  refChanges: RefChange[];
  /** Repos whose capture took longer than the per-repo time budget (`repoBudgetMs`): named, so a slow checkpoint says where its time went. */
  slow?: { repo: string; ms: number }[];
  /** Untracked files over the size cap (repo/repoState `maxFileBytes`), not captured: a rollback leaves them as they are. */
  leftOut?: { repo: string; path: string; size: number }[];
  /** Repos that could not be captured at this checkpoint (deleted, or no longer a repo): the step has nothing of them. */
  unreachable?: { repo: string; reason: string }[];
}

export interface Campaign {
  format: 1;
  id: string;
  name: string;
  roots: string[];
  repos: string[];
  createdAt: string;
  baseline: string;
  steps: CampaignStep[];
  status: 'active' | 'rolled-back';
  /** The rollback that took the campaign back to its baseline (status `rolled-back`). */
  rolledBackBy?: string;
  toolVersion: string;
}

/** A change record as stored: the record plus when, by which step and command, with which tool. */
export interface StoredChangeRecord extends ChangeRecord {
  step: number;
  at: string;
  command?: string[];
  toolVersion: string;
}

const folder = 'campaigns';
const campaignFile = (id: string) => `${folder}/${id}.json`;
const stepFile = (id: string, n: number) => `${folder}/${id}/step-${String(n).padStart(4, '0')}.json`;

export async function startCampaign(ctx: EngineContext, name: string, roots: readonly string[], maxDepth?: number): Promise<Campaign> {
  if (!name.trim()) throw new EngineError('Usage', 'a campaign needs a name');
  const absRoots = roots.map((r) => path.resolve(r));
  const repos = (await discoverRepos(absRoots, { maxDepth })).map((r) => r.path);
  if (repos.length === 0) throw new EngineError('NoRepositories', `no git repositories under ${absRoots.join(', ')}`);
  const id = `camp_${randomHex(6)}`;
  const baseline = await createSnapshot(ctx.store, repos, {
    campaign: id,
    message: `baseline of ${name}`,
    parallelism: ctx.parallelism,
    progress: ctx.progress,
    cancel: ctx.cancel,
  });
  await recordCheckpointRefs(ctx.store, id, 0, repos);
  return recordCampaign(ctx.store, { id, name, roots: absRoots, repos, baseline: baseline.id });
}

/**
 * A campaign named by the user's own campaign system (a batch-change name, a ticket, a bot's run
 * id) that the store does not know yet: `snapshot create --campaign X` takes the snapshot, and
 * this starts the campaign that answers to X with it as its baseline. X is its name; when X has
 * the form of one of our ids (`camp_` and hex), it is its id too, so the same X works everywhere.
 * Throws UnknownId when X is not free (the caller asks `loadCampaign` first).
 */
export function campaignIdFor(given: string): string {
  return /^camp_[0-9a-f]{4,32}$/.test(given) ? given : `camp_${randomHex(6)}`;
}

export async function startCampaignFromSnapshot(
  store: Store,
  id: string,
  name: string,
  baseline: SnapshotManifest,
  roots: readonly string[],
): Promise<Campaign> {
  if (!name.trim()) throw new EngineError('Usage', 'a campaign needs a name');
  if (await store.readJson(campaignFile(id))) throw new EngineError('Usage', `campaign ${id} exists already`);
  const repos = baseline.repos.map((r) => r.path);
  // every repo under a root: the campaign file's own rule (readCampaign checks it)
  const absRoots = [
    ...new Set([
      ...roots.map((r) => path.resolve(r)),
      ...repos.filter((r) => !roots.some((root) => r === path.resolve(root) || r.startsWith(path.resolve(root) + path.sep))),
    ]),
  ];
  // the refs as they are now, when the campaign starts (the snapshot may be older: it is content-addressed)
  await recordCheckpointRefs(store, id, 0, repos);
  return recordCampaign(store, { id, name, roots: absRoots, repos, baseline: baseline.id });
}

async function recordCampaign(store: Store, c: Pick<Campaign, 'id' | 'name' | 'roots' | 'repos' | 'baseline'>): Promise<Campaign> {
  const campaign: Campaign = { format: 1, ...c, createdAt: new Date().toISOString(), steps: [], status: 'active', toolVersion };
  await store.writeJson(campaignFile(c.id), campaign);
  return campaign;
}

/** An active campaign that works on some of the same repos as another one. */
export interface CampaignOverlap {
  id: string;
  name: string;
  /** The repos both work on, sorted. */
  shared: string[];
}

/**
 * The active campaigns (but `except`) whose repos include any of `repos`. Two active campaigns on
 * one repo see each other's edits: a checkpoint of either records the other's changes as its own,
 * each marks the other's edits as drift, and rolling one back to its baseline undoes the other's
 * work there too. Starting a second one is allowed, but never without saying so.
 */
export async function activeCampaignsOn(store: Store, repos: readonly string[], except?: string): Promise<CampaignOverlap[]> {
  const wanted = new Set(repos);
  return (await listCampaigns(store))
    .filter((c) => c.status === 'active' && c.id !== except)
    .map((c) => ({ id: c.id, name: c.name, shared: c.repos.filter((r) => wanted.has(r)).sort() }))
    .filter((o) => o.shared.length > 0);
}

/** One line per overlap, and how the campaigns interact: what the CLI prints and the extension shows. */
export function overlapWarning(overlaps: readonly CampaignOverlap[], repoCount: number): string[] {
  if (overlaps.length === 0) return [];
  return [
    ...overlaps.map((o) => `campaign ${o.name} (${o.id}) is also active on ${o.shared.length} of these ${repoCount} repo${repoCount === 1 ? '' : 's'}`),
    "both will record every change in the shared repos: a checkpoint of either records the other's edits as its own step,",
    "each shows the other's edits as drift, and rolling one back to its baseline also undoes the other's work there",
    "(its safety snapshot keeps that work). An edit the other made after this one's last checkpoint is kept: a restore",
    'refuses it as drift naming the other campaign, and replay keeps it. Finish or roll back the other campaign first to keep them apart.',
  ];
}

/** Finds a campaign by id, unique id prefix, or name (the newest campaign of that name). */
export async function loadCampaign(store: Store, given: string): Promise<Campaign> {
  if (/^camp_[0-9a-f]+$/.test(given)) {
    const id = await resolveId(store, folder, 'camp', given);
    return readCampaign(store, id);
  }
  const named = (await listCampaigns(store)).filter((c) => c.name === given);
  if (named.length === 0) throw new EngineError('UnknownId', `no such campaign: ${given}`);
  return named[0];
}

async function readCampaign(store: Store, id: string): Promise<Campaign> {
  const c = await store.readJson<Campaign>(campaignFile(id));
  if (!c) throw new EngineError('UnknownId', `no such campaign: ${id}`);
  if (c.format !== 1 || c.id !== id || !Array.isArray(c.steps) || !Array.isArray(c.repos) || !Array.isArray(c.roots)) {
    throw new EngineError('StoreCorrupt', `campaign file does not describe ${id}`, undefined, store.path(campaignFile(id)));
  }
  // The store can be written by others: a campaign acts only on repos under its own roots, named
  // by absolute, normalised paths (a command run in "../../" or in /etc would run outside them).
  const under = (repo: string) =>
    c.roots.some(
      (root) => typeof root === 'string' && path.isAbsolute(root) && (repo === root || repo.startsWith(root.endsWith(path.sep) ? root : root + path.sep)),
    );
  const bad = c.repos.find((r) => typeof r !== 'string' || !path.isAbsolute(r) || path.normalize(r) !== r || !under(r));
  if (bad !== undefined) {
    throw new EngineError(
      'StoreCorrupt',
      `campaign file names ${JSON.stringify(bad)}, which is not a folder under the campaign's roots; refused`,
      undefined,
      store.path(campaignFile(id)),
    );
  }
  return c;
}

/** Every readable campaign, newest first. */
export async function listCampaigns(store: Store): Promise<Campaign[]> {
  return (await listCampaignFiles(store)).campaigns;
}

export type { InvalidRecord };

/** Every campaign, newest first, and the campaign files that cannot be read, with why. */
export async function listCampaignFiles(store: Store): Promise<{ campaigns: Campaign[]; invalid: InvalidRecord[] }> {
  const { records, invalid } = await readRecords(store, folder, (id) => readCampaign(store, id));
  return { campaigns: records.sort((a, b) => b.createdAt.localeCompare(a.createdAt)), invalid };
}

/**
 * The per-repo time budget of a checkpoint's capture, in ms ($CODECONTEXT_REPO_BUDGET_MS, default
 * 10 s): a repo over it is named in the step (`slow`). The capture is not cut short: a step that
 * left a repo out would make its next step claim that repo's changes.
 */
export const repoBudgetMs: number = (() => {
  const v = process.env.CODECONTEXT_REPO_BUDGET_MS;
  return v !== undefined && /^[0-9]{1,9}$/.test(v) ? Number(v) : 10_000;
})();

export interface CheckpointOptions {
  message?: string;
  command?: string[];
  results?: RepoRunResult[];
  /** Who asked: "auto" (the watcher), a tool's name, a hook; kept on the step. */
  source?: string;
}

export interface CheckpointIfChangedOptions extends CheckpointOptions {
  /**
   * States our own writes left (a rollback's end state, by repo): a repo in one of them was not
   * changed by a writer. When every repo is as the last checkpoint has it or as one of these, there is no step.
   */
  ours?: ReadonlyMap<string, RepoState>;
  /**
   * Repos the caller vouches are as it last saw them (by repo, that capture's state): taken as they
   * are instead of captured again. Only a watcher that heard every write of those repos since that
   * capture began may pass one (lsp/campaignWatcher.ts); the step is then the capture of the others.
   */
  unchanged?: ReadonlyMap<string, RepoSnapshot>;
  /** Hears every repo's state this checkpoint compared (captured or vouched for), whether or not it made a step. */
  onStates?: (states: readonly RepoSnapshot[]) => void;
}

/**
 * Snapshots the campaign's repos and records what changed since the previous checkpoint as a new
 * step. Serialised per campaign by a lock file, so two terminals cannot interleave steps.
 */
export async function checkpointCampaign(
  ctx: EngineContext,
  given: string,
  options: CheckpointOptions = {},
): Promise<{ campaign: Campaign; step: CampaignStep; changes: StoredChangeRecord[] }> {
  return (await checkpoint(ctx, given, options, false))!;
}

/**
 * A checkpoint only when a writer changed something (the watcher's and an agent's): the repos are
 * captured once, and when every one is as the last checkpoint (or `ours`) has it, nothing is
 * written and the answer is undefined. Otherwise as `checkpointCampaign`, from that same capture.
 */
export async function checkpointIfChanged(
  ctx: EngineContext,
  given: string,
  options: CheckpointIfChangedOptions = {},
): Promise<{ campaign: Campaign; step: CampaignStep; changes: StoredChangeRecord[] } | undefined> {
  return checkpoint(ctx, given, options, true);
}

async function checkpoint(
  ctx: EngineContext,
  given: string,
  options: CheckpointIfChangedOptions,
  ifChanged: boolean,
): Promise<{ campaign: Campaign; step: CampaignStep; changes: StoredChangeRecord[] } | undefined> {
  const found = await loadCampaign(ctx.store, given);
  return withFileLock(ctx.store.path(folder, `${found.id}.lock`), async () => {
    const campaign = await readCampaign(ctx.store, found.id);
    const parentId = campaign.steps.at(-1)?.snapshot ?? campaign.baseline;
    const parent = await loadSnapshot(ctx.store, parentId);
    // A repo deleted (or its .git removed) by the step is no reason to lose the step: it is
    // recorded without that repo, which the step names. Anything else that stops a capture does stop it.
    const unreachable: { repo: string; reason: string }[] = [];
    const reachable: string[] = [];
    for (const repo of campaign.repos) {
      try {
        await repoLayout(repo);
        reachable.push(repo);
      } catch (e) {
        if (!(e instanceof EngineError) || (e.code !== 'RepoMissing' && e.code !== 'NotARepository')) throw e;
        unreachable.push({ repo, reason: e.message });
      }
    }
    if (reachable.length === 0)
      throw new EngineError('NoRepositories', `no repo of ${campaign.id} is there any more (it had ${plural(campaign.repos.length, 'repo')})`);
    const timings = new Map<string, number>();
    const snapshotOptions = {
      timings,
      campaign: campaign.id,
      message: options.message ?? `step ${campaign.steps.length + 1} of ${campaign.name}`,
      parallelism: ctx.parallelism,
      progress: ctx.progress,
      cancel: ctx.cancel,
    };
    let snapshot: SnapshotManifest;
    let stepped: ReturnType<typeof stepChanges>;
    if (ifChanged) {
      // captured once: compared with the last checkpoint, then saved as this one when a writer changed something
      const vouched = reachable.flatMap((r) => {
        const known = options.unchanged?.get(r);
        return known ? [known] : [];
      });
      const toCapture = reachable.filter((r) => !options.unchanged?.has(r));
      const captured = toCapture.length ? await captureRepos(toCapture, snapshotOptions) : [];
      const states = [...captured, ...vouched].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      options.onStates?.(states);
      const unchanged = (r: (typeof states)[number]) => {
        const before = parent.repos.find((x) => x.path === r.path);
        const mine = options.ours?.get(r.path);
        return (!!before && sameState(before, r)) || (!!mine && sameState(mine, r));
      };
      if (unreachable.length === 0 && states.length === parent.repos.length && states.every(unchanged)) return undefined;
      // the step's change records (a tree diff per changed repo, git's for a large one) are worked out
      // from the states while they are pinned and saved: an automatic checkpoint's latency (issue 23)
      stepped = stepChanges(parent.repos, states, ctx.parallelism);
      stepped.catch(() => undefined); // thrown where it is awaited, after the save
      snapshot = await saveSnapshot(ctx.store, states, snapshotOptions);
    } else {
      snapshot = await createSnapshot(ctx.store, reachable, snapshotOptions);
      stepped = stepChanges(parent.repos, snapshot.repos, ctx.parallelism);
    }
    const n = campaign.steps.length + 1;
    const at = new Date().toISOString();
    const leftOut = snapshot.repos.flatMap((r) => (r.leftOut ?? []).map((f) => ({ repo: r.path, ...f })));
    const slow = [...timings].filter(([, ms]) => ms > repoBudgetMs).map(([repo, ms]) => ({ repo, ms }));
    const { records, refChanges } = await stepped;
    const changes: StoredChangeRecord[] = records.map((r) => ({ ...r, step: n, at, command: options.command, toolVersion }));
    const step: CampaignStep = {
      n,
      snapshot: snapshot.id,
      parent: parentId,
      at,
      message: options.message,
      ...(options.source ? { source: options.source } : {}),
      command: options.command,
      results: options.results,
      counts: countChanges(records),
      reposChanged: new Set(records.map((r) => r.repo)).size,
      refChanges,
      ...(unreachable.length ? { unreachable } : {}),
      ...(leftOut.length ? { leftOut } : {}),
      ...(slow.length ? { slow } : {}),
    };
    await ctx.store.writeJson(stepFile(campaign.id, n), changes);
    // the refs beside the states: which branches and tags the campaign made, and what reached a remote
    await recordCheckpointRefs(ctx.store, campaign.id, n, reachable);
    faultPoint('checkpoint:step-file');
    campaign.steps.push(step);
    await ctx.store.writeJson(campaignFile(campaign.id), campaign);
    faultPoint('checkpoint:campaign-file');
    return { campaign, step, changes };
  });
}

async function stepChanges(
  from: readonly RepoSnapshot[],
  to: readonly RepoSnapshot[],
  parallelism = defaultParallelism,
): Promise<{ records: ChangeRecord[]; refChanges: RefChange[] }> {
  const before = new Map(from.map((r) => [r.path, r]));
  const perRepo = await mapLimit(to, parallelism, async (r) => {
    const b = before.get(r.path);
    return b ? changeRecords(r.path, b.worktree, r.worktree) : [];
  });
  const refChanges: RefChange[] = [];
  for (const r of to) {
    const b = before.get(r.path);
    if (b && (b.head !== r.head || b.ref !== r.ref)) {
      refChanges.push({ repo: r.path, headBefore: b.head, headAfter: r.head, refBefore: b.ref, refAfter: r.ref });
    }
  }
  return { records: perRepo.flat(), refChanges };
}

/** The change records of one step (1-based), as stored. */
export async function stepChangeRecords(store: Store, campaign: Campaign, n: number): Promise<StoredChangeRecord[]> {
  if (!Number.isInteger(n) || n < 1 || n > campaign.steps.length) {
    throw new EngineError('UnknownId', `${campaign.id} has no step ${n} (it has ${campaign.steps.length})`);
  }
  return (await store.readJson<StoredChangeRecord[]>(stepFile(campaign.id, n))) ?? [];
}

/** The two snapshots a step (or, without one, the whole campaign so far) lies between. */
export function stepBounds(campaign: Campaign, n?: number): { from: string; to: string } {
  if (n === undefined) return { from: campaign.baseline, to: campaign.steps.at(-1)?.snapshot ?? campaign.baseline };
  if (!Number.isInteger(n) || n < 1 || n > campaign.steps.length) {
    throw new EngineError('UnknownId', `${campaign.id} has no step ${n} (it has ${campaign.steps.length})`);
  }
  const step = campaign.steps[n - 1];
  return { from: step.parent, to: step.snapshot };
}

/**
 * Records that a rollback took the campaign back to its baseline (checkpoint 0), or that an undo
 * reversed that (`rb` undefined: active again).
 */
export async function markCampaignRolledBack(store: Store, id: string, rb: string | undefined, checkpoint: number): Promise<void> {
  if (checkpoint !== 0) return;
  await withFileLock(store.path(folder, `${id}.lock`), async () => {
    const campaign = await readCampaign(store, id);
    campaign.status = rb ? 'rolled-back' : 'active';
    campaign.rolledBackBy = rb;
    await store.writeJson(campaignFile(id), campaign);
  });
}
