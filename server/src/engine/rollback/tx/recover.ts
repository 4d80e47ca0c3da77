import * as fs from 'fs';
import * as path from 'path';
import { EngineContext } from '../../store/engineContext';
import { asEngineError } from '../../util/errors';
import { readOwner, releaseDeadLock } from '../../repo/repoLock';
import { isAlive } from '../../util/processes';
import { discoverRepos } from '../../repo/discovery';
import { repoLayout } from '../../git/repoLayout';
import { captureRepoState, sameState } from '../../repo/repoState';
import { listSnapshots, loadSnapshot, snapshotNames } from '../../snapshot/snapshot';
import { compensationOps } from './compensation';
import { JournalEntry, openJournal, readJournal, unfinishedTransactions } from './journal';
import { Begin, Prepared, applyEntry, journalState } from './journalState';
import { TxCore } from './core';
import { RepoStep, StepPhase, TxStep } from './step';
import { RemoteStep } from './remoteStep';
import { pushKey } from './journal';
import type { Outcome } from '../records';
import { plural } from '../../util/words';

export interface RecoveryReport {
  rb: string;
  /**
   * What recovery did: nothing had changed; the rollback had fully verified; every repo went back
   * to its safety state; it is still running; it failed; or (`onlyIfKnown`) it was left for a
   * person because some repo holds changes the journal does not know.
   */
  action: 'nothing-had-changed' | 'already-complete' | 'returned-to-safety' | 'still-running' | 'failed' | 'needs-confirmation';
  /** How the transaction ended, when recovery ended it (the word the record and the pack use). */
  outcome?: Outcome;
  repos: string[];
  message: string;
  /** Files changed by someone else since the transaction, kept as they are (and pinned before anything changed). */
  kept?: { repo: string; paths: string[] }[];
}

export interface RecoverOptions {
  /**
   * Act only where every repo holds nothing but what the transaction knows (its safety state or
   * its goal, path by path). The server starts with this, so it never changes a repo on its own
   * when a person's edits are in it; the CLI's `recover` captures and keeps such edits instead.
   */
  onlyIfKnown?: boolean;
  /**
   * Repos to give up (absolute paths): moved, deleted, or held by a lock that never goes. Each is
   * journaled as abandoned and recorded in the evidence; recovery finishes the others.
   */
  abandon?: string[];
}

/**
 * Finds transactions whose journal has no end (a crash, a kill, a full disk) and brings every repo
 * of each to one side: if the rollback had verified, all are at the target already; otherwise
 * every repo goes back to its safety state, capture first (compensation.ts), keeping what other
 * processes wrote. Idempotent: its own end is journaled, so a second run finds nothing to do.
 */
export async function recoverAll(ctx: EngineContext, options: RecoverOptions = {}): Promise<RecoveryReport[]> {
  const { open, unreadable } = await unfinishedTransactions(ctx.store);
  const reports: RecoveryReport[] = unreadable.map(({ rb, error }) => ({
    rb,
    action: 'failed',
    repos: [],
    message: `${rb}: recovery failed: ${asEngineError(error).oneLine()}`,
  }));
  for (const rb of open) reports.push(await recoverOne(ctx, rb, options));
  return reports;
}

