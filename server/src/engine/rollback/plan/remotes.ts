import { Campaign } from '../../campaign/campaign';
import { CheckpointRefs, loadCheckpointRefs } from '../../campaign/campaignRefs';
import { git } from '../../git/gitRunner';
import { remoteComplaint, remoteGit } from '../../git/remoteOps';
import { configuredRemotes, readRefs, repoLayout } from '../../git/repoLayout';
import { Store } from '../../store/store';
import { defaultParallelism, mapLimit } from '../../util/pool';
import { plural } from '../../util/words';
import type { ResolvedTarget } from './target';

/**
 * What of a campaign left the machine: per repo and remote, the campaign's commits a remote branch
 * holds, the branches and tags it created that a remote has, and the remote branches it advanced.
 * Told from the remote-tracking refs as they are (or after `git fetch`, when asked) and the refs the
 * campaign recorded at its checkpoints (campaign/campaignRefs.ts). A local rollback changes none of
 * it; this says so, so nobody believes a campaign gone that the next pull brings back.
 *
 * Costs: a repo where the campaign made no commit, branch or tag costs nothing; one where no
 * remote-tracking ref moved since the target costs nothing; otherwise one `git rev-list`. A fetch
 * (asked for) costs `git remote`, one `git fetch` per remote and, when the campaign created tags,
 * one `git ls-remote` per remote.
 */

/** A remote branch that holds some of the campaign's work. */
export interface RemoteBranchReach {
  /** Its name on the remote, e.g. `main`. */
  branch: string;
  /** Its remote-tracking ref, e.g. `refs/remotes/origin/main`. */
  trackingRef: string;
  /** Where the remote-tracking ref points (after the fetch, with one). */
  tip: string;
  /** How many of the campaign's commits it contains. */
  campaignCommits: number;
  /** The campaign created this branch here and it reached the remote (neither had it before the campaign). */
  created: boolean;
  /** The branch was on the remote before the campaign, at this commit, and holds campaign commits now: the campaign advanced it. */
  advancedFrom?: string;
  /** Commits it holds that are neither the campaign's nor the repo's at the target: someone else's work, pushed since. */
  othersCommits?: number;
  /**
   * Its first-parent line from `tip` back to the target, as runs of consecutive campaign commits,
   * newest first: each run's newest commit and the parent of its oldest (a revert of the run makes
   * the tree of `newest` into that of `base`). `descends`: the line reaches `advancedFrom`.
   */
  line?: { runs: { newest: string; base: string | null }[]; descends: boolean; tipTree?: string; baseTree?: string };
}

/** What of the campaign one remote of a repo holds. */
export interface RemoteReach {
  remote: string;
  branches: RemoteBranchReach[];
  /** Tags the campaign created that the remote has, as `git ls-remote` said (asked only with a fetch). */
  tags: string[];
  /** Why the remote could not be fetched (or its tags listed), in one line: what it holds is as its remote-tracking refs were. */
  fetchFailed?: string;
}

/** What the campaign made in one repo, and what of it each remote holds. */
export interface RepoRemotes {
  /** The remotes were fetched for this plan; otherwise their remote-tracking refs were read as they were. */
  fetched: boolean;
  /** Branches the campaign created here (`refs/heads/…` names absent at the target). */
  createdBranches: string[];
  /** Tags the campaign created here. */
  createdTags: string[];
  /** What each created tag names (a commit, or a tag object): the lease of its deletion on a remote. */
  createdTagValues?: Record<string, string>;
  /** Per remote, only those that hold something of the campaign or could not be fetched. */
  reached: RemoteReach[];
  /**
   * Set for a campaign recorded before its refs were: only the commits HEAD moved to are known, not
   * the branches and tags it created, nor where the remote branches were before it.
   */
  createdUnknown?: string;
}

export interface RemoteReachOptions {
  /** `git fetch` every remote of the repos the campaign made something in, first. */
  fetch?: boolean;
  parallelism?: number;
}

const oid = /^[0-9a-f]{40}$/;
const heads = 'refs/heads/';
const tagsPrefix = 'refs/tags/';
const remotesPrefix = 'refs/remotes/';

/**
 * Per repo of `repos`, what of the target's campaign (the work after the target checkpoint) its
 * remotes hold. Empty for a target that is no campaign's checkpoint, or the campaign's last one.
 * A remote that cannot be fetched is a note of its repo (`notes`), never a failure.
 */
