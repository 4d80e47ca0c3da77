import { GitError, gitRaw } from '../../git/gitRunner';
import { lsRemote, pushAtomic } from '../../git/remoteOps';
import { EngineError } from '../../util/errors';
import { plural } from '../../util/words';
import type { PlannedRefUpdate } from '../plan/remotePlan';
import type { CompensationOutcome } from './compensation';
import type { PushedUpdate } from './journal';
import type { StepPhase, TxStep } from './step';

/**
 * A remote's part of a rollback: one `git push --atomic` of every ref update planned for that
 * remote of one repo, each under its lease (git/remoteOps.ts). Prepare makes the revert commits
 * (`commit-tree` on the trees the plan worked out: no worktree, no index is touched) and asks the
 * remote with `--dry-run` whether it would take the push; commit pushes; verify reads the remote
 * back; compensation pushes each ref that holds what we pushed back to what it held, leased on our
 * value, so a push someone made since is never overwritten (it is kept, and named).
 */
export class RemoteStep implements TxStep {
  readonly kind = 'remote';
  phase: StepPhase = 'begun';
  readonly prepareRetries = 0;
  readonly safety = undefined;
  /** As prepared (or, in recovery, as the journal says they were prepared). */
  updates?: PushedUpdate[];
  /** What git and the remote said to the push. */
  output?: string;

  constructor(
    readonly key: string,
    readonly repo: string,
    readonly remote: string,
    private readonly planned: readonly PlannedRefUpdate[],
    readonly after: readonly string[],
    /** For the revert commits' message: the rollback and the campaign it undoes. */
    private readonly naming: { rb: string; campaign?: string },
  ) {}

  get changes(): boolean {
    return this.planned.length > 0 || (this.updates?.length ?? 0) > 0;
  }

  async prepare(): Promise<void> {
    const updates: PushedUpdate[] = [];
    for (const u of this.planned) {
      if (u.action === 'revert') updates.push({ ref: u.ref, old: u.old, to: await this.revertCommit(u) });
      else updates.push({ ref: u.ref, old: u.old, to: u.to });
    }
    const dry = await pushAtomic(
      this.repo,
      this.remote,
      updates.map((u) => ({ ref: u.ref, lease: u.old, to: u.to })),
      { dryRun: true },
    );
    if (!dry.ok) throw new EngineError('PushRejected', `${this.remote} would not take the push (${dry.reason}); preview again`, this.repo);
    this.updates = updates;
    this.phase = 'prepared';
  }

  /** The one commit pushed on a branch the campaign advanced: the plan's tree, on top of what the remote holds. */
  private async revertCommit(u: PlannedRefUpdate): Promise<string> {
    const branch = u.ref.replace(/^refs\/heads\//, '');
    const message =
      `Revert campaign ${this.naming.campaign ?? ''} on ${branch}`.replace(/ {2,}/g, ' ') +
      `\n\nUndoes ${plural(u.undoes ?? 0, 'commit')} of campaign ${this.naming.campaign ?? '(unnamed)'}` +
      ` (newest: ${(u.reverts ?? []).join(', ')}).\nMade by codecontext rollback ${this.naming.rb}; later work is kept.\n`;
    try {
      return (await gitRaw(this.repo, ['commit-tree', u.tree!, '-p', u.old!], { input: message })).stdout.toString('utf8').trim();
    } catch (e) {
      if (!(e instanceof GitError)) throw e;
      if (/identity unknown|tell me who you are|empty ident/i.test(e.stderr)) {
        throw new EngineError(
          'Usage',
          'git has no author identity here, and a revert commit needs one: set user.name and user.email (git config --global)',
          this.repo,
        );
      }
      throw e.toEngineError();
    }
  }

  async commit(): Promise<void> {
    if (!this.updates?.length) return;
    this.phase = 'committing';
    const r = await pushAtomic(
      this.repo,
      this.remote,
      this.updates.map((u) => ({ ref: u.ref, lease: u.old, to: u.to })),
    );
    this.output = r.output;
    if (!r.ok) throw new EngineError('PushRejected', `${this.remote} refused the push: ${r.reason}`, this.repo);
  }

  async verify(): Promise<undefined> {
    const now = await lsRemote(
      this.repo,
      this.remote,
      (this.updates ?? []).map((u) => u.ref),
    );
    for (const u of this.updates ?? []) {
      const is = now.get(u.ref) ?? null;
      if (is !== u.to) {
        throw new EngineError(
          'VerifyFailed',
          `after the push ${this.remote} has ${u.ref} at ${is?.slice(0, 10) ?? '(none)'}, not ${u.to?.slice(0, 10) ?? '(none)'}`,
          this.repo,
        );
      }
    }
    return undefined;
  }

  /**
   * Every ref that holds what we pushed goes back to what it held, in one atomic push leased on our
   * value. A ref that holds neither was moved by someone else since: it is kept as they left it.
   */
  async compensate(): Promise<CompensationOutcome> {
    try {
      const updates = this.updates ?? [];
      const now = await lsRemote(
        this.repo,
        this.remote,
        updates.map((u) => u.ref),
      );
      const back = updates.filter((u) => (now.get(u.ref) ?? null) === u.to && u.to !== u.old);
      const kept = updates.filter((u) => (now.get(u.ref) ?? null) !== u.to && (now.get(u.ref) ?? null) !== u.old).map((u) => u.ref);
      if (back.length) {
        const r = await pushAtomic(
          this.repo,
          this.remote,
          back.map((u) => ({ ref: u.ref, lease: u.to, to: u.old })),
        );
        if (!r.ok) throw new EngineError('PushRejected', `${this.remote} refused the push that puts it back: ${r.reason}`, this.repo);
      }
      this.phase = 'compensated';
      return { repo: this.key, kept, headMoved: false };
    } catch (e) {
      this.phase = 'stuck';
      throw e;
    }
  }

  async release(): Promise<void> {}

  async adopt(): Promise<void> {}

  async releaseDead(): Promise<void> {}
}
