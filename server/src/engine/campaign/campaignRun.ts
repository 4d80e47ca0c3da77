import * as fs from 'fs';
import * as path from 'path';
import { AppendLog, readLog } from '../store/appendLog';
import { isAlive } from '../util/processes';
import { repoLayout } from '../git/repoLayout';
import { OrphanGuard, killGroups } from '../util/orphanGuard';
import { runCommand } from '../util/runCommand';
import { Campaign, CampaignStep, RepoRunResult, StoredChangeRecord, checkpointCampaign, listCampaigns, loadCampaign } from './campaign';
import { EngineContext } from '../store/engineContext';
import { EngineError } from '../util/errors';
import { defaultParallelism, mapLimit } from '../util/pool';
import { phaseCounter } from '../util/progress';

type RunEntry =
  | { t: 'start'; pid: number; at: string; command: string[]; message?: string }
  | { t: 'spawned'; repo: string; pid: number }
  | ({ t: 'result' } & RepoRunResult);

const runLogFile = (ctx: EngineContext, id: string) => ctx.store.path('campaigns', id, 'run.jsonl');

/**
 * Runs one command (no shell: the arguments are passed as they are) in every repo of a campaign,
 * a few at a time, then checkpoints. Every repo's exit code and output tail are recorded in the
 * step; a failing repo does not stop the others and is never hidden.
 *
 * A kill of codecontext mid-run loses nothing: the commands die with it (util/orphanGuard.ts),
 * and the run log (`campaigns/<id>/run.jsonl`: the command, each process, each result, synced as
 * they happen) lets the next run, checkpoint or `recover` record the step with what it did.
 */
export async function runInCampaign(
  ctx: EngineContext,
  given: string,
  command: readonly string[],
  options: { message?: string; repos?: readonly string[] } = {},
): Promise<{ campaign: Campaign; step: CampaignStep; changes: StoredChangeRecord[]; failed: RepoRunResult[]; results: RepoRunResult[] }> {
  if (command.length === 0) throw new EngineError('Usage', 'campaign run needs a command after --');
  await finishInterruptedRun(ctx, given);
  const campaign = await loadCampaign(ctx.store, given);
  // a run limited to some repos (--only-failed, --repos-from): each must be one of the campaign's
  const only = options.repos?.map((r) => path.resolve(r));
  const stranger = only?.find((r) => !campaign.repos.includes(r));
  if (stranger) throw new EngineError('UnknownId', `not a repo of ${campaign.id}`, stranger);
  if (only && only.length === 0) throw new EngineError('Usage', 'no repos to run in');
  const targets = only ? campaign.repos.filter((r) => only.includes(r)) : campaign.repos;
  const file = runLogFile(ctx, campaign.id);
  if (fs.existsSync(file)) throw new EngineError('Busy', `a campaign run of ${campaign.id} is still running`, undefined, file);
  const log = await AppendLog.open<RunEntry>(file);
  const guard = new OrphanGuard();
  let results: RepoRunResult[];
  try {
    await log.append({ t: 'start', pid: process.pid, at: new Date().toISOString(), command: [...command], message: options.message });
    const ran = phaseCounter(ctx.progress, 'run', targets.length);
    results = await mapLimit(targets, ctx.parallelism ?? defaultParallelism, async (repo) => {
      if (ctx.cancel?.cancelled) {
        throw new EngineError(
          'Cancelled',
          'cancelled: the command was not started in the remaining repos and no step was recorded (the next checkpoint records what already ran)',
        );
      }
      // only in a repo: a folder that is not one (its .git deleted, or named by an edited campaign file) is not run in
      const notRepo = await repoLayout(repo).then(
        () => undefined,
        (e: Error) => e.message,
      );
      const result = notRepo
        ? { repo, exitCode: -1, outputTail: `not run: ${notRepo}`, durationMs: 0 }
        : await runOne(repo, command, guard, (pid) => log.append({ t: 'spawned', repo, pid }));
      await log.append({ t: 'result', ...result });
      ran(repo);
      return result;
    });
  } catch (e) {
    guard.close();
    await log.close();
    await fs.promises.rm(file, { force: true });
    throw e;
  }
  guard.close();
  const recorded = await checkpointCampaign(ctx, campaign.id, {
    message: options.message ?? command.join(' '),
    command: [...command],
    results,
  });
  await log.close();
  await fs.promises.rm(file, { force: true });
  return { ...recorded, results, failed: results.filter((r) => r.exitCode !== 0) };
}

