import * as fs from 'fs';
import { EngineContext } from '../../store/engineContext';
import { randomHex } from '../../util/canonical';
import { EngineError, asEngineError } from '../../util/errors';
import { crashPoint, pausePoint } from '../../util/faults';
import { mapLimit, runInOrder } from '../../util/pool';
import { CancelToken, phaseCounter } from '../../util/progress';
import { saveSnapshot } from '../../snapshot/snapshot';
import { RollbackRecord } from '../records';
import { RollbackPlan, planHash } from '../plan/plan';
import { KeptCapture, keepAfterRollback, takeCapture } from '../plan/keptCaptures';
import { driftLabel } from '../plan/changes';
import { checkWords } from './checks';
import { CampaignMark, JournalEntry, PushBegin, openJournal, pushKey } from './journal';
import { FinishDetail, recoveryNeeded } from './finish';
import { TxCore } from './core';
import { RepoStep, TxStep } from './step';
import { RemoteStep } from './remoteStep';
import { plural } from '../../util/words';

export interface ExecuteOptions {
  /** Run even when files drifted since the campaign (restore mode). The safety snapshot keeps them. */
  force?: boolean;
  /** Honoured until the commit phase begins; after that the transaction finishes or compensates. */
  cancel?: CancelToken;
  /** The command line, for the evidence pack. */
  argv?: string[];
  kind?: 'rollback' | 'undo';
  undoOf?: string;
  /** The campaign status to set once this commits; default: a whole-campaign rollback marks its campaign rolled back. */
  campaign?: CampaignMark;
  /** The rolling check each repo runs right after it commits, as plan/repoChecks.ts decided; a repo not named runs none. */
  checks?: Readonly<Record<string, string>>;
  /** How long a check may run; default 120 s. */
  checkTimeoutMs?: number;
  /**
   * Keep the verify's captures of a committed run in this process for an undo of it (keptCaptures.ts
   * `keepAfterRollback`): the server, whose user may undo from the same window. The CLI exits instead.
   */
  keepVerifiedCaptures?: boolean;
}

/** The most diff text (characters, over all repos) a committed run keeps beside its verify captures for its undo. */
const undoesMaxChars = 32 * 1024 * 1024;

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

/**
 * The refusals of a plan, decided before anything is journaled or locked, so a refusal leaves
 * nothing behind (no journal, no record, no pack): conflicts, drift without force, a plan edited
 * after it was made, a check that only a shell could run.
 */
export function refusePlan(plan: RollbackPlan, options: ExecuteOptions): void {
  if (plan.totals.conflicts > 0) {
    const c = plan.repos.find((r) => r.conflicts.length)!;
    throw new EngineError('Conflict', `${plural(plan.totals.conflicts, 'conflict')}; first: ${c.conflicts[0].reason}`, c.path, c.conflicts[0].path);
  }
  if (plan.mode === 'restore' && plan.totals.drift > 0 && !options.force) {
    const d = plan.repos.find((r) => r.drift.length)!;
    throw new EngineError(
      'Drift',
      `${plural(plan.totals.drift, 'file')} changed since the campaign's last checkpoint (use --force to roll back anyway; the safety snapshot keeps them): ` +
        `${d.drift.slice(0, 5).map(driftLabel).join(', ')}`,
      d.path,
      d.drift.flatMap((x) => (x.kind === 'file' ? [x.path] : []))[0],
    );
  }
  const forced = plan.repos.flatMap((r) => (r.pushes ?? []).flatMap((p) => p.problems.filter((x) => x.forceable).map((x) => ({ repo: r.path, x }))));
  if (forced.length && !options.force) throw new EngineError('Conflict', forced[0].x.reason, forced[0].repo);
  if (planHash(plan.mode, plan.target.snapshot, plan.repos) !== plan.hash) {
    throw new EngineError('PlanStale', 'the plan was modified after it was made');
  }
  // a repo's check that only a shell could run is refused now, not after that repo commits
  for (const [repo, command] of Object.entries(options.checks ?? {})) {
    try {
      checkWords(command);
    } catch (e) {
      throw new EngineError('Usage', `its check: ${asEngineError(e).message}`, repo);
    }
  }
}