export async function campaignRemoteReach(
  store: Store,
  target: Pick<ResolvedTarget, 'campaign' | 'checkpoint' | 'snapshot'>,
  repos: readonly string[],
  options: RemoteReachOptions = {},
): Promise<Map<string, { remotes: RepoRemotes; notes: string[] }>> {
  const { campaign, checkpoint } = target;
  const out = new Map<string, { remotes: RepoRemotes; notes: string[] }>();
  if (!campaign || checkpoint === undefined || checkpoint >= campaign.steps.length) return out;
  const recorded = await Promise.all(
    Array.from({ length: campaign.steps.length - checkpoint + 1 }, (_, i) => loadCheckpointRefs(store, campaign.id, checkpoint + i)),
  );
  const [atTarget, ...later] = recorded;
  const results = await mapLimit(repos, options.parallelism ?? defaultParallelism, async (repo) => {
    const work = campaignWork(repo, campaign, checkpoint, target.snapshot.repos.find((r) => r.path === repo)?.head ?? null, atTarget, later);
    if (!work) return undefined; // no commit, branch or tag of the campaign here: no process, nothing to say
    return [repo, await reachOf(repo, work, options.fetch ?? false)] as const;
  });
  for (const r of results) if (r) out.set(r[0], r[1]);
  return out;
}

/** What the campaign made in one repo, from the recorded refs: the commits it moved refs to, the names it created. */
interface CampaignWork {
  /** Every object a ref of the repo named at the target (and its HEAD): nothing reachable from these is the campaign's. */
  before: Set<string>;
  /** Refs as they were at the target (undefined: not recorded). */
  targetRefs?: Record<string, string>;
  /** Commits (and tag objects) local refs moved to after the target, none of them in `before`. */
  tips: Set<string>;
  createdBranches: string[];
  /** Tags created after the target, with the object each named last. */
  createdTags: Map<string, string>;
  /** The remotes the repo's config named at the checkpoints. */
  remoteNames: string[];
}

function campaignWork(
  repo: string,
  campaign: Campaign,
  checkpoint: number,
  targetHead: string | null,
  atTarget: CheckpointRefs | undefined,
  later: readonly (CheckpointRefs | undefined)[],
): CampaignWork | undefined {
  const targetRefs = atTarget?.repos[repo];
  const before = new Set(Object.values(targetRefs ?? {}).filter((v) => oid.test(v)));
  if (targetHead) before.add(targetHead);
  const tips = new Set<string>();
  const createdBranches = new Set<string>();
  const createdTags = new Map<string, string>();
  const remoteNames = new Set(atTarget?.remotes?.[repo] ?? []);
  // HEAD as each later step recorded it: all a campaign recorded before refs were has
  for (const step of campaign.steps.slice(checkpoint)) {
    for (const c of step.refChanges ?? []) if (c.repo === repo && c.headAfter && oid.test(c.headAfter) && !before.has(c.headAfter)) tips.add(c.headAfter);
  }
  for (const at of later) {
    for (const name of at?.remotes?.[repo] ?? []) remoteNames.add(name);
    for (const [name, value] of Object.entries(at?.repos[repo] ?? {})) {
      if (!oid.test(value) || name.startsWith(remotesPrefix)) continue;
      if (!before.has(value)) tips.add(value);
      if (!targetRefs || name in targetRefs) continue;
      if (name.startsWith(heads)) createdBranches.add(name.slice(heads.length));
      else if (name.startsWith(tagsPrefix)) createdTags.set(name.slice(tagsPrefix.length), value);
    }
  }
  if (tips.size === 0 && createdBranches.size === 0 && createdTags.size === 0) return undefined;
  return { before, targetRefs, tips, createdBranches: [...createdBranches].sort(), createdTags, remoteNames: [...remoteNames] };
}

