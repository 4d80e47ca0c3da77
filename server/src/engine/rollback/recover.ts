import * as os from 'os';
import { EngineContext } from '../store/engineContext';
import { EngineError } from '../util/errors';
import { PhaseRecord, gitIdentity, whoami, writeEvidence } from './evidence';
import { Journal, JournalEntry, readJournal, unfinishedTransactions } from './journal';
import { RepoLock, adoptRepoLock, isAlive } from '../repo/repoLock';
import { repoLayout } from '../git/repoLayout';
import { RepoState, captureRepoState, emptyStage, removeDeadLeftovers } from '../repo/repoState';
import { commitRestore, prepareRestore, sameState } from './restore';
import { writeRollbackRecord } from './rollbackRecords';
import { toolVersion } from '../util/version';

export interface RecoveryReport {
  rb: string;
  /** What recovery did: nothing had changed; the rollback had fully verified; or every repo went back to its safety state. */
  action: 'nothing-had-changed' | 'already-complete' | 'returned-to-safety' | 'still-running' | 'failed';
  repos: string[];
  message: string;
}

/**
 * Finds transactions whose journal has no end (a crash, a kill) and brings every repo of each to
 * one side: if the rollback had verified, all are at the target already; otherwise every repo goes
 * back to its safety state, whichever repos had committed. Never leaves some repos rolled back
 * and others not.
 */
export async function recoverAll(ctx: EngineContext): Promise<RecoveryReport[]> {
  const reports: RecoveryReport[] = [];
  for (const rb of await unfinishedTransactions(ctx.store)) reports.push(await recoverOne(ctx, rb));
  return reports;
}

async function recoverOne(ctx: EngineContext, rb: string): Promise<RecoveryReport> {
  const entries = await readJournal(ctx.store, rb);
  const begin = entries.find((e): e is Extract<JournalEntry, { t: 'begin' }> => e.t === 'begin');
  const repos = begin?.repos.map((r) => r.path) ?? [];
  if (begin && begin.pid !== process.pid && isAlive(begin.pid)) {
    return { rb, action: 'still-running', repos, message: `${rb} is still running (pid ${begin.pid}); left alone` };
  }
  const prepared = entries.find((e): e is Extract<JournalEntry, { t: 'prepared' }> => e.t === 'prepared');
  const verified = entries.some((e) => e.t === 'verified');
  const journal = await Journal.create(ctx.store, rb);
  const locks: RepoLock[] = [];
  const startedAt = new Date().toISOString();
  const phase: PhaseRecord = { name: 'compensate', startedAt, retries: 0 };
  const after = new Map<string, RepoState>();
  let report: RecoveryReport;
  try {
    for (const r of repos) {
      const layout = await repoLayout(r);
      locks.push(await adoptRepoLock(layout, rb));
      removeDeadLeftovers(layout.gitDir);
      emptyStage(layout); // the lock is ours now, and so is the stage folder: files a killed prepare checked out go
    }
    if (!prepared) {
      report = { rb, action: 'nothing-had-changed', repos, message: `${rb} stopped during prepare; nothing had changed; locks released` };
    } else if (verified) {
      report = { rb, action: 'already-complete', repos, message: `${rb} had committed and verified every repo; marked complete` };
    } else {
      await journal.append({ t: 'compensating', at: new Date().toISOString(), reason: 'recovery after an interrupted transaction' });
      for (const { path: repo, state } of prepared.repos) {
        const p = await prepareRestore(repo, state);
        try {
          await commitRestore(p, () => phase.retries++);
        } finally {
          await p.capture.release();
        }
        const now = await captureRepoState(repo);
        if (!sameState(now, state)) throw new EngineError('VerifyFailed', 'could not return to the safety state', repo);
        after.set(repo, now);
        await journal.append({ t: 'compensated', at: new Date().toISOString(), repo });
      }
      report = { rb, action: 'returned-to-safety', repos, message: `${rb} was interrupted before it verified; all ${repos.length} repos returned to safety snapshot ${prepared.safety}` };
    }
  } catch (e) {
    const err = e instanceof EngineError ? e : new EngineError('GitFailed', String((e as Error).message ?? e));
    report = { rb, action: 'failed', repos, message: `${rb}: recovery failed: ${err.oneLine()}` };
  } finally {
    for (const l of locks) await l.release();
  }
  if (report.action !== 'failed') {
    await journal.append({ t: 'end', at: new Date().toISOString(), outcome: report.action === 'already-complete' ? 'committed' : 'recovered', detail: report.message });
  }
  await journal.close();
  if (report.action !== 'failed' && begin) await recordRecovery(ctx, rb, begin, prepared, report, phase, after, startedAt);
  return report;
}

async function recordRecovery(
  ctx: EngineContext,
  rb: string,
  begin: Extract<JournalEntry, { t: 'begin' }>,
  prepared: Extract<JournalEntry, { t: 'prepared' }> | undefined,
  report: RecoveryReport,
  phase: PhaseRecord,
  after: Map<string, RepoState>,
  startedAt: string,
): Promise<void> {
  phase.endedAt = new Date().toISOString();
  phase.ms = Date.parse(phase.endedAt) - Date.parse(startedAt);
  const before = new Map(prepared?.repos.map((r) => [r.path, r.state]));
  const target = begin.target;
  const repos = begin.repos.map((r) => ({
    path: r.path,
    wave: r.wave,
    before: before.get(r.path) ?? r.goal,
    target: report.action === 'already-complete' ? r.goal : before.get(r.path) ?? r.goal,
    after: after.get(r.path) ?? null,
    committed: report.action === 'already-complete',
    compensated: after.has(r.path),
    files: [],
  }));
  const outcome = report.action === 'already-complete' ? 'committed' : 'aborted';
  const evidence = await writeEvidence(
    ctx.store,
    {
      format: 1,
      id: rb,
      kind: begin.kind,
      who: { user: whoami(), ...(await gitIdentity(repos[0]?.path)) },
      host: os.hostname(),
      toolVersion,
      command: ['recover'],
      cwd: process.cwd(),
      startedAt: begin.at,
      endedAt: phase.endedAt,
      target,
      mode: begin.mode,
      planHash: begin.planHash,
      safetySnapshot: prepared?.safety,
      outcome,
      error: { code: 'Recovered', message: report.message },
      phases: [phase],
      repos,
    },
    '',
  );
  await writeRollbackRecord(ctx.store, {
    format: 1,
    id: rb,
    kind: begin.kind,
    startedAt: begin.at,
    endedAt: phase.endedAt,
    durationMs: Date.parse(phase.endedAt) - Date.parse(begin.at),
    outcome: report.action === 'already-complete' ? 'committed' : 'recovered',
    error: report.action === 'already-complete' ? undefined : { code: 'Recovered', message: report.message },
    target,
    mode: begin.mode,
    planHash: begin.planHash,
    safetySnapshot: prepared?.safety,
    repos: repos.map((r) => ({ path: r.path, wave: r.wave, files: 0, before: r.before, after: r.after })),
    phases: [phase],
    evidence,
  });
}