/** A transaction whose `begin` is durable; nothing is locked yet. */
export class BegunTransaction {
  private constructor(readonly core: TxCore) {}

  get id(): string {
    return this.core.id;
  }

  /** Opens the journal of a new transaction for `plan` and writes its `begin`. */
  static async begin(ctx: EngineContext, plan: RollbackPlan, options: ExecuteOptions): Promise<BegunTransaction> {
    const id = `rb_${randomHex(6)}`;
    const journal = await openJournal(ctx.store, id).catch((e: unknown) => {
      const err = asEngineError(e);
      throw new EngineError(err.code, `the store cannot be written (${err.message}); nothing was changed`, undefined, err.path, { cause: e });
    });
    const kind = options.kind ?? 'rollback';
    // one step undone alone leaves the campaign as it was: its status is not the rollback's
    const full = !plan.request.repos?.length && !plan.request.paths?.length && plan.request.onlyStep === undefined;
    const campaign =
      options.campaign ??
      (kind === 'rollback' && full && plan.target.campaign
        ? { id: plan.target.campaign, checkpoint: plan.target.checkpoint ?? 0, rolledBackBy: id }
        : undefined);
    const pushes: PushBegin[] = plan.repos.flatMap((r) =>
      (r.pushes ?? [])
        .filter((p) => p.updates.length)
        .map((p) => ({ key: pushKey(r.path, p.remote), repo: r.path, remote: p.remote, url: p.url, wave: r.wave, updates: p.updates })),
    );
    const begin: JournalEntry = {
      t: 'begin',
      rb: id,
      at: new Date().toISOString(),
      pid: process.pid,
      planHash: plan.hash,
      kind,
      ...(options.undoOf ? { undoOf: options.undoOf } : {}),
      argv: options.argv ?? [],
      target: plan.target,
      mode: plan.mode,
      ...(campaign ? { campaign } : {}),
      repos: plan.repos.map((r) => ({
        path: r.path,
        wave: r.wave,
        goal: r.goal,
        before: r.current,
        files: r.files.length,
        ...(r.remotes ? { remotes: r.remotes } : {}),
      })),
      ...(pushes.length ? { pushes } : {}),

      ...(plan.leftOut?.length ? { leftOut: plan.leftOut } : {}),
    };
    try {
      await journal.append(begin);
    } catch (e) {
      // nothing was locked or changed: no journal is left for recovery to find
      await journal.close();
      await fs.promises.rm(journal.file, { force: true });
      throw asEngineError(e);
    }
    // the remotes first, in the repos' dependency order; then the local repos, once every push is in
    const keysOf = new Map(plan.repos.map((r) => [r.path, pushes.filter((p) => p.repo === r.path).map((p) => p.key)]));
    const remoteSteps = pushes.map(
      (p) =>
        new RemoteStep(
          p.key,
          p.repo,
          p.remote,
          p.updates,
          plan.repos.find((r) => r.path === p.repo)!.after.flatMap((a) => keysOf.get(a) ?? []),
          { rb: id, campaign: plan.target.campaign },
        ),
    );
    const allPushes = remoteSteps.map((s) => s.key);
    const steps: TxStep[] = [
      ...remoteSteps,
      ...plan.repos.map((r) => new RepoStep(id, r.path, r.current, r.goal, [...r.after, ...allPushes], r.files, takeCapture(plan, r.path))),
    ];
    return new BegunTransaction(new TxCore(ctx, id, journal, steps, [begin], options));
  }