async function reachOf(repo: string, work: CampaignWork, fetch: boolean): Promise<{ remotes: RepoRemotes; notes: string[] }> {
  const notes: string[] = [];
  const failed = new Map<string, string>();
  const layout = await repoLayout(repo);
  let fetchedRemotes: string[] = [];
  if (fetch) {
    // the remotes the repo's config names (read, no process): what `git remote` lists but for an included file's
    fetchedRemotes = configuredRemotes(layout);
    for (const remote of fetchedRemotes) {
      // never prompts (git/remoteOps.ts): a remote that wants a password fails at once, one that never answers times out
      const r = await remoteGit(repo, ['fetch', '--prune', '--quiet', '--', remote]);
      if (r.exitCode !== 0) {
        const why = remoteComplaint(r, 'failed').replace(/^failed: /, '');
        failed.set(remote, why);
        notes.push(`could not fetch ${remote}: ${why}`);
      }
    }
  }
  const remoteNames = [...new Set([...work.remoteNames, ...configuredRemotes(layout), ...fetchedRemotes])];
  const tracking = readRefs(layout, [remotesPrefix]);
  // a remote-tracking ref where it was at the target holds nothing of the campaign: only moved ones are walked
  const moved = [...tracking].filter(([, value]) => !work.before.has(value));
  const counts = work.tips.size && moved.length ? await campaignCommitsIn(repo, work, moved) : new Map<string, Walked>();
  const byRemote = new Map<string, RemoteReach>();
  const reachOfRemote = (remote: string) => {
    let r = byRemote.get(remote);
    if (!r) byRemote.set(remote, (r = { remote, branches: [], tags: [] }));
    return r;
  };
  const createdBranches = new Set(work.createdBranches);
  for (const [ref, tip] of tracking) {
    const { remote, branch } = splitTrackingRef(ref, remoteNames);
    if (branch === '' || branch === 'HEAD') continue;
    const walked = counts.get(ref);
    const n = walked?.campaign ?? 0;
    const created = !!work.targetRefs && createdBranches.has(branch) && !(ref in work.targetRefs);
    if (n === 0 && !created) continue;
    const was = work.targetRefs?.[ref];
    const advanced = !!was && n > 0 && !created;
    reachOfRemote(remote).branches.push({
      branch,
      trackingRef: ref,
      tip,
      campaignCommits: n,
      created,
      ...(advanced ? { advancedFrom: was } : {}),
      ...(walked?.others ? { othersCommits: walked.others } : {}),
      ...(advanced && walked
        ? {
            line: {
              runs: walked.runs,
              descends: walked.lineEnd === was,
              ...(walked.tipTree ? { tipTree: walked.tipTree } : {}),
              ...(walked.baseTree ? { baseTree: walked.baseTree } : {}),
            },
          }
        : {}),
    });
  }
  // tags have no remote-tracking refs: only a remote asked (with a fetch) can say it has one
  if (fetch && work.createdTags.size) {
    for (const remote of fetchedRemotes.filter((r) => !failed.has(r))) {
      const asked = [...work.createdTags.keys()].map((t) => tagsPrefix + t);
      const answer = await remoteGit(repo, ['ls-remote', '--tags', '--refs', '--', remote, ...asked]);
      let listed = answer.stdout;
      if (answer.exitCode !== 0) {
        const why = remoteComplaint(answer, 'failed').replace(/^failed: /, '');
        failed.set(remote, why);
        notes.push(`could not list the tags of ${remote}: ${why}`);
        listed = '';
      }
      for (const line of listed.split('\n')) {
        const [value, ref] = line.split('\t');
        const name = ref?.startsWith(tagsPrefix) ? ref.slice(tagsPrefix.length) : undefined;
        if (name !== undefined && work.createdTags.get(name) === value) reachOfRemote(remote).tags.push(name);
      }
    }
  }
  for (const [remote, why] of failed) reachOfRemote(remote).fetchFailed = why;
  const reached = [...byRemote.values()].sort((a, b) => (a.remote < b.remote ? -1 : a.remote > b.remote ? 1 : 0));
  for (const r of reached) {
    r.branches.sort((a, b) => (a.branch < b.branch ? -1 : a.branch > b.branch ? 1 : 0));
    r.tags.sort();
  }
  return {
    remotes: {
      fetched: fetch,
      createdBranches: work.createdBranches,
      createdTags: [...work.createdTags.keys()].sort(),
      ...(work.createdTags.size ? { createdTagValues: Object.fromEntries([...work.createdTags].sort(([a], [b]) => (a < b ? -1 : 1))) } : {}),
      reached,
      ...(work.targetRefs ? {} : { createdUnknown: 'created branches unknown (campaign recorded before refs were)' }),
    },
    notes,
  };
}

/** What one moved remote-tracking ref holds since the target. */
interface Walked {
  /** The campaign's commits it holds. */
  campaign: number;
  /** Other commits it holds (neither the campaign's nor reachable from the target's refs). */
  others: number;
  /** Its first-parent line's campaign runs, newest first (RemoteBranchReach.line). */
  runs: { newest: string; base: string | null }[];
  /** Where its first-parent line leaves what is new since the target (the target's commit it grew from), or null. */
  lineEnd: string | null;
  /** The tip's tree. */
  tipTree?: string;
  /** When the campaign's commits are all its line holds above the target: the tree under them. */
  baseTree?: string;
}

/**
 * Per moved remote-tracking ref, how many of the campaign's commits it holds, how many of others,
 * and its first-parent line: one `git rev-list` of every commit reachable from the campaign's tips
 * or those refs and not from anything the repo had at the target, with parents, walked here. (A
 * commit only an annotated tag reaches is not counted: its tip is the tag object, which the
 * listing does not peel.)
 */