/**
 * A `campaign run` of a live process is at work on this campaign: its commands' writes are
 * recorded by its own step, so an automatic checkpoint waits for it.
 */
export async function runAtWork(ctx: EngineContext, campaignId: string): Promise<boolean> {
  const file = runLogFile(ctx, campaignId);
  if (!fs.existsSync(file)) return false;
  const { entries } = await readLog<RunEntry>(file).catch(() => ({ entries: [] as RunEntry[] }));
  const start = entries.find((e): e is Extract<RunEntry, { t: 'start' }> => e.t === 'start');
  // a log without its start yet is a run that has just begun
  return !start || isAlive(start.pid);
}

/** The repos whose command failed in the campaign's last step that ran one: what `--only-failed` runs again. */
export function lastFailedRepos(campaign: Campaign): string[] {
  const last = [...campaign.steps].reverse().find((s) => s.results?.length);
  if (!last) throw new EngineError('Usage', `${campaign.id} has no step that ran a command yet`);
  return last.results!.filter((r) => r.exitCode !== 0).map((r) => r.repo);
}

/**
 * A campaign run whose process died (kill -9, a crash) is recorded as the step it was: its
 * commands still running are stopped, then the repos are checkpointed with the results it logged;
 * a repo without one is marked as interrupted. Returns the step, or undefined when there was none.
 */
export async function finishInterruptedRun(ctx: EngineContext, given: string): Promise<CampaignStep | undefined> {
  const campaign = await loadCampaign(ctx.store, given);
  const file = runLogFile(ctx, campaign.id);
  if (!fs.existsSync(file)) return undefined;
  const { entries } = await readLog<RunEntry>(file);
  const start = entries.find((e): e is Extract<RunEntry, { t: 'start' }> => e.t === 'start');
  if (start && start.pid !== process.pid && isAlive(start.pid)) return undefined; // still running
  const done = new Map(entries.filter((e): e is Extract<RunEntry, { t: 'result' }> => e.t === 'result').map(({ t: _t, ...r }) => [r.repo, r]));
  killGroups(entries.filter((e): e is Extract<RunEntry, { t: 'spawned' }> => e.t === 'spawned' && !done.has(e.repo)).map((e) => e.pid));
  if (!start) {
    await fs.promises.rm(file, { force: true });
    return undefined;
  }
  // killed after its step was written: the step is there already, only the log is left
  const last = campaign.steps.at(-1);
  if (last && last.at >= start.at && JSON.stringify(last.command) === JSON.stringify(start.command)) {
    await fs.promises.rm(file, { force: true });
    return undefined;
  }
  const started = new Set(entries.filter((e) => e.t === 'spawned').map((e) => (e as { repo: string }).repo));
  const results = campaign.repos.map(
    (repo) =>
      done.get(repo) ?? {
        repo,
        exitCode: -1,
        outputTail: started.has(repo)
          ? 'interrupted: codecontext was stopped while the command ran here; it was stopped too'
          : 'interrupted: codecontext was stopped before the command started here',
        durationMs: 0,
      },
  );
  const { step } = await checkpointCampaign(ctx, campaign.id, {
    message: `interrupted: ${start.message ?? start.command.join(' ')}`,
    command: start.command,
    results,
  });
  await fs.promises.rm(file, { force: true });
  return step;
}

async function runOne(repo: string, command: readonly string[], guard: OrphanGuard, onSpawn: (pid: number) => Promise<void>): Promise<RepoRunResult> {
  const { exitCode, outputTail, durationMs } = await runCommand(repo, command, { guard, onSpawn: (pid) => void onSpawn(pid).catch(() => undefined) });
  return { repo, exitCode, outputTail, durationMs };
}

/** `finishInterruptedRun` for every campaign with a run log: one line per step it recorded. */
export async function finishInterruptedRuns(ctx: EngineContext): Promise<string[]> {
  const lines: string[] = [];
  for (const c of await listCampaigns(ctx.store)) {
    if (!fs.existsSync(runLogFile(ctx, c.id))) continue;
    const step = await finishInterruptedRun(ctx, c.id);
    if (step) lines.push(`${c.id} (${c.name}): an interrupted campaign run was recorded as step ${step.n}; its commands were stopped`);
  }
  return lines;
}
