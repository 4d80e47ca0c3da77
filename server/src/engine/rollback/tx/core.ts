import { EngineContext } from '../../store/engineContext';
import { EngineError, asEngineError } from '../../util/errors';
import { defaultParallelism, mapLimit } from '../../util/pool';
import { RepoState } from '../../repo/repoState';
import { OrphanGuard } from '../../util/orphanGuard';
import { CheckResult, Outcome, PhaseRecord, RollbackRecord } from '../records';
import { RepoSpan } from '../evidence/pack';
import { defaultCheckTimeoutMs, runCheck } from './checks';
import { Journal, JournalEntry } from './journal';
import { TxState, applyEntry, journalState } from './journalState';
import { FinishDetail, finishEffects } from './finish';
import { TxStep } from './step';
import { plural } from '../../util/words';

/**
 * What every phase of a transaction shares: its journal and the state folded from it
 * (journalState.ts), its steps, and the record of its phases. The phases themselves are the
 * classes of transaction.ts, each reachable only from the one before it; recovery (recover.ts)
 * builds a core from a journal and drives the same compensate, decide and finish.
 */
export class TxCore {
  state: TxState;
  readonly phases: PhaseRecord[] = [];
  readonly spans = new Map<string, RepoSpan[]>();
  readonly checks: CheckResult[] = [];
  readonly after = new Map<string, RepoState>();
  /** Entries after `prepared` that could not be written; the work went on (recovery is idempotent). */
  readonly journalProblems: string[] = [];
  failure?: EngineError;
  /** Compensation could not put some repo back: recover takes over. */
  stuck?: EngineError;
  private checkGuard?: OrphanGuard;

  constructor(
    readonly ctx: EngineContext,
    readonly id: string,
    readonly journal: Journal,
    readonly steps: TxStep[],
    entries: readonly JournalEntry[],
    readonly options: {
      /** The rolling check each repo runs right after it commits; a repo not named runs none. */
      checks?: Readonly<Record<string, string>>;
      checkTimeoutMs?: number;
    } = {},
  ) {
    this.state = journalState(entries);
  }

  get parallelism(): number {
    return this.ctx.parallelism ?? defaultParallelism;
  }

  get commitStarted(): boolean {
    return this.steps.some((s) => s.phase === 'committing' || s.phase === 'committed' || s.phase === 'stuck' || s.phase === 'compensated');
  }

  /** Appends an entry and folds it into the state; throws when it cannot be made durable. */
  async append(entry: JournalEntry): Promise<void> {
    await this.journal.append(entry);
    this.state = applyEntry(this.state, entry);
  }

  /** After `prepared`: a failure is noted, not thrown, since recovery can redo what follows. The state folds it all the same. */
  async record(entry: JournalEntry): Promise<void> {
    try {
      await this.journal.append(entry);
    } catch (e) {
      this.journalProblems.push(`${entry.t}: ${asEngineError(e).message}`);
    }
    this.state = applyEntry(this.state, entry);
  }

  phase(name: PhaseRecord['name']): PhaseRecord {
    const p: PhaseRecord = { name, startedAt: new Date().toISOString(), retries: 0 };
    this.phases.push(p);
    return p;
  }

  static endPhase(p: PhaseRecord): void {
    p.endedAt = new Date().toISOString();
    p.ms = Date.parse(p.endedAt) - Date.parse(p.startedAt);
  }

  /** Runs one repo's part of a phase and notes when it ran and whether it failed. */
  async timed<T>(repo: string, name: RepoSpan['name'], work: () => Promise<T>): Promise<T> {
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

  /** The repo's rolling check, if it has one; a failure or a timeout stops the rollback (CheckFailed). */
  async runCheck(repo: string): Promise<void> {
    const command = this.options.checks?.[repo];
    if (!command) return;
    const timeout = this.options.checkTimeoutMs ?? defaultCheckTimeoutMs;
    this.checkGuard ??= new OrphanGuard();
    const guard = this.checkGuard;
    const result = await this.timed(repo, 'check', () => runCheck(repo, command, timeout, guard));
    this.checks.push(result);
    if (result.exitCode === 0) return;
    const last = result.outputTail.trim().split('\n').slice(-1)[0];
    const how = result.timedOut ? `did not finish within ${Math.round(timeout / 1000)} s` : `failed (exit ${result.exitCode})`;
    throw new EngineError('CheckFailed', `the check \`${command}\` ${how}${last ? `: ${last}` : ''}`, repo);
  }

  /** Notes why the transaction failed (the first reason wins) and closes any open phase. */
  fail(e: unknown): void {
    this.failure ??= asEngineError(e);
    for (const p of this.phases) if (!p.endedAt) TxCore.endPhase(p);
  }

  /**
   * Every step in `steps` back to where it was, capture first; other processes' writes are kept
   * (compensation.ts). A step that cannot be put back is reported; the others still go back.
   */
  async compensate(reason: string, steps: readonly TxStep[]): Promise<void> {
    await this.record({ t: 'compensating', at: new Date().toISOString(), reason });
    const comp = this.phase('compensate');
    const failures: EngineError[] = [];
    await mapLimit(steps, this.parallelism, (s) =>
      this.timed(s.key, 'compensate', async () => {
        try {
          const o = await s.compensate(() => comp.retries++);
          if (o.after) this.after.set(o.repo, o.after);
          const at = new Date().toISOString();
          if (o.pinned) await this.record({ t: 'captured', at, snapshot: o.pinned.ref, repos: [{ path: o.repo, state: o.pinned.state }] });
          await this.record({ t: 'compensated', at, repo: o.repo, ...(o.kept.length ? { kept: o.kept } : {}) });
        } catch (e) {
          failures.push(asEngineError(e, s.key));
          throw e; // the span is marked failed
        }
      }).catch(() => undefined),
    );
    TxCore.endPhase(comp);
    if (failures.length) {
      const first = failures[0];
      throw new EngineError(
        first.code,
        `could not put ${plural(failures.length, 'repo')} back to the safety snapshot ${this.state.safety}: ${first.oneLine()}; ` +
          'run `codecontext recover` once that is fixed',
        first.repo,
        first.path,
      );
    }
  }

  /** Journals the outcome: from here on only the store's bookkeeping is left (finish.ts). */
  async decide(outcome: Outcome, error?: EngineError | { code: string; message: string }): Promise<void> {
    await this.record({
      t: 'outcome',
      at: new Date().toISOString(),
      outcome,
      ...(error ? { error: error instanceof EngineError ? error.toJSON() : error } : {}),
      phases: this.phases,
      ...(this.checks.length ? { checks: this.checks } : {}),
      after: [...this.after].map(([p, state]) => ({ path: p, state })),
      ...(this.journalProblems.length ? { journalProblems: this.journalProblems } : {}),
    });
  }

  /** Releases every lock and staged file; a stuck step keeps its lock for recover. */
  async release(options: { keepLocks?: boolean; keepVerified?: boolean } = {}): Promise<void> {
    this.checkGuard?.close();
    this.checkGuard = undefined;
    await Promise.all(this.steps.map((s) => s.release({ keepLock: options.keepLocks, keepVerified: options.keepVerified })));
  }

  /** The decided outcome's effects and the journal's end; the journal is closed whatever happens. */
  async finish(detail?: FinishDetail): Promise<RollbackRecord> {
    try {
      const { record } = await finishEffects(this.ctx.store, this.journal, this.state, { detail, handOver: this.stuck?.oneLine() });
      return record;
    } finally {
      await this.journal.close().catch(() => undefined);
    }
  }
}
