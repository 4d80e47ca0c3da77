import { EngineError } from '../../util/errors';
import { randomHex } from '../../util/canonical';
import { RepoLock, acquireRepoLock, adoptRepoLock, readOwner, releaseDeadLock } from '../../repo/repoLock';
import { repoLayout } from '../../git/repoLayout';
import { Capture, RepoState, captureRepoState, captureWithIndex, emptyStage, removeDeadLeftovers, sameState } from '../../repo/repoState';
import type { PlannedFile } from '../plan/plan';
import { KeptCapture, captureStartNs, stillCurrent } from '../plan/keptCaptures';
import { CompensationOutcome, compensateRepo, compensationOps } from './compensation';
import { FileGuards, guardCheck, takeGuards } from './fileGuard';
import { PreparedRestore, commitRestore, describeDifference, prepareRestore } from './restore';

/**
 * Where a step stands in the running transaction: the journaled phases (journalState.ts) and
 * the ones only the running process knows: `locked` (prepare began), `committing` (its commit
 * began: compensation's work from here), `stuck` (compensation could not put it back: it keeps
 * the lock for recover).
 */
export type StepPhase = 'begun' | 'locked' | 'prepared' | 'committing' | 'committed' | 'compensated' | 'stuck' | 'abandoned';

/**
 * One unit of a transaction's work, driven through prepare, commit, verify and compensate. A
 * repo's local restore is one kind; a lease-guarded push to a remote is another (remoteStep.ts). The
 * transaction knows steps only through this interface; the journal names each by its `key`.
 */
export interface TxStep {
  readonly kind: 'repo' | 'remote';
  /** The journal's name for the step (a repo's absolute path). */
  readonly key: string;
  /** Keys of the steps that must commit before this one starts. */
  readonly after: readonly string[];
  phase: StepPhase;
  /** Whether commit has anything to change. */
  readonly changes: boolean;
  /** Takes what the step needs and checks it still holds; nothing outside changes. Undone by `release`. */
  prepare(): Promise<void>;
  /** Retries prepare needed (a lock held a moment), for the phase's record. */
  readonly prepareRetries: number;
  /** What the safety snapshot keeps of this step (a repo's state before), journaled in `prepared`. */
  readonly safety?: { path: string; state: RepoState };
  commit(onRetry: () => void): Promise<void>;
  /** Throws VerifyFailed when the step is not where it should be; returns the repo state it found (a remote step: none). */
  verify(): Promise<RepoState | undefined>;
  /** Back to where it was before the transaction, keeping what others wrote meanwhile. */
  compensate(onRetry: () => void): Promise<CompensationOutcome>;
  release(options?: { keepLock?: boolean; keepVerified?: boolean }): Promise<void>;
  /** Recovery: takes over what a killed process held for this step, before compensating it. */
  adopt(handedOver: boolean): Promise<void>;
  /** Recovery of a decided transaction: lets go of what a dead process still held for this step. */
  releaseDead(): Promise<void>;
}

/** A repo's local restore: lock, guards and capture at prepare; files, index and ref at commit. */
export class RepoStep implements TxStep {
  readonly kind = 'repo';
  phase: StepPhase = 'begun';
  private lock?: RepoLock;
  private restore?: PreparedRestore;
  private guards?: FileGuards;
  /** The verify's capture of the repo at its goal, until released or handed over (`takeVerified`). */
  private verified?: KeptCapture;
  /** Recovery: the repo did not hold this transaction's lock (it was released, or the journal is not ours). */
  private unlockedAtRecovery = false;

  constructor(
    private readonly rb: string,
    readonly key: string,
    /** Where the repo is before the transaction (its safety state once prepared). */
    readonly before: RepoState,
    readonly goal: RepoState,
    readonly after: readonly string[],
    readonly files: readonly PlannedFile[],
    /** The plan's own capture of the repo, kept for this run (keptCaptures.ts): used at prepare only if nothing changed since. */
    private kept?: KeptCapture,
  ) {}

  get changes(): boolean {
    return !sameState(this.before, this.goal);
  }

  get prepareRetries(): number {
    return this.lock?.retries ?? 0;
  }

  get safety(): { path: string; state: RepoState } {
    return { path: this.key, state: this.before };
  }

  async prepare(): Promise<void> {
    const layout = await repoLayout(this.key);
    this.lock = await acquireRepoLock(layout, this.rb);
    this.phase = 'locked';
    // taken before the capture reads the files: a write from now on shows in their stat
    this.guards = takeGuards(
      this.key,
      this.files.map((f) => f.path),
    );
    // a fresh capture leaves out by name the files over the size cap the plan found (no listing of the
    // untracked files first); one written since, of any size, makes it differ from the plan's: refused below
    const capture = (await this.reuseKept()) ?? (await captureWithIndex(this.key, { leftOut: this.before.leftOut ?? [] }));
    if (!sameState(capture.state, this.before)) {
      await capture.release();
      const diff = await describeDifference(this.key, capture.state, this.before);
      throw new EngineError('PlanStale', `changed since the plan was made (${diff.message}); preview again`, this.key, diff.path);
    }
    try {
      this.restore = await prepareRestore(this.key, this.goal, capture, [...this.files]);
    } catch (e) {
      await capture.release(); // its temporary index, next index and staged files go with it
      throw e;
    }
    this.phase = 'prepared';
  }

