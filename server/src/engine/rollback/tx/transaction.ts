import * as fs from 'fs';
import * as os from 'os';
import { markCampaignRolledBack } from '../../campaign/campaign';
import { EngineContext } from '../../store/engineContext';
import { randomHex } from '../../util/canonical';
import { EngineError, asEngineError } from '../../util/errors';
import { crashPoint } from '../../util/faults';
import { defaultParallelism, mapLimit, runInOrder } from '../../util/pool';
import { CancelToken, phaseCounter } from '../../util/progress';
import { RepoLock, acquireRepoLock, adoptRepoLock, readOwner } from '../../repo/repoLock';
import { repoLayout } from '../../git/repoLayout';
import { RepoState, captureRepoState, captureWithIndex, emptyStage, removeDeadLeftovers, sameState } from '../../repo/repoState';
import { saveSnapshot } from '../../snapshot/snapshot';
import { toolVersion } from '../../util/version';
import { CompensationOutcome, compensateRepo, compensationOps } from './compensation';
import { checkFor, checkWords, defaultCheckTimeoutMs, runCheck } from './checks';
import { CheckResult, PhaseRecord, RollbackRecord, writeRollbackRecord } from '../records';
import { keepWithRepos } from '../evidence/copies';
import { OrphanGuard } from '../../util/orphanGuard';
import { EvidenceRepo, RepoSpan, gitIdentity, inversePatchText, whoami, writeEvidence } from '../evidence/pack';
import { FileGuard, guardCheck, takeGuards } from './fileGuard';
import { Journal, JournalEntry, openJournal } from './journal';
import { PlannedFile, RollbackPlan, planHash } from '../plan/plan';
import { PreparedRestore, commitRestore, describeDifference, prepareRestore } from './restore';

export interface ExecuteOptions {
  /** Run even when files drifted since the campaign (restore mode). The safety snapshot keeps them. */
  force?: boolean;
  /** Honoured until the commit phase begins; after that the transaction finishes or compensates. */
  cancel?: CancelToken;
  /** The command line, for the evidence pack. */
  argv?: string[];
  kind?: 'rollback' | 'undo';
  undoOf?: string;
  /** A rolling check run in each repo right after it commits (else the repo's own `.codecontext.json` "check"). */
  check?: string;
  /** How long a check may run; default 120 s. */
  checkTimeoutMs?: number;
}

/** A rollback that did not commit: the engine error that stopped it, and the record and evidence it left. */
export class RollbackFailed extends EngineError {
  constructor(
    readonly failure: EngineError,
    message: string,
    readonly record: RollbackRecord | undefined,
  ) {
    super(failure.code, message, failure.repo, failure.path, { cause: failure });
  }
}

/** One repo of a transaction: where it starts (its safety state), where it goes, and what must commit first. */
interface TxRepo {
  path: string;
  wave: number;
  before: RepoState;
  goal: RepoState;
  after: string[];
  files: PlannedFile[];
  /** Given up by `recover --abandon`: left as it is, and said so in the evidence. */
  abandoned?: string;
}

type Begin = Extract<JournalEntry, { t: 'begin' }>;
type Prepared = Extract<JournalEntry, { t: 'prepared' }>;

/**
 * A rollback transaction `rb_<id>` as one object whose parts are its phases:
 * `prepare` (lock every repo, capture, check the plan still holds, stage every file to write,
 * pin a safety snapshot, journal `prepared`), `commit` (in dependency order, each file checked
 * just before it is replaced), `verify` (every repo recomputed against its goal), `compensate`
 * (capture first, then every touched repo back to its safety state, keeping other processes'
 * writes) and `finish` (record, evidence pack, then the journal's `end`).
 *
 * Recovery builds the same object from a journal (`resume`) and calls the same `compensate` and
 * `finish`, so a crash is ended exactly as a failure would have been.
 */
