import * as os from 'os';
import { markCampaignRolledBack } from '../campaign/campaign';
import { EngineContext } from '../store/engineContext';
import { randomHex } from '../util/canonical';
import { EngineError } from '../util/errors';
import { EvidenceRepo, PhaseRecord, gitIdentity, whoami, writeEvidence } from './evidence';
import { crashPoint } from '../util/faults';
import { Journal } from './journal';
import { RollbackPlan, planHash } from './plan';
import { defaultParallelism, mapLimit, runInOrder } from '../util/pool';
import { CancelToken, phaseCounter } from '../util/progress';
import { RepoLock, acquireRepoLock } from '../repo/repoLock';
import { repoLayout } from '../git/repoLayout';
import { RepoState, captureRepoState, captureWithIndex } from '../repo/repoState';
import { PreparedRestore, commitRestore, describeDifference, prepareRestore, sameState } from './restore';
import { RollbackRecord, writeRollbackRecord } from './rollbackRecords';
import { saveSnapshot } from '../snapshot/snapshot';
import { toolVersion } from '../util/version';

export interface ExecuteOptions {
  /** Run even when files drifted since the campaign (restore mode). The safety snapshot keeps them. */
  force?: boolean;
  /** Honoured until the commit phase begins; after that the transaction finishes or compensates. */
  cancel?: CancelToken;
  /** The command line, for the evidence pack. */
  argv?: string[];
  kind?: 'rollback' | 'undo';
  undoOf?: string;
}

/**
 * Runs a plan as one transaction `rb_<id>`: prepare (lock every repo, capture and pin a safety
 * snapshot, check the repos are still what the plan started from, read every needed object),
 * commit (in dependency order), verify (every repo recomputed and compared with its goal). A failure
 * after commit began puts every repo it touched back to its safety snapshot. Each step is in the
 * journal before it is relied on, and an evidence pack is written whatever the outcome.
 */