  /**
   * Locks and captures every repo, checks it is still what the plan started from, stages every
   * file to write and pins the safety snapshot. Nothing in a repo has changed when this throws.
   * Ends with `prepared` durable in the journal: a failure to write it is a failure of prepare.
   */
  async prepare(cancel?: CancelToken): Promise<PreparedTransaction> {
    const core = this.core;
    const prep = core.phase('prepare');
    const preparedCount = phaseCounter(core.ctx.progress, 'prepare', core.steps.length);
    await mapLimit(core.steps, core.parallelism, async (s) => {
      if (cancel?.cancelled) throw new EngineError('Cancelled', 'cancelled before the commit phase; nothing was changed');
      await core.timed(s.key, 'prepare', () => s.prepare().finally(() => (prep.retries += s.prepareRetries)));
      preparedCount(s.key);
    });
    const kept = core.steps.flatMap((s) => (s.safety ? [s.safety] : []));
    const safety = await saveSnapshot(
      core.ctx.store,
      kept.map((k) => ({ path: k.path, ...k.state })),
      { message: `safety snapshot before ${core.id}`, parallelism: core.parallelism },
    );
    const pushes = core.steps.flatMap((s) => (s instanceof RemoteStep ? [{ key: s.key, updates: s.updates ?? [] }] : []));
    await core.append({ t: 'prepared', at: new Date().toISOString(), safety: safety.id, repos: kept, ...(pushes.length ? { pushes } : {}) });
    TxCore.endPhase(prep);
    return new PreparedTransaction(core);
  }
}

/** Every step prepared and the safety snapshot pinned: it can be committed, or compensated if its commit fails. */
export class PreparedTransaction {
  constructor(readonly core: TxCore) {}

  /** Commits each step once the steps it must follow have committed; files are checked just before they are replaced. */
  async commit(): Promise<CommittedTransaction> {
    const core = this.core;
    const com = core.phase('commit');
    const committing = phaseCounter(core.ctx.progress, 'commit', core.steps.length);
    // Recovery compensates every step the journal does not say is back, whatever it says was
    // committed, so these entries are not awaited one by one: a long dependency chain is a wave
    // per repo, and a sync per wave was most of the commit time.
    const logged: Promise<void>[] = [];
    let nth = 0;
    let pushedN = 0;
    await runInOrder(
      core.steps,
      (s) => s.key,
      (s) => s.after,
      core.parallelism,
      async (s) => {
        // a push that may have started is read back from the remote by recovery: said before it starts
        if (s instanceof RemoteStep && s.changes) await core.record({ t: 'pushing', at: new Date().toISOString(), key: s.key });
        if (s.changes) await core.timed(s.key, 'commit', () => s.commit(() => com.retries++));
        if (s instanceof RemoteStep) {
          s.phase = 'committed';
          logged.push(core.record({ t: 'pushed', at: new Date().toISOString(), key: s.key, ...(s.output ? { output: s.output } : {}) }));
          committing(s.key);
          crashPoint('crash-after-push', ++pushedN);
          if (pushedN === 1) await pausePoint('pause-after-push');
          return;
        }
        // the steps that must follow this one start only once its check has passed
        if (s.changes) await core.runCheck(s.key);
        s.phase = 'committed';
        const entry = core.record({ t: 'committed', at: new Date().toISOString(), repo: s.key });
        logged.push(entry);
        committing(s.key);
        crashPoint('crash-after-commit', ++nth);
      },
    );
    await Promise.all(logged);
    TxCore.endPhase(com);
    return new CommittedTransaction(core);
  }

  /** After a failed commit: every step whose commit began goes back to its safety state. */
  compensate(reason: string): Promise<void> {
    return this.core.compensate(
      reason,
      this.core.steps.filter((s) => s.phase === 'committing' || s.phase === 'committed'),
    );
  }
}

/** Every step committed: verified, or compensated. */
export class CommittedTransaction {
  constructor(readonly core: TxCore) {}

  /** Every repo recomputed and compared with its goal; `verified` journaled. */
  async verify(): Promise<void> {
    const core = this.core;
    const ver = core.phase('verify');
    const verified = phaseCounter(core.ctx.progress, 'verify', core.steps.length);
    await mapLimit(core.steps, core.parallelism, async (s) => {
      const found = await core.timed(s.key, 'verify', () => s.verify());
      if (found) core.after.set(s.key, found);
      verified(s.key);
    });
    await core.append({ t: 'verified', at: new Date().toISOString() });
    TxCore.endPhase(ver);
  }
}