export class RollbackTransaction {
  readonly phases: PhaseRecord[] = [];
  private readonly locks = new Map<string, RepoLock>();
  private readonly prepared = new Map<string, PreparedRestore>();
  private readonly guards = new Map<string, Map<string, FileGuard | null>>();
  /** Repos whose commit started: compensation's work. */
  private readonly touched = new Set<string>();
  private readonly committed = new Set<string>();
  private readonly compensations = new Map<string, CompensationOutcome>();
  private readonly after = new Map<string, RepoState>();
  /** Journal entries that could not be written after `prepared`; the work went on (recovery is idempotent). */
  private readonly journalProblems: string[] = [];
  private readonly checks: CheckResult[] = [];
  /** Per repo, when each phase ran there: the evidence report draws them as a timeline. */
  private readonly spans = new Map<string, RepoSpan[]>();
  /** Made at the first rolling check: a check must not outlive a killed rollback any more than a campaign command. */
  private checkGuard?: OrphanGuard;
  private safetyId?: string;
  private commitBegan = false;
  private verified = false;
  private failure?: EngineError;
  /** Compensation could not put some repo back: the record is written, the journal left open for recover. */
  private stuckError?: EngineError;
  /** Repos compensation could not put back: they keep this transaction's lock, for recover to take over. */
  private readonly keepLocked = new Set<string>();
  /** Recovery: repos that do not hold this transaction's lock (it released them, or the journal is not ours). */
  private readonly unlockedAtRecovery = new Set<string>();

  private constructor(
    private readonly ctx: EngineContext,
    readonly id: string,
    private readonly journal: Journal,
    private readonly info: {
      kind: 'rollback' | 'undo';
      undoOf?: string;
      argv: string[];
      startedAt: string;
      target: RollbackPlan['target'];
      mode: RollbackPlan['mode'];
      planHash: string;
      /** A whole-target rollback (not limited to repos or paths): it marks the campaign rolled back. */
      full: boolean;
      recovery: boolean;
      check?: string;
      checkTimeoutMs?: number;
    },
    private readonly repos: TxRepo[],
  ) {}

  private get parallelism(): number {
    return this.ctx.parallelism ?? defaultParallelism;
  }

  /** Opens the journal of a new transaction for `plan` and writes its `begin`. */
  static async begin(ctx: EngineContext, plan: RollbackPlan, options: ExecuteOptions): Promise<RollbackTransaction> {
    const id = `rb_${randomHex(6)}`;
    const startedAt = new Date().toISOString();
    const journal = await openJournal(ctx.store, id).catch((e: unknown) => {
      const err = asEngineError(e);
      throw new EngineError(err.code, `the store cannot be written (${err.message}); nothing was changed`, undefined, err.path, { cause: e });
    });
    const kind = options.kind ?? 'rollback';
    const repos = plan.repos.map((r) => ({ path: r.path, wave: r.wave, before: r.current, goal: r.goal, after: r.after, files: r.files }));
    const full = !plan.request.repos?.length && !plan.request.paths?.length;
    const tx = new RollbackTransaction(
      ctx,
      id,
      journal,
      {
        kind,
        undoOf: options.undoOf,
        argv: options.argv ?? [],
        startedAt,
        target: plan.target,
        mode: plan.mode,
        planHash: plan.hash,
        full,
        recovery: false,
        check: options.check,
        checkTimeoutMs: options.checkTimeoutMs,
      },
      repos,
    );
    try {
      await journal.append({
        t: 'begin',
        rb: id,
        at: startedAt,
        pid: process.pid,
        planHash: plan.hash,
        kind,
        target: plan.target,
        mode: plan.mode,
        repos: repos.map((r) => ({ path: r.path, wave: r.wave, goal: r.goal })),
      });
    } catch (e) {
      // nothing was locked or changed: no journal is left for recovery to find
      await journal.close();
      await fs.promises.rm(journal.file, { force: true });
      throw asEngineError(e);
    }
    return tx;
  }

  /**
   * The transaction a journal describes, for recovery: its repos start at their prepared (safety)
   * states; `abandoned` repos (by path, with why) are left out of everything recovery does.
   */
  static async resume(
    ctx: EngineContext,
    rb: string,
    begin: Begin,
    prepared: Prepared | undefined,
    abandoned: ReadonlyMap<string, string>,
  ): Promise<RollbackTransaction> {
    const journal = await openJournal(ctx.store, rb);
    const before = new Map(prepared?.repos.map((r) => [r.path, r.state]));
    const repos = begin.repos.map((r) => ({
      path: r.path,
      wave: r.wave,
      before: before.get(r.path) ?? r.goal,
      goal: r.goal,
      after: [],
      files: [],
      abandoned: abandoned.get(r.path),
    }));
    const tx = new RollbackTransaction(
      ctx,
      rb,
      journal,
      {
        kind: begin.kind,
        argv: ['recover'],
        startedAt: begin.at,
        target: begin.target,
        mode: begin.mode,
        planHash: begin.planHash,
        full: false,
        recovery: true,
      },
      repos,
    );
    tx.safetyId = prepared?.safety;
    return tx;
  }