async function campaignCommitsIn(repo: string, work: CampaignWork, moved: readonly [string, string][]): Promise<Map<string, Walked>> {
  // through stdin: a repo with thousands of tags would not fit an argument list; missing objects (gc'd refs) are skipped
  const input = [...work.tips, ...moved.map(([, v]) => v), ...[...work.before].map((b) => `^${b}`)].join('\n') + '\n';
  // each commit as `commit <id>` then `<tree> <parents…>`, and the commits just outside (the boundary,
  // `commit -<id>`) with their trees: the tip's tree tells a revert that changes nothing, and a base's
  // tree is a revert of everything above it
  const listed = await git(repo, ['rev-list', '--boundary', '--format=%T %P', '--ignore-missing', '--stdin'], { input, readOnly: true });
  const parents = new Map<string, string[]>();
  const trees = new Map<string, string>();
  const lines = listed.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    if (!lines[i].startsWith('commit ')) break;
    const c = lines[i].slice('commit '.length);
    const [tree, ...ps] = lines[i + 1].split(' ').filter(Boolean);
    if (c.startsWith('-')) {
      trees.set(c.slice(1), tree); // a boundary commit: the repo had it at the target; its tree only
      continue;
    }
    parents.set(c, ps);
    trees.set(c, tree);
  }
  const reach = (from: Iterable<string>): Set<string> => {
    const seen = new Set<string>();
    const stack = [...from].filter((t) => parents.has(t));
    while (stack.length) {
      const c = stack.pop()!;
      if (seen.has(c)) continue;
      seen.add(c);
      for (const p of parents.get(c)!) if (parents.has(p) && !seen.has(p)) stack.push(p);
    }
    return seen;
  };
  const campaign = reach(work.tips);
  const counts = new Map<string, Walked>();
  for (const [ref, tip] of moved) {
    let n = 0;
    let others = 0;
    for (const c of reach([tip])) {
      if (campaign.has(c)) n++;
      else others++;
    }
    const runs: Walked['runs'] = [];
    let open: { newest: string; base: string | null } | undefined;
    let c: string | undefined = tip;
    while (c !== undefined && parents.has(c)) {
      const first: string | undefined = parents.get(c)![0];
      if (campaign.has(c)) {
        if (!open) runs.push((open = { newest: c, base: null }));
        open.base = first ?? null;
      } else open = undefined;
      c = first;
    }
    // the campaign's commits alone on top: their revert is the tree under them, no merge needed
    const only = runs.length === 1 && runs[0].newest === tip && runs[0].base ? trees.get(runs[0].base) : undefined;
    counts.set(ref, { campaign: n, others, runs, lineEnd: c ?? null, tipTree: trees.get(tip), ...(only ? { baseTree: only } : {}) });
  }
  return counts;
}

/** `refs/remotes/<remote>/<branch>` cut at the longest remote name that fits (a remote's name may hold a slash). */
function splitTrackingRef(ref: string, remotes: readonly string[]): { remote: string; branch: string } {
  const rest = ref.slice(remotesPrefix.length);
  const named = remotes.filter((r) => rest.startsWith(r + '/')).sort((a, b) => b.length - a.length)[0];
  const remote = named ?? (rest.includes('/') ? rest.slice(0, rest.indexOf('/')) : rest);
  return { remote, branch: rest.slice(remote.length + 1) };
}

/** Some of the campaign is on a remote: a branch holds its commits or is one it created, or a remote has a tag it made. */
export function heldOnRemotes(r: RepoRemotes | undefined): boolean {
  return !!r?.reached.some((x) => x.branches.length > 0 || x.tags.length > 0);
}

/**
 * What a local rollback leaves on the remotes, in words: one line per fact, empty when the
 * campaign's work reached no remote. The one wording of it: the CLI's plan, confirmation and result,
 * the preview panel (through the plan's summary), the evidence report. Factual only: what is on
 * the remote, and that a local rollback does not change it.
 */
export function remoteWords(r: RepoRemotes | undefined): string[] {
  if (!r) return [];
  const lines: string[] = [];
  const holding: string[] = [];
  for (const remote of r.reached) {
    const before = lines.length;
    for (const b of remote.branches) {
      const commits = plural(b.campaignCommits, 'campaign commit');
      if (b.created) lines.push(`${remote.remote} has branch ${b.branch} the campaign created${b.campaignCommits ? ` (${commits})` : ''}`);
      else {
        const advanced = b.advancedFrom ? ` (the campaign advanced it from ${b.advancedFrom.slice(0, 7)})` : '';
        lines.push(`${remote.remote}/${b.branch} still has ${commits}${advanced}; the next pull brings ${b.campaignCommits === 1 ? 'it' : 'them'} back`);
      }
    }
    for (const t of remote.tags) lines.push(`${remote.remote} has tag ${t} the campaign created`);
    if (lines.length > before) holding.push(remote.remote);
  }
  if (!r.fetched) {
    for (const t of r.createdTags) lines.push(`tag ${t} the campaign created is here; whether it was pushed is unknown (the remotes were not fetched)`);
  }
  if (holding.length) lines.push(`a local rollback does not change ${holding.join(', ')}`);
  return lines;
}
