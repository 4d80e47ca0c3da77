import { GitError, gitRaw } from '../../git/gitRunner';
import { remoteUrl } from '../../git/remoteOps';
import { plural } from '../../util/words';
import type { RemoteBranchReach, RepoRemotes } from './remotes';

/**
 * What a remote rollback pushes, per repo and remote: the campaign's branches deleted, the branches
 * it advanced given revert commits on top (or, with `rewrite`, reset to where the campaign found
 * them), its tags deleted. Each update is leased on the value the remote holds as the plan saw it
 * (after a fetch), so a push by someone else since is never overwritten.
 *
 * A revert is worked out here, with no worktree: for each run of consecutive campaign commits on
 * the branch's first-parent line (newest first), a commit is made whose tree is the run's base and
 * whose parent is the run's newest commit (what `git revert` of the run would commit there), and
 * `git merge-tree` merges it into the branch as it is now. The merge's base is that newest commit,
 * so work others pushed after the campaign stays, and a hunk they changed since is a conflict,
 * named in the plan and never pushed. Prepare makes the one revert commit pushed, with the tree
 * found here (tx/remoteStep.ts).
 */

/** `restore`: an undo puts a ref back to what it held before the rollback it undoes (recreated when it was deleted). */
export type RemoteAction = 'delete-branch' | 'revert' | 'reset' | 'delete-tag' | 'restore';

export interface PlannedRefUpdate {
  /** The full ref on the remote, e.g. `refs/heads/main`. */
  ref: string;
  action: RemoteAction;
  /** The value the remote holds as the plan saw it: the lease (null: the remote must not have the ref). */
  old: string | null;
  /** Where a reset takes it; null: deleted; a revert's commit is made at prepare. */
  to: string | null;
  /** A revert: the tree of the commit pushed on top of `old`. */
  tree?: string;
  /** A revert: the newest commit of each run of campaign commits it undoes, newest first. */
  reverts?: string[];
  /** A revert: how many campaign commits it undoes. */
  undoes?: number;
}

/** Something that stops this push as planned; `forceable`: `--force` pushes it anyway. */
export interface RemoteProblem {
  ref: string;
  reason: string;
  forceable: boolean;
  /** Files a revert conflicts on. */
  paths?: string[];
}

export interface RemotePush {
  remote: string;
  /** Where it pushes, credentials stripped. */
  url: string;
  updates: PlannedRefUpdate[];
  problems: RemoteProblem[];
  /** What a revert left alone, in words (nothing to revert any more…). */
  notes: string[];
}

export interface RemotePlanOptions {
  /** Which remotes: every one that holds campaign work (`true`), or these `{repo, remote}`. */
  select: true | readonly { repo: string; remote: string }[];
  /** Reset advanced branches to where the campaign found them, instead of reverting on top. */
  rewrite?: boolean;
}

/** Fixed identity and dates for the merge-only commits (never pushed, never kept): the same input makes the same objects. */
const scratchIdentity = {
  GIT_AUTHOR_NAME: 'codecontext',
  GIT_AUTHOR_EMAIL: 'codecontext@localhost',
  GIT_COMMITTER_NAME: 'codecontext',
  GIT_COMMITTER_EMAIL: 'codecontext@localhost',
  GIT_AUTHOR_DATE: '@0 +0000',
  GIT_COMMITTER_DATE: '@0 +0000',
};

/** The pushes of a remote rollback of one repo; empty when its campaign work reached no remote chosen. */
export async function planRemotePushes(repo: string, remotes: RepoRemotes, options: RemotePlanOptions): Promise<RemotePush[]> {
  const chosen = (remote: string) => options.select === true || options.select.some((s) => s.repo === repo && s.remote === remote);
  const pushes: RemotePush[] = [];
  for (const reach of remotes.reached) {
    if (!chosen(reach.remote)) continue;
    const push: RemotePush = { remote: reach.remote, url: await remoteUrl(repo, reach.remote), updates: [], problems: [], notes: [] };
    if (reach.fetchFailed) {
      push.problems.push({ ref: '', reason: `${reach.remote} could not be fetched (${reach.fetchFailed}): what it holds now is unknown`, forceable: false });
    }
    for (const b of reach.branches) await planBranch(repo, reach.remote, b, options, push);
    for (const t of reach.tags) {
      const value = remotes.createdTagValues?.[t];
      if (value) push.updates.push({ ref: `refs/tags/${t}`, action: 'delete-tag', old: value, to: null });
    }
    if (push.updates.length || push.problems.length) pushes.push(push);
  }
  return pushes;
}