export async function executeRollback(ctx: EngineContext, plan: RollbackPlan, options: ExecuteOptions = {}): Promise<RollbackRecord> {
  const id = `rb_${randomHex(6)}`;
  const startedAt = new Date().toISOString();
  const parallelism = ctx.parallelism ?? defaultParallelism;
  const journal = await Journal.create(ctx.store, id);
  // two git processes the evidence needs at the end; asked now, they overlap the work
  const identity = gitIdentity(plan.repos[0]?.path);
  await journal.append({
    t: 'begin',
    rb: id,
    at: startedAt,
    pid: process.pid,
    planHash: plan.hash,
    kind: options.kind ?? 'rollback',
    target: plan.target,
    mode: plan.mode,
    repos: plan.repos.map((r) => ({ path: r.path, wave: r.wave, goal: r.goal })),
  });
  const phases: PhaseRecord[] = [];
  const phase = (name: PhaseRecord['name']) => {
    const p: PhaseRecord = { name, startedAt: new Date().toISOString(), retries: 0 };
    phases.push(p);
    return p;
  };
  const end = (p: PhaseRecord) => {
    p.endedAt = new Date().toISOString();
    p.ms = Date.parse(p.endedAt) - Date.parse(p.startedAt);
  };
  const locks = new Map<string, RepoLock>();
  const prepared = new Map<string, PreparedRestore>();
  const touched = new Set<string>();
  const committed = new Set<string>();
  const compensated = new Set<string>();
  const after = new Map<string, RepoState>();
  let safetyId: string | undefined;
  let commitBegan = false;
  let failure: EngineError | undefined;

  try {
    if (plan.totals.conflicts > 0) {
      const c = plan.repos.find((r) => r.conflicts.length)!;
      throw new EngineError('Conflict', `${plan.totals.conflicts} conflicts; first: ${c.conflicts[0].reason}`, c.path, c.conflicts[0].path);
    }
    if (plan.mode === 'restore' && plan.totals.drift > 0 && !options.force) {
      const d = plan.repos.find((r) => r.drift.length)!;
      throw new EngineError('Drift', `${plan.totals.drift} files changed since the campaign's last checkpoint (use --force to roll back anyway; the safety snapshot keeps them): ${d.drift.slice(0, 5).join(', ')}`, d.path, d.drift[0]);
    }
    if (planHash(plan.mode, plan.target.snapshot, plan.repos) !== plan.hash) {
      throw new EngineError('PlanStale', 'the plan was modified after it was made');
    }

    // prepare
    const prep = phase('prepare');
    const preparedCount = phaseCounter(ctx.progress, 'prepare', plan.repos.length);
    await mapLimit(plan.repos, parallelism, async (r) => {
      if (options.cancel?.cancelled) throw new EngineError('Cancelled', 'cancelled before the commit phase; nothing was changed');
      const layout = await repoLayout(r.path);
      const lock = await acquireRepoLock(layout, id);
      locks.set(r.path, lock);
      prep.retries += lock.retries;
      const capture = await captureWithIndex(r.path);
      if (!sameState(capture.state, r.current)) {
        await capture.release();
        const diff = await describeDifference(r.path, capture.state, r.current);
        throw new EngineError('PlanStale', `changed since the plan was made (${diff.message}); preview again`, r.path, diff.path);
      }
      prepared.set(r.path, await prepareRestore(r.path, r.goal, capture, r.files));
      preparedCount(r.path);
    });
    const safety = await saveSnapshot(
      ctx.store,
      plan.repos.map((r) => ({ path: r.path, ...r.current })),
      { message: `safety snapshot before ${id}`, parallelism },
    );
    safetyId = safety.id;
    await journal.append({ t: 'prepared', at: new Date().toISOString(), safety: safety.id, repos: plan.repos.map((r) => ({ path: r.path, state: r.current })) });
    end(prep);
    crashPoint('crash-after-prepare');
    if (options.cancel?.cancelled) throw new EngineError('Cancelled', 'cancelled before the commit phase; nothing was changed');

    // commit
    commitBegan = true;
    const com = phase('commit');
    const committing = phaseCounter(ctx.progress, 'commit', plan.repos.length);
    // Recovery puts every prepared repo back whatever the journal says was committed, so these
    // entries are a record, not a promise: nobody waits for their sync but the phase's end. A
    // long dependency chain is a wave per repo, and a sync per wave was most of the commit time.
    const logged: Promise<void>[] = [];
    // Each repo waits for the repos it must follow (plan `after`), not for whole waves: a chain of
    // 100 waves of one repo each then runs beside the independent repos instead of after them.
    await runInOrder(plan.repos, (r) => r.path, (r) => r.after, parallelism, async (r) => {
      const p = prepared.get(r.path)!;
      if (!sameState(r.current, r.goal)) {
        touched.add(r.path);
        await commitRestore(p, () => com.retries++);
      }
      committed.add(r.path);
      // counted before the await: repos committing in parallel must each see their own number
      const nth = committed.size;
      const entry = journal.append({ t: 'committed', at: new Date().toISOString(), repo: r.path });
      entry.catch(() => undefined); // handled here so a failed sync is not an unhandled rejection; awaited below
      logged.push(entry);
      committing(r.path);
      crashPoint('crash-after-commit', nth);
    });
    await Promise.all(logged);
    end(com);
    crashPoint('crash-before-verify');

    // verify
    const ver = phase('verify');
    const verified = phaseCounter(ctx.progress, 'verify', plan.repos.length);
    await mapLimit(plan.repos, parallelism, async (r) => {
      const state = await captureRepoState(r.path);
      after.set(r.path, state);
      if (!sameState(state, r.goal)) {
        const diff = await describeDifference(r.path, state, r.goal);
        throw new EngineError('VerifyFailed', `after commit the repo is not in the target state: ${diff.message}`, r.path, diff.path);
      }
      verified(r.path);
    });
    await journal.append({ t: 'verified', at: new Date().toISOString() });
    end(ver);
  } catch (e) {
    failure = e instanceof EngineError ? e : new EngineError('GitFailed', (e as Error).message ?? String(e));
    for (const p of phases) if (!p.endedAt) end(p);
    if (commitBegan) {
      await journal.append({ t: 'compensating', at: new Date().toISOString(), reason: failure.oneLine() });
      const comp = phase('compensate');
      // Every repo whose commit started goes back to its safety state; the others were never touched.
      await mapLimit(plan.repos.filter((r) => touched.has(r.path)), parallelism, async (r) => {
        const back = await prepareRestore(r.path, r.current);
        try {
          await commitRestore(back, () => comp.retries++);
        } finally {
          await back.capture.release();
        }
        compensated.add(r.path);
        after.set(r.path, await captureRepoState(r.path));
        await journal.append({ t: 'compensated', at: new Date().toISOString(), repo: r.path });
      });
      end(comp);
    }
  } finally {
    await Promise.all([...prepared.values()].map((p) => p.capture.release()));
    await Promise.all([...locks.values()].map((lock) => lock.release()));
  }

  const outcome = failure ? 'aborted' : 'committed';
  await journal.append({ t: 'end', at: new Date().toISOString(), outcome, detail: failure?.oneLine() });
  await journal.close();

  const evidenceRepos: EvidenceRepo[] = plan.repos.map((r) => ({
    path: r.path,
    wave: r.wave,
    before: r.current,
    target: r.goal,
    after: after.get(r.path) ?? (failure ? r.current : null),
    committed: committed.has(r.path) && !failure,
    compensated: compensated.has(r.path),
    files: r.files.map(({ patch: _patch, ...f }) => f),
  }));
  const patchText = plan.repos.flatMap((r) => r.files.map((f) => `# repo: ${r.path}\n${f.patch}`)).join('');
  const endedAt = new Date().toISOString();
  const evidence = await writeEvidence(
    ctx.store,
    {
      format: 1,
      id,
      kind: options.kind ?? 'rollback',
      undoOf: options.undoOf,
      who: { user: whoami(), ...(await identity) },
      host: os.hostname(),
      toolVersion,
      command: options.argv ?? [],
      cwd: process.cwd(),
      startedAt,
      endedAt,
      target: plan.target,
      mode: plan.mode,
      planHash: plan.hash,
      safetySnapshot: safetyId,
      outcome,
      error: failure?.toJSON(),
      phases,
      repos: evidenceRepos,
    },
    patchText,
  );
  const record: RollbackRecord = {
    format: 1,
    id,
    kind: options.kind ?? 'rollback',
    undoOf: options.undoOf,
    startedAt,
    endedAt,
    durationMs: Date.parse(endedAt) - Date.parse(startedAt),
    outcome,
    error: failure?.toJSON(),
    target: plan.target,
    mode: plan.mode,
    planHash: plan.hash,
    safetySnapshot: safetyId,
    repos: evidenceRepos.map((r) => ({ path: r.path, wave: r.wave, files: r.files.length, before: r.before, after: r.after })),
    phases,
    evidence,
  };
  await writeRollbackRecord(ctx.store, record);
  const fullRollback = !plan.request.repos?.length && !plan.request.paths?.length;
  if (!failure && plan.target.campaign && fullRollback && options.kind !== 'undo') {
    await markCampaignRolledBack(ctx.store, plan.target.campaign, id, plan.target.checkpoint ?? 0);
  }
  if (failure) {
    const err = new EngineError(failure.code, `${failure.message}${commitBegan ? ` — every changed repo was returned to the safety snapshot ${safetyId}` : ' — nothing was changed'} (rollback ${id}, evidence ${evidence})`, failure.repo, failure.path);
    (err as EngineError & { record?: RollbackRecord }).record = record;
    throw err;
  }
  return record;
}