  private phase(name: PhaseRecord['name']): PhaseRecord {
    const p: PhaseRecord = { name, startedAt: new Date().toISOString(), retries: 0 };
    this.phases.push(p);
    return p;
  }

  /** Runs one repo's part of a phase and notes when it ran and whether it failed. */
  private async timed<T>(repo: string, name: RepoSpan['name'], work: () => Promise<T>): Promise<T> {
    const start = Date.now();
    let ok = false;
    try {
      const result = await work();
      ok = true;
      return result;
    } finally {
      const spans = this.spans.get(repo) ?? [];
      spans.push({ name, startedAt: new Date(start).toISOString(), ms: Date.now() - start, ok });
      this.spans.set(repo, spans);
    }
  }

  private static end(p: PhaseRecord): void {
    p.endedAt = new Date().toISOString();
    p.ms = Date.parse(p.endedAt) - Date.parse(p.startedAt);
  }

  /** Appends an entry after `prepared`: a failure is noted, not thrown, since recovery can redo what follows. */
  private async record(entry: JournalEntry): Promise<void> {
    try {
      await this.journal.append(entry);
    } catch (e) {
      this.journalProblems.push(`${entry.t}: ${asEngineError(e).message}`);
    }
  }

  /** Refusals that need no lock: conflicts, drift without force, a plan edited after it was made. */
  checkPlan(plan: RollbackPlan, options: ExecuteOptions): void {
    if (plan.totals.conflicts > 0) {
      const c = plan.repos.find((r) => r.conflicts.length)!;
      throw new EngineError('Conflict', `${plan.totals.conflicts} conflicts; first: ${c.conflicts[0].reason}`, c.path, c.conflicts[0].path);
    }
    if (plan.mode === 'restore' && plan.totals.drift > 0 && !options.force) {
      const d = plan.repos.find((r) => r.drift.length)!;
      throw new EngineError(
        'Drift',
        `${plan.totals.drift} files changed since the campaign's last checkpoint (use --force to roll back anyway; the safety snapshot keeps them): ` +
          `${d.drift.slice(0, 5).join(', ')}`,
        d.path,
        d.drift[0],
      );
    }
    if (planHash(plan.mode, plan.target.snapshot, plan.repos) !== plan.hash) {
      throw new EngineError('PlanStale', 'the plan was modified after it was made');
    }
    // a repo's own check that only a shell could run is refused now, not after that repo commits
    for (const r of plan.repos.filter((x) => x.files.length || x.indexChanged || x.headChanged)) {
      const command = checkFor(r.path, options.check);
      if (!command) continue;
      try {
        checkWords(command);
      } catch (e) {
        throw new EngineError('Usage', `${options.check ? '--check' : 'its .codecontext.json "check"'}: ${asEngineError(e).message}`, r.path);
      }
    }
  }

  /**
   * Locks and captures every repo, checks it is still what the plan started from, stages every
   * file to write and pins the safety snapshot. Nothing in a repo has changed when this throws.
   * Ends with `prepared` durable in the journal: a failure to write it is a failure of prepare.
   */
  async prepare(cancel?: CancelToken): Promise<void> {
    const prep = this.phase('prepare');
    const preparedCount = phaseCounter(this.ctx.progress, 'prepare', this.repos.length);
    await mapLimit(this.repos, this.parallelism, async (r) => {
      if (cancel?.cancelled) throw new EngineError('Cancelled', 'cancelled before the commit phase; nothing was changed');
      await this.timed(r.path, 'prepare', () => this.prepareRepo(r, prep));
      preparedCount(r.path);
    });
    const safety = await saveSnapshot(
      this.ctx.store,
      this.repos.map((r) => ({ path: r.path, ...r.before })),
      { message: `safety snapshot before ${this.id}`, parallelism: this.parallelism },
    );
    this.safetyId = safety.id;
    await this.journal.append({
      t: 'prepared',
      at: new Date().toISOString(),
      safety: safety.id,
      repos: this.repos.map((r) => ({ path: r.path, state: r.before })),
    });
    RollbackTransaction.end(prep);
  }