async function recoverOne(ctx: EngineContext, rb: string, options: RecoverOptions): Promise<RecoveryReport> {
  let entries: JournalEntry[];
  try {
    entries = await readJournal(ctx.store, rb);
  } catch (e) {
    return { rb, action: 'failed', repos: [], message: `${rb}: recovery failed: ${asEngineError(e).oneLine()}` };
  }
  let state = journalState(entries);
  const begin = state.begin;
  const repos = begin?.repos.map((r) => r.path) ?? [];
  if (begin && begin.pid !== process.pid && isAlive(begin.pid) && !state.handedOver) {
    return { rb, action: 'still-running', repos, message: `${rb} is still running (pid ${begin.pid}); left alone` };
  }
  if (!begin) {
    // killed (or out of room) between creating the journal and syncing its first entry: nothing
    // is locked before `begin` is on disk, so nothing was changed; the journal is ended as it is
    const journal = await openJournal(ctx.store, rb);
    try {
      await journal.append({ t: 'end', at: new Date().toISOString(), outcome: 'aborted', detail: 'stopped before it began' });
    } finally {
      await journal.close();
    }
    return { rb, action: 'nothing-had-changed', outcome: 'aborted', repos, message: `${rb} stopped before it began; nothing had changed` };
  }
  // `prepared` lost with a damaged last line, its safety snapshot saved all the same
  const decided = state.outcome && !state.handedOver;
  if (!state.prepared && !decided) {
    const found = await preparedFromSafety(ctx, rb);
    if (found) {
      entries = [...entries, found];
      state = applyEntry(state, found);
    }
  }
  const prepared = state.prepared;
  const problem = await checkJournal(ctx, begin, prepared);
  if (problem) return { rb, action: 'failed', repos, message: `${rb}: recovery refused: ${problem}; nothing was changed` };

  const core = new TxCore(
    ctx,
    rb,
    await openJournal(ctx.store, rb),
    [
      ...state.remotes.map((r): TxStep => {
        const step = new RemoteStep(r.key, r.repo, r.remote, r.planned, [], { rb });
        step.updates = r.updates;
        step.phase = remotePhase[r.phase];
        return step;
      }),
      ...state.repos.map((r): TxStep => {
        const step = new RepoStep(rb, r.path, r.safety ?? begin.repos.find((b) => b.path === r.path)?.before ?? r.goal, r.goal, [], []);
        step.phase = r.phase;
        return step;
      }),
    ],
    entries,
  );
  for (const repo of options.abandon ?? []) {
    const step = core.steps.find((s) => s.key === repo);
    if (step && step.phase !== 'abandoned') {
      await core.append({ t: 'abandoned', at: new Date().toISOString(), repo, reason: 'given up by `codecontext recover --abandon`' });
      step.phase = 'abandoned';
    }
  }
  const given = [
    ...core.state.remotes.filter((r) => r.phase === 'abandoned').map((r) => r.key),
    ...core.state.repos.filter((r) => r.phase === 'abandoned').map((r) => r.path),
  ];
  const abandonText = given.length ? `; given up, left as they are: ${given.join(', ')}` : '';
  const live = core.steps.filter((s) => s.phase !== 'abandoned');
  let report: RecoveryReport;
  try {
    if (decided) {
      // the repos were where they stay: only the bookkeeping was left, and locks a dead process held
      for (const s of live) await s.releaseDead();
      const outcome = core.state.outcome!.outcome;
      report = {
        rb,
        action: outcome === 'committed' ? 'already-complete' : prepared ? 'returned-to-safety' : 'nothing-had-changed',
        outcome,
        repos,
        message: `${rb} had ended (${outcome}) before its record was finished; finished it${abandonText}`,
      };
    } else {
      const left = core.state.left;
      // pushes are put back by a person's `recover`, never by a server starting up on its own
      const pushesToUndo = core.state.remotes.filter((r) => left.compensate.includes(r.key));
      if (options.onlyIfKnown && pushesToUndo.length) {
        await core.journal.close();
        return {
          rb,
          action: 'needs-confirmation',
          repos,
          message:
            `${rb} was interrupted after it pushed to ${pushesToUndo.map((r) => `${r.remote} (${r.repo})`).join(', ')}; left alone. ` +
            'Run `codecontext recover`: it puts those remotes back (leased: a push made since is kept) and the repos to their safety snapshot',
        };
      }
      // the server's own recovery looks before it takes anything, locks included
      if (options.onlyIfKnown && prepared && left.compensate.length) {
        const unknown = await unknownChanges(
          begin,
          prepared,
          new Set([...given, ...core.state.repos.filter((r) => !left.compensate.includes(r.path)).map((r) => r.path)]),
        );
        if (unknown.length) {
          await core.journal.close();
          return {
            rb,
            action: 'needs-confirmation',
            repos,
            message:
              `${rb} was interrupted, and ${unknown.map((u) => `${u.repo}: ${u.paths.slice(0, 3).join(', ') || 'HEAD'}`).join('; ')} changed ` +
              `since; left alone. Run \`codecontext recover\`: it keeps those changes and puts the rest back`,
            kept: unknown,
          };
        }
      }
      for (const s of live) await s.adopt(!!state.handedOver);
      if (!prepared) {
        report = {
          rb,
          action: 'nothing-had-changed',
          outcome: 'recovered',
          repos,
          message: `${rb} stopped during prepare; nothing had changed; locks released`,
        };
      } else if (left.decide === 'committed') {
        report = { rb, action: 'already-complete', outcome: 'committed', repos, message: `${rb} had committed and verified every repo; marked complete` };
      } else {
        await core.compensate(
          'recovery after an interrupted transaction',
          core.steps.filter((s) => left.compensate.includes(s.key)),
        );
        const kept = [
          ...core.state.remotes.filter((r) => r.kept?.length).map((r) => ({ repo: r.key, paths: r.kept! })),
          ...core.state.repos.filter((r) => r.kept?.length).map((r) => ({ repo: r.path, paths: r.kept! })),
        ];
        const keptText = kept.length
          ? `; kept what changed since: ${kept.map((k) => `${k.repo}: ${k.paths.join(', ')}`).join('; ')} (the state before recovery is pinned under ` +
            `refs/codecontext/captures/${rb}/)`
          : '';
        const when = core.state.compensating ? `while putting repos back (after: ${core.state.compensating})` : 'before it verified';
        const givenRepos = given.filter((g) => repos.includes(g)).length;
        const how = `${givenRepos ? `${repos.length - givenRepos} of ` : repos.length === 1 ? '' : 'all '}${plural(repos.length, 'repo')}`;
        const putBack = core.state.remotes.filter((r) => r.phase === 'compensated');
        const remotesText = putBack.length ? `; ${plural(putBack.length, 'remote')} put back (${putBack.map((r) => r.remote).join(', ')})` : '';
        report = {
          rb,
          action: 'returned-to-safety',
          outcome: 'recovered',
          repos,
          message: `${rb} was interrupted ${when}; ${how} returned to safety snapshot ${prepared.safety}${remotesText}${keptText}${abandonText}`,
          ...(kept.length ? { kept } : {}),
        };
      }
      await core.decide(left.decide!, left.decide === 'committed' ? undefined : { code: 'Recovered', message: report.message });
    }
  } catch (e) {
    // half done: every repo keeps the transaction's lock (git stays out) until a recovery finishes
    await core.release({ keepLocks: !decided && !!prepared && core.state.left.decide !== 'committed' });
    await core.journal.close().catch(() => undefined);
    const err = asEngineError(e);
    const hint =
      err.repo && (err.code === 'RepoMissing' || err.code === 'RepositoryIsLocked' || err.code === 'NotARepository')
        ? `; once it is back (or its lock is gone) run \`codecontext recover\` again, or give it up with \`codecontext recover --abandon ${err.repo}\` ` +
          `(recorded in the evidence)`
        : '';
    return { rb, action: 'failed', repos, message: `${rb}: recovery failed: ${err.oneLine()}${hint}` };
  }
  await core.release();
  try {
    await core.finish();
  } catch (e) {
    return { ...report, action: 'failed', message: `${report.message}; but: ${asEngineError(e).oneLine()}` };
  }
  return report;
}