  /**
   * The plan's capture, when a capture now would give the very same (checked under the lock, after
   * the guards were taken, so a write from then on shows in their stat); else undefined, and released.
   */
  private async reuseKept(): Promise<Capture | undefined> {
    const kept = this.kept;
    this.kept = undefined;
    if (!kept) return undefined;
    const current = await stillCurrent(kept).catch(() => false);
    // beside the proof, from the guards just taken: every path the plan creates still holds nothing
    const nothingInTheWay = () => [...this.files].every((f) => f.fromBlob || this.guards?.get(f.path) === null);
    if (current && sameState(kept.capture.state, this.before) && nothingInTheWay()) return kept.capture;
    await kept.capture.release();
    return undefined;
  }

  async commit(onRetry: () => void): Promise<void> {
    if (!this.changes) return;
    this.phase = 'committing';
    await commitRestore(this.restore!, onRetry, { guard: guardCheck(this.key, this.guards!) });
    // a file each for the guards, the ops and the staged files: not needed once committed, and a
    // hundred thousand of them held through verify and evidence (issue 21, item 12); the capture
    // stays, for release
    this.guards = undefined;
    this.restore = { ...this.restore!, ops: [], staged: new Map() };
  }

  async verify(): Promise<RepoState> {
    // the files over the size cap are known: those the goal left out and those the prepare's capture
    // did (a rollback never touches them); no listing of the untracked files is needed to leave them out
    const leftOut = [...(this.goal.leftOut ?? []), ...((this.restore?.capture.state ?? this.before).leftOut ?? [])];
    const racyFromNs = captureStartNs();
    const capture = await captureWithIndex(this.key, { leftOut });
    const state = capture.state;
    if (!sameState(state, this.goal)) {
      await capture.release();
      const diff = await describeDifference(this.key, state, this.goal);
      throw new EngineError('VerifyFailed', `after commit the repo is not in the target state: ${diff.message}`, this.key, diff.path);
    }
    // the repo as the rollback left it: an undo in this process may start from it (keptCaptures.ts)
    await this.verified?.capture.release();
    this.verified = { capture, racyFromNs };
    return state;
  }

  async compensate(onRetry: () => void): Promise<CompensationOutcome> {
    try {
      if (this.unlockedAtRecovery) return await this.alreadyBack();
      const pinRef = `refs/codecontext/captures/${this.rb}/${Date.now().toString(36)}${randomHex(2)}`;
      const outcome = await compensateRepo({ path: this.key, safety: this.before, goal: this.goal }, pinRef, onRetry);
      this.phase = 'compensated';
      return outcome;
    } catch (e) {
      this.phase = 'stuck';
      throw e;
    }
  }

  /**
   * Every repo a transaction changed keeps its lock until it is back (or the transaction ended).
   * One without it was released after compensation, so it must need nothing; if it does, the
   * journal is not telling the truth, and the repo is left alone.
   */
  private async alreadyBack(): Promise<CompensationOutcome> {
    const now = await captureRepoState(this.key);
    const { ops } = await compensationOps({ path: this.key, safety: this.before, goal: this.goal }, now);
    if (ops.length || now.index !== this.before.index || now.head !== this.before.head || now.ref !== this.before.ref) {
      throw new EngineError(
        'StoreCorrupt',
        `does not hold this rollback's lock, yet is not at its safety state: the journal does not describe what happened here, so nothing was ` +
          `changed (give it up with \`codecontext recover --abandon ${this.key}\`)`,
        this.key,
      );
    }
    this.phase = 'compensated';
    return { repo: this.key, kept: [], headMoved: false, after: now };
  }

  /**
   * Recovery: takes over the lock a killed process left (or takes it anew), and empties the
   * stage. `handedOver`: the process that held it gave the transaction up, and lives on.
   */
  async adopt(handedOver: boolean): Promise<void> {
    const layout = await repoLayout(this.key);
    if ((await readOwner(layout))?.rb !== this.rb) this.unlockedAtRecovery = true;
    this.lock = await adoptRepoLock(layout, this.rb, handedOver);
    removeDeadLeftovers(layout.gitDir);
    emptyStage(layout); // the lock is ours now, and so is the stage folder: files a killed prepare checked out go
  }

  /** Recovery of a transaction whose outcome was decided: a lock its dead process still held goes. */
  /** The verify's capture, handed over (the caller releases or keeps it), or undefined. */
  takeVerified(): KeptCapture | undefined {
    const v = this.verified;
    this.verified = undefined;
    return v;
  }

  async releaseDead(): Promise<void> {
    const layout = await repoLayout(this.key);
    // a process killed between its outcome and its release left its captures: temporary indexes
    // (tmpfs and the git dir) and, under its lock, the stage folder
    removeDeadLeftovers(layout.gitDir);
    if ((await readOwner(layout))?.rb === this.rb) emptyStage(layout);
    await releaseDeadLock(layout, this.rb);
  }

  async release(options: { keepLock?: boolean; keepVerified?: boolean } = {}): Promise<void> {
    await this.kept?.capture.release(); // a step that never prepared
    this.kept = undefined;
    if (!options.keepVerified) await this.takeVerified()?.capture.release();
    await this.restore?.capture.release();
    this.restore = undefined;
    if (options.keepLock || this.phase === 'stuck') return;
    await this.lock?.release();
    this.lock = undefined;
  }
}