  /** One repo's prepare: lock, guards, capture, the plan's check, the files staged. */
  private async prepareRepo(r: TxRepo, prep: PhaseRecord): Promise<void> {
    const layout = await repoLayout(r.path);
    const lock = await acquireRepoLock(layout, this.id);
    this.locks.set(r.path, lock);
    prep.retries += lock.retries;
    // taken before the capture reads the files: a write from now on shows in their stat
    this.guards.set(
      r.path,
      takeGuards(
        r.path,
        r.files.map((f) => f.path),
      ),
    );
    const capture = await captureWithIndex(r.path);
    if (!sameState(capture.state, r.before)) {
      await capture.release();
      const diff = await describeDifference(r.path, capture.state, r.before);
      throw new EngineError('PlanStale', `changed since the plan was made (${diff.message}); preview again`, r.path, diff.path);
    }
    try {
      this.prepared.set(r.path, await prepareRestore(r.path, r.goal, capture, r.files));
    } catch (e) {
      await capture.release(); // its temporary index, next index and staged files go with it
      throw e;
    }
  }

  /** Commits each repo once the repos it must follow have committed; files are checked just before they are replaced. */
  async commit(): Promise<void> {
    this.commitBegan = true;
    const com = this.phase('commit');
    const committing = phaseCounter(this.ctx.progress, 'commit', this.repos.length);
    // Recovery puts every prepared repo back whatever the journal says was committed, so these
    // entries are a record, not a promise: nobody waits for their sync but the phase's end. A
    // long dependency chain is a wave per repo, and a sync per wave was most of the commit time.
    const logged: Promise<void>[] = [];
    await runInOrder(
      this.repos,
      (r) => r.path,
      (r) => r.after,
      this.parallelism,
      async (r) => {
        const p = this.prepared.get(r.path)!;
        if (!sameState(r.before, r.goal)) {
          this.touched.add(r.path);
          await this.timed(r.path, 'commit', () => commitRestore(p, () => com.retries++, { guard: guardCheck(r.path, this.guards.get(r.path)!) }));
        }
        this.committed.add(r.path);
        // counted before the await: repos committing in parallel must each see their own number
        const nth = this.committed.size;
        const entry = this.journal.append({ t: 'committed', at: new Date().toISOString(), repo: r.path });
        entry.catch(() => undefined); // handled here so a failed sync is not an unhandled rejection; awaited below
        logged.push(entry);
        // the repos that must follow this one start only once its check has passed
        if (this.touched.has(r.path)) await this.runCheck(r.path);
        committing(r.path);
        crashPoint('crash-after-commit', nth);
      },
    );
    await Promise.all(logged);
    RollbackTransaction.end(com);
  }

  /** The repo's rolling check, if it has one; a failure or a timeout stops the rollback (CheckFailed). */
  private async runCheck(repo: string): Promise<void> {
    const command = checkFor(repo, this.info.check);
    if (!command) return;
    const timeout = this.info.checkTimeoutMs ?? defaultCheckTimeoutMs;
    this.checkGuard ??= new OrphanGuard();
    const guard = this.checkGuard;
    const result = await this.timed(repo, 'check', () => runCheck(repo, command, timeout, guard));
    this.checks.push(result);
    if (result.exitCode === 0) return;
    const last = result.outputTail.trim().split('\n').slice(-1)[0];
    const how = result.timedOut ? `did not finish within ${Math.round(timeout / 1000)} s` : `failed (exit ${result.exitCode})`;
    throw new EngineError('CheckFailed', `the check \`${command}\` ${how}${last ? `: ${last}` : ''}`, repo);
  }

  /** Every repo recomputed and compared with its goal; `verified` journaled. */
  async verify(): Promise<void> {
    const ver = this.phase('verify');
    const verified = phaseCounter(this.ctx.progress, 'verify', this.repos.length);
    await mapLimit(this.repos, this.parallelism, async (r) => {
      const state = await this.timed(r.path, 'verify', () => captureRepoState(r.path));
      this.after.set(r.path, state);
      if (!sameState(state, r.goal)) {
        const diff = await describeDifference(r.path, state, r.goal);
        throw new EngineError('VerifyFailed', `after commit the repo is not in the target state: ${diff.message}`, r.path, diff.path);
      }
      verified(r.path);
    });
    await this.journal.append({ t: 'verified', at: new Date().toISOString() });
    this.verified = true;
    RollbackTransaction.end(ver);
  }