/**
 * Runs a plan as one transaction: refusals first (nothing journaled), then prepare, commit,
 * verify; a failure after commit began puts every repo it touched back to its safety snapshot.
 * Each step is in the journal before it is relied on, and an evidence pack is written whatever
 * the outcome.
 */
export async function executeRollback(ctx: EngineContext, plan: RollbackPlan, options: ExecuteOptions = {}): Promise<RollbackRecord> {
  try {
    refusePlan(plan, options);
  } catch (e) {
    const err = asEngineError(e);
    throw new EngineError(err.code, `${err.message} — nothing was changed`, err.repo, err.path, { cause: e });
  }
  const begun = await BegunTransaction.begin(ctx, plan, options);
  const core = begun.core;
  let prepared: PreparedTransaction | undefined;
  try {
    prepared = await begun.prepare(options.cancel);
    crashPoint('crash-after-prepare');
    await pausePoint('pause-after-prepare');
    if (options.cancel?.cancelled) throw new EngineError('Cancelled', 'cancelled before the commit phase; nothing was changed');
    const committed = await prepared.commit();
    crashPoint('crash-before-verify');
    await committed.verify();
  } catch (e) {
    core.fail(e);
    if (prepared && core.commitStarted) {
      try {
        await prepared.compensate(asEngineError(e).oneLine());
      } catch (c) {
        // some repo could not be put back: recorded, the journal left for recover, and the error says so
        core.stuck = asEngineError(c);
      }
    }
  }
  await core.decide(core.failure ? 'aborted' : 'committed', core.failure);
  const keepVerified = !core.failure && !!options.keepVerifiedCaptures;
  await core.release({ keepVerified });
  const verified = new Map<string, KeptCapture>();
  const steps = core.steps.flatMap((s) => (keepVerified && s instanceof RepoStep ? [s] : []));
  // with the files each changed, whose diffs its undo turns around rather than diffing again; not
  // where they are many megabytes of text, which the server would hold until the undo
  const undoes = steps.reduce((n, s) => s.files.reduce((m, f) => m + f.patch.length, n), 0) <= undoesMaxChars;
  for (const s of steps) {
    const v = s.takeVerified();
    if (v) verified.set(s.key, undoes ? { ...v, undoes: s.files } : v);
  }
  const detail: FinishDetail = { files: new Map(plan.repos.map((r) => [r.path, r.files])), spans: core.spans };
  let record: RollbackRecord;
  try {
    record = await core.finish(detail);
  } catch (e) {
    await Promise.all([...verified.values()].map((v) => v.capture.release()));
    const failure = core.failure;
    const state = !failure
      ? 'every repo was rolled back and verified'
      : core.commitStarted
        ? `the rollback failed (${failure.oneLine()}) and the changed repos were put back`
        : `the rollback failed (${failure.oneLine()}) and nothing was changed`;
    throw recoveryNeeded(core.id, state, e);
  }
  // whether each can vouch for the repo is worked out by the undo that wants it, not here (keptCaptures.ts)
  if (verified.size) await keepAfterRollback(core.id, verified).catch(() => undefined);
  const failure = core.failure;
  if (failure && core.stuck) {
    throw new RollbackFailed(failure, `${failure.message} — and then ${core.stuck.message} (rollback ${core.id}, evidence ${record.evidence})`, record);
  }
  if (failure) {
    const kept = core.state.repos
      .filter((r) => r.kept?.length)
      .map((r) => ` kept as another process left them: ${r.path}: ${r.kept!.join(', ')};`)
      .join('');
    // a remote step compensated may have had nothing to put back (its push refused): not counted, only said
    const what = `every changed repo was returned to the safety snapshot ${core.state.safety}${
      core.state.remotes.some((r) => r.phase === 'compensated') ? ', and every remote it pushed to put back' : ''
    }`;
    const where = core.commitStarted ? ` — ${what}${kept ? `;${kept.replace(/;$/, '')}` : ''}` : ' — nothing was changed';
    throw new RollbackFailed(failure, `${failure.message}${where} (rollback ${core.id}, evidence ${record.evidence})`, record);
  }
  return record;
}