/** A remote step's journaled phase as the running transaction names it. */
const remotePhase: Record<'begun' | 'prepared' | 'pushing' | 'pushed' | 'compensated' | 'abandoned', StepPhase> = {
  begun: 'begun',
  prepared: 'prepared',
  pushing: 'committing',
  pushed: 'committed',
  compensated: 'compensated',
  abandoned: 'abandoned',
};

/**
 * A journal without `prepared` whose safety snapshot was saved all the same: the entry was lost
 * (a damaged last line is read as torn). Compensating from that snapshot is safe either way:
 * capture first, and a repo the commit never reached is already at it, so nothing moves there.
 */
async function preparedFromSafety(ctx: EngineContext, rb: string): Promise<Prepared | undefined> {
  const summary = (await listSnapshots(ctx.store)).find((s) => s.valid && snapshotNames(s).includes(`safety snapshot before ${rb}`));
  if (!summary) return undefined;
  const snap = await loadSnapshot(ctx.store, summary.id);
  return {
    t: 'prepared',
    at: snap.createdAt,
    safety: snap.id,
    repos: snap.repos.map(({ path: p, head, ref, index, worktree }) => ({ path: p, state: { head, ref, index, worktree } })),
  };
}

/**
 * Whatever the journal says is checked before recovery acts on it: a journal can be written by
 * anyone who can write the store. Every repo is an absolute, normalised path; the safety snapshot
 * exists, is sealed, and holds exactly the states `prepared` names, for exactly the repos of `begin`.
 */