  /** Notes why the transaction failed (the first reason wins) and closes any open phase. */
  fail(e: unknown): void {
    this.failure ??= asEngineError(e);
    for (const p of this.phases) if (!p.endedAt) RollbackTransaction.end(p);
  }

  get hasFailed(): boolean {
    return this.failure !== undefined;
  }

  get commitStarted(): boolean {
    return this.commitBegan;
  }

  /**
   * Every repo whose commit started (recovery: every prepared repo) back to its safety state,
   * capture first; other processes' writes are kept (compensation.ts). A repo that cannot be put
   * back is reported in the failure; the others are still put back.
   */
  async compensate(reason: string): Promise<void> {
    await this.record({ t: 'compensating', at: new Date().toISOString(), reason });
    const comp = this.phase('compensate');
    const repos = (this.info.recovery ? this.repos : this.repos.filter((r) => this.touched.has(r.path))).filter((r) => !r.abandoned);
    const failures: EngineError[] = [];
    await mapLimit(repos, this.parallelism, (r) => this.timed(r.path, 'compensate', () => this.compensateOne(r, comp, failures)).catch(() => undefined));
    RollbackTransaction.end(comp);
    if (failures.length) {
      const first = failures[0];
      throw new EngineError(
        first.code,
        `could not put ${failures.length} repo(s) back to the safety snapshot ${this.safetyId}: ${first.oneLine()}; run \`codecontext recover\` once ` +
          `that is fixed`,
        first.repo,
        first.path,
      );
    }
  }

  /** One repo back to its safety state; a failure is added to `failures` (the other repos still go back). */
  private async compensateOne(r: TxRepo, comp: PhaseRecord, failures: EngineError[]): Promise<void> {
    try {
      if (this.unlockedAtRecovery.has(r.path)) {
        // Every repo a transaction changed keeps its lock until it is back (or the transaction
        // ended). One without it was released after compensation, so it must need nothing; if
        // it does, the journal is not telling the truth, and the repo is left alone.
        const now = await captureRepoState(r.path);
        const { ops } = await compensationOps({ path: r.path, safety: r.before, goal: r.goal }, now);
        if (ops.length || now.index !== r.before.index || now.head !== r.before.head || now.ref !== r.before.ref) {
          throw new EngineError(
            'StoreCorrupt',
            `does not hold this rollback's lock, yet is not at its safety state: the journal does not describe what happened here, so nothing was ` +
              `changed (give it up with \`codecontext recover --abandon ${r.path}\`)`,
            r.path,
          );
        }
        this.compensations.set(r.path, { repo: r.path, kept: [], headMoved: false, after: now });
        this.after.set(r.path, now);
        return;
      }
      const pinRef = `refs/codecontext/captures/${this.id}/${Date.now().toString(36)}${randomHex(2)}`;
      const outcome = await compensateRepo({ path: r.path, safety: r.before, goal: r.goal }, pinRef, () => comp.retries++);
      this.compensations.set(r.path, outcome);
      this.after.set(r.path, outcome.after);
      if (outcome.pinned)
        await this.record({
          t: 'captured',
          at: new Date().toISOString(),
          snapshot: outcome.pinned.ref,
          repos: [{ path: r.path, state: outcome.pinned.state }],
        });
      await this.record({ t: 'compensated', at: new Date().toISOString(), repo: r.path, ...(outcome.kept.length ? { kept: outcome.kept } : {}) });
    } catch (e) {
      failures.push(asEngineError(e, r.path));
      this.keepLocked.add(r.path);
      throw e; // the span is marked failed
    }
  }

  /** Releases every lock and staged file; safe to call more than once. */
  async release(options: { keepLocks?: boolean } = {}): Promise<void> {
    this.checkGuard?.close();
    this.checkGuard = undefined;
    await Promise.all([...this.prepared.values()].map((p) => p.capture.release()));
    this.prepared.clear();
    const locks = options.keepLocks ? [] : [...this.locks].filter(([repo]) => !this.keepLocked.has(repo));
    await Promise.all(locks.map(([, lock]) => lock.release()));
    this.locks.clear();
  }