async function planBranch(repo: string, remote: string, b: RemoteBranchReach, options: RemotePlanOptions, push: RemotePush): Promise<void> {
  const ref = `refs/heads/${b.branch}`;
  const name = `${remote}/${b.branch}`;
  const others = b.othersCommits ?? 0;
  if (b.created) {
    push.updates.push({ ref, action: 'delete-branch', old: b.tip, to: null });
    if (others) {
      push.problems.push({
        ref,
        reason:
          `${name} holds ${plural(others, 'commit')} that ${others === 1 ? 'is' : 'are'} not the campaign's; ` +
          'deleting the branch loses them (--force deletes it anyway)',
        forceable: true,
      });
    }
    return;
  }
  if (!b.advancedFrom) return; // holds campaign commits it got some other way (a merge of a created branch…): nothing of ours to move
  if (options.rewrite) {
    push.updates.push({ ref, action: 'reset', old: b.tip, to: b.advancedFrom });
    if (others) {
      push.problems.push({
        ref,
        reason:
          `${name} has ${plural(others, 'commit')} others pushed after the campaign; --rewrite would drop them ` +
          '(revert mode keeps them; --force rewrites anyway)',
        forceable: true,
      });
    }
    return;
  }
  if (!b.line?.descends || b.line.runs.length === 0) {
    push.problems.push({
      ref,
      reason:
        `${name} no longer grows from ${b.advancedFrom.slice(0, 7)}, where the campaign found it (its history was rewritten): ` +
        'a revert cannot be worked out; use --rewrite',
      forceable: false,
    });
    return;
  }
  // nothing but the campaign above where it found the branch: the revert's tree is the one under it (no merge)
  const reverted = b.line.baseTree
    ? { tree: b.line.baseTree, unchanged: b.line.baseTree === b.line.tipTree }
    : await revertTree(repo, b.tip, b.line.runs, b.line.tipTree);
  if ('conflict' in reverted) {
    push.problems.push({
      ref,
      reason: `${name}: reverting the campaign conflicts with work pushed since, in ${reverted.conflict.slice(0, 5).join(', ')}${
        reverted.conflict.length > 5 ? ', …' : ''
      }`,
      paths: reverted.conflict,
      forceable: false,
    });
    return;
  }
  if (reverted.unchanged) {
    push.notes.push(`${name}: the campaign's changes are no longer in it (reverted already?); nothing to push`);
    return;
  }
  push.updates.push({ ref, action: 'revert', old: b.tip, to: null, tree: reverted.tree, reverts: b.line.runs.map((r) => r.newest), undoes: b.campaignCommits });
}

/** The tree of `tip` with each run reverted, newest run first; or the paths it conflicts on. */
async function revertTree(
  repo: string,
  tip: string,
  runs: readonly { newest: string; base: string | null }[],
  tipTree: string | undefined,
): Promise<{ tree: string; unchanged: boolean } | { conflict: string[] }> {
  let current = tip;
  let tree = '';
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i];
    // a run from the very first commit reverts to an empty tree
    const baseTree = run.base ? `${run.base}^{tree}` : '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
    const revert = await commitTree(repo, baseTree, [run.newest], 'revert');
    const merged = await gitRaw(repo, ['merge-tree', '--write-tree', '--name-only', '--no-messages', current, revert], { okCodes: [1], readOnly: true });
    const lines = merged.stdout.toString('utf8').split('\n');
    if (merged.exitCode === 1) {
      const end = lines.indexOf('', 1);
      return { conflict: [...new Set(lines.slice(1, end < 0 ? undefined : end).filter(Boolean))] };
    }
    tree = lines[0].trim();
    if (i < runs.length - 1) current = await commitTree(repo, tree, [current], 'step');
  }
  const tipTreeId = tipTree ?? (await gitRaw(repo, ['rev-parse', `${tip}^{tree}`], { readOnly: true })).stdout.toString('utf8').trim();
  return { tree, unchanged: tree === tipTreeId };
}

async function commitTree(repo: string, tree: string, parents: readonly string[], message: string): Promise<string> {
  try {
    const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message];
    return (await gitRaw(repo, args, { env: scratchIdentity })).stdout.toString('utf8').trim();
  } catch (e) {
    if (e instanceof GitError) throw e.toEngineError();
    throw e;
  }
}

/**
 * An undo's pushes: each ref a rollback pushed goes back to what it held, leased on what the
 * rollback left there (a push made since refuses it, and nothing changes).
 */
export function undoPushes(
  pushed: readonly { remote: string; url: string; updates: readonly { ref: string; old: string | null; to: string | null }[] }[],
): RemotePush[] {
  return pushed.map((p) => ({
    remote: p.remote,
    url: p.url,
    updates: p.updates.filter((u) => u.old !== u.to).map((u) => ({ ref: u.ref, action: 'restore' as const, old: u.to, to: u.old })),
    problems: [],
    notes: [],
  }));
}

/** The pushes' words for a plan, one line each: what the remote rollback will do. */
export function pushWords(p: RemotePush): string[] {
  const lines: string[] = [];
  for (const u of p.updates) {
    const short = u.ref.replace(/^refs\/(heads|tags)\//, '');
    const at = `${p.remote}/${short}`;
    if (u.action === 'delete-branch') lines.push(`delete branch ${at} (at ${u.old!.slice(0, 7)}), which the campaign created`);
    else if (u.action === 'delete-tag') lines.push(`delete tag ${short} on ${p.remote}, which the campaign created`);
    else if (u.action === 'reset')
      lines.push(`reset ${at} from ${u.old!.slice(0, 7)} to ${u.to!.slice(0, 7)}, where the campaign found it (history rewritten)`);
    else if (u.action === 'restore')
      lines.push(
        u.to === null
          ? `delete ${at} again (at ${u.old!.slice(0, 7)})`
          : u.old === null
            ? `recreate ${at} at ${u.to.slice(0, 7)}`
            : `put ${at} back from ${u.old.slice(0, 7)} to ${u.to.slice(0, 7)}`,
      );
    else lines.push(`push a revert commit on ${at} undoing ${plural(u.undoes ?? 0, 'campaign commit')}`);
  }
  for (const x of p.problems) lines.push(`cannot push to ${p.remote}: ${x.reason}`);
  lines.push(...p.notes);
  return lines;
}