async function checkJournal(ctx: EngineContext, begin: Begin, prepared: Prepared | undefined): Promise<string | undefined> {
  if (!Array.isArray(begin.repos) || begin.repos.length === 0) return 'the journal names no repo';
  const seen = new Set<string>();
  for (const r of begin.repos) {
    if (typeof r.path !== 'string' || !path.isAbsolute(r.path) || path.normalize(r.path) !== r.path)
      return `the journal names a repo that is not an absolute path: ${JSON.stringify(r.path)}`;
    if (seen.has(r.path)) return `the journal names ${r.path} twice`;
    seen.add(r.path);
    // canonical: a symlinked path would have us act on whatever it points to now
    let real: string | undefined;
    try {
      real = fs.realpathSync(r.path);
    } catch {
      real = undefined; // gone: recovery says so when it gets there
    }
    if (real !== undefined && real !== r.path) return `the journal names ${r.path}, which is not the repo's real path (${real})`;
  }
  if (!prepared) return undefined;
  let snap;
  try {
    snap = await loadSnapshot(ctx.store, prepared.safety);
  } catch (e) {
    return `its safety snapshot ${prepared.safety} cannot be used (${asEngineError(e).oneLine()})`;
  }
  const bySnap = new Map(snap.repos.map((r) => [r.path, r]));
  const names = new Set(begin.repos.map((r) => r.path));
  for (const r of prepared.repos) {
    const s = bySnap.get(r.path);
    if (!names.has(r.path) || !s || !sameState(s, r.state))
      return `the journal's prepared state of ${r.path} is not the one its safety snapshot ${prepared.safety} holds`;
  }
  if (prepared.repos.length !== begin.repos.length) return 'the journal prepared other repos than it began with';
  for (const p of begin.pushes ?? []) {
    if (!names.has(p.repo) || p.key !== pushKey(p.repo, p.remote)) return `the journal names a remote step ${JSON.stringify(p.key)} of no repo it began with`;
  }
  return undefined;
}

/** Per repo, what changed since the transaction that is neither its safety state nor its goal. */
async function unknownChanges(begin: Begin, prepared: Prepared, abandoned: ReadonlySet<string>): Promise<{ repo: string; paths: string[] }[]> {
  const goals = new Map(begin.repos.map((r) => [r.path, r.goal]));
  const out: { repo: string; paths: string[] }[] = [];
  for (const r of prepared.repos.filter((x) => !abandoned.has(x.path))) {
    const now = await captureRepoState(r.path);
    const goal = goals.get(r.path)!;
    const { kept, headMoved } = await compensationOps({ path: r.path, safety: r.state, goal }, now);
    const indexKnown = now.index === r.state.index || now.index === goal.index;
    if (kept.length || headMoved || !indexKnown) out.push({ repo: r.path, paths: kept });
  }
  return out;
}

/**
 * Repos under `roots` that hold locks of a transaction that is not running and does not list
 * them where they are now (a repo moved, or copied, while a rollback ran): their locks go, so git
 * works there again. Returns one line per repo released.
 */
export async function releaseStrandedLocks(ctx: EngineContext, roots: readonly string[]): Promise<string[]> {
  const released: string[] = [];
  for (const { path: repo } of await discoverRepos(roots.map((r) => path.resolve(r)))) {
    const layout = await repoLayout(repo);
    const owner = await readOwner(layout);
    if (!owner) continue;
    let listed = false;
    try {
      const entries = await readJournal(ctx.store, owner.rb);
      const open = !entries.some((e) => e.t === 'end');
      listed = open && entries.some((e) => e.t === 'begin' && e.repos.some((r) => r.path === repo));
    } catch {
      // no journal (another store's, or removed): nothing here will recover it
    }
    if (listed) continue; // recovery proper handles it
    if (await releaseDeadLock(layout, owner.rb)) released.push(`${repo}: released the locks left by ${owner.rb}, which does not list this repo here`);
  }
  return released;
}