  /**
   * Recovery: takes over the locks a killed process left (or takes them anew), and empties its
   * stage. `handedOver`: the process that held them gave the transaction up, and lives on.
   */
  async adoptLocks(handedOver = false): Promise<void> {
    for (const r of this.repos.filter((x) => !x.abandoned)) {
      const layout = await repoLayout(r.path);
      if ((await readOwner(layout))?.rb !== this.id) this.unlockedAtRecovery.add(r.path);
      this.locks.set(r.path, await adoptRepoLock(layout, this.id, handedOver));
      removeDeadLeftovers(layout.gitDir);
      emptyStage(layout); // the lock is ours now, and so is the stage folder: files a killed prepare checked out go
    }
  }

  /** Journals that a repo is given up, by `recover --abandon`; recovery leaves it alone from now on. */
  async abandon(repo: string, reason: string): Promise<void> {
    const r = this.repos.find((x) => x.path === repo);
    if (!r || r.abandoned) return;
    await this.journal.append({ t: 'abandoned', at: new Date().toISOString(), repo, reason });
    r.abandoned = reason;
  }

  /** Compensation failed for some repo: `finish` writes the record but leaves the journal open for recover. */
  stuck(e: EngineError): void {
    this.stuckError = e;
  }

  /** Closes the journal without an end: the transaction is left for `recover`. */
  async closeJournal(): Promise<void> {
    await this.journal.close().catch(() => undefined);
  }

  /** Files another process changed that compensation kept, by repo. */
  keptFiles(): { repo: string; paths: string[] }[] {
    return [...this.compensations.values()].filter((c) => c.kept.length).map((c) => ({ repo: c.repo, paths: c.kept }));
  }

  /**
   * Writes the record and the evidence pack, then the journal's `end`. The end comes last: when
   * the store cannot take the record (a full disk), the journal stays open and `recover` finishes
   * the job later, so a rollback never ends without a record that `undo` can find.
   * Throws RollbackFailed when the transaction failed, RecoveryNeeded when it could not be recorded.
   */
  async finish(outcome: { recovered?: string; complete?: boolean } = {}): Promise<RollbackRecord> {
    const failure = this.failure;
    const committedOk = !failure && (this.verified || outcome.complete === true);
    const endedAt = new Date().toISOString();
    const evidenceRepos: EvidenceRepo[] = this.repos.map((r) => {
      const c = this.compensations.get(r.path);
      return {
        path: r.path,
        wave: r.wave,
        before: r.before,
        target: r.goal,
        after: this.after.get(r.path) ?? (committedOk ? r.goal : failure || outcome.recovered ? r.before : null),
        committed: committedOk,
        compensated: c !== undefined,
        ...(r.abandoned ? { abandoned: r.abandoned } : {}),
        ...(c?.kept.length ? { kept: c.kept } : {}),
        ...(c?.pinned ? { pinnedBeforeCompensation: c.pinned.ref } : {}),
        files: r.files.map(({ patch: _patch, ...f }) => f),
        ...(this.spans.get(r.path)?.length ? { timings: this.spans.get(r.path) } : {}),
      };
    });
    const patchText = inversePatchText(this.repos);
    const error = failure?.toJSON() ?? (outcome.recovered ? { code: 'Recovered', message: outcome.recovered } : undefined);
    const recordOutcome: RollbackRecord['outcome'] = committedOk ? 'committed' : outcome.recovered ? 'recovered' : 'aborted';
    let record: RollbackRecord | undefined;
    let unrecorded: EngineError | undefined;
    try {
      const { file: evidence, unsigned } = await writeEvidence(
        this.ctx.store,
        {
          format: 1,
          id: this.id,
          kind: this.info.kind,
          undoOf: this.info.undoOf,
          who: { user: whoami(), ...(await gitIdentity(this.repos[0]?.path)) },
          host: os.hostname(),
          toolVersion,
          command: this.info.argv,
          cwd: process.cwd(),
          startedAt: this.info.startedAt,
          endedAt,
          target: this.info.target,
          mode: this.info.mode,
          planHash: this.info.planHash,
          safetySnapshot: this.safetyId,
          outcome: committedOk ? 'committed' : 'aborted',
          error,
          phases: this.phases,
          repos: evidenceRepos,
          ...(this.checks.length ? { checks: this.checks } : {}),
          // entries after `prepared` that could not be written (the work went on; recovery redoes it)
          ...(this.journalProblems.length ? { journalProblems: this.journalProblems } : {}),
        },
        patchText,
      );
      // the proof travels with each repo (evidence/copies.ts); a repo that cannot take it keeps the store's
      await keepWithRepos(
        evidence,
        this.id,
        this.repos.filter((r) => !r.abandoned).map((r) => r.path),
      ).catch(() => undefined);
      record = {
        format: 1,
        id: this.id,
        kind: this.info.kind,
        undoOf: this.info.undoOf,
        startedAt: this.info.startedAt,
        endedAt,
        durationMs: Date.parse(endedAt) - Date.parse(this.info.startedAt),
        outcome: recordOutcome,
        error,
        target: this.info.target,
        mode: this.info.mode,
        planHash: this.info.planHash,
        safetySnapshot: this.safetyId,
        repos: evidenceRepos.map((r) => ({ path: r.path, wave: r.wave, files: r.files.length, before: r.before, after: r.after })),
        phases: this.phases,
        evidence,
        ...(unsigned ? { evidenceUnsigned: unsigned } : {}),
      };
      await writeRollbackRecord(this.ctx.store, record);
      const detail = failure?.oneLine() ?? outcome.recovered;
      if (this.stuckError) await this.record({ t: 'handedOver', at: endedAt, reason: this.stuckError.oneLine() });
      else
        await this.journal.append({
          t: 'end',
          at: endedAt,
          outcome: committedOk ? 'committed' : outcome.recovered ? 'recovered' : 'aborted',
          ...(detail ? { detail } : {}),
        });
    } catch (e) {
      unrecorded = asEngineError(e);
    } finally {
      await this.journal.close().catch(() => undefined);
    }
    if (unrecorded) {
      const state = committedOk
        ? 'every repo was rolled back and verified'
        : this.commitBegan
          ? `the rollback failed (${failure?.oneLine() ?? 'interrupted'}) and the changed repos were put back`
          : `the rollback was refused (${failure?.oneLine()}) and nothing was changed`;
      throw new EngineError(
        'RecoveryNeeded',
        `${state}, but ${this.id} could not be recorded in the store: ${unrecorded.message}. Run \`codecontext recover\` once the store can be ` +
          `written: it finishes the record, so undo can find it`,
        undefined,
        unrecorded.path,
      );
    }
    if (committedOk && this.info.target.campaign && this.info.full && this.info.kind !== 'undo') {
      await markCampaignRolledBack(this.ctx.store, this.info.target.campaign, this.id, this.info.target.checkpoint ?? 0);
    }
    if (failure && this.stuckError) {
      throw new RollbackFailed(failure, `${failure.message} — and then ${this.stuckError.message} (rollback ${this.id}, evidence ${record!.evidence})`, record);
    }
    if (failure) {
      const kept = this.keptFiles()
        .map((k) => ` kept as another process left them: ${k.repo}: ${k.paths.join(', ')};`)
        .join('');
      const where = this.commitBegan ? ` — every changed repo was returned to the safety snapshot ${this.safetyId};${kept}` : ' — nothing was changed';
      throw new RollbackFailed(failure, `${failure.message}${where} (rollback ${this.id}, evidence ${record!.evidence})`, record);
    }
    return record!;
  }
}

/**
 * Runs a plan as one transaction: prepare, commit, verify; a failure after commit began puts every
 * repo it touched back to its safety snapshot. Each step is in the journal before it is relied on,
 * and an evidence pack is written whatever the outcome.
 */
export async function executeRollback(ctx: EngineContext, plan: RollbackPlan, options: ExecuteOptions = {}): Promise<RollbackRecord> {
  const tx = await RollbackTransaction.begin(ctx, plan, options);
  try {
    tx.checkPlan(plan, options);
    await tx.prepare(options.cancel);
    crashPoint('crash-after-prepare');
    if (options.cancel?.cancelled) throw new EngineError('Cancelled', 'cancelled before the commit phase; nothing was changed');
    await tx.commit();
    crashPoint('crash-before-verify');
    await tx.verify();
  } catch (e) {
    tx.fail(e);
    if (tx.commitStarted) {
      try {
        await tx.compensate(asEngineError(e).oneLine());
      } catch (c) {
        // some repo could not be put back: recorded, the journal stays open for recover, and the error says so
        tx.stuck(asEngineError(c));
      }
    }
  } finally {
    await tx.release();
  }
  return tx.finish();
}
