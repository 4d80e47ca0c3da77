import { spawn } from 'child_process';
import { Campaign, CampaignStep, RepoRunResult, StoredChangeRecord, checkpointCampaign, loadCampaign } from './campaign';
import { EngineContext } from '../store/engineContext';
import { EngineError } from '../util/errors';
import { defaultParallelism, mapLimit } from '../util/pool';
import { phaseCounter } from '../util/progress';

const tailBytes = 4000;

/**
 * Runs one command (no shell: the arguments are passed as they are) in every repo of a campaign,
 * a few at a time, then checkpoints. Every repo's exit code and output tail are recorded in the
 * step; a failing repo does not stop the others and is never hidden.
 */
export async function runInCampaign(
  ctx: EngineContext,
  given: string,
  command: readonly string[],
  options: { message?: string } = {},
): Promise<{ campaign: Campaign; step: CampaignStep; changes: StoredChangeRecord[]; failed: RepoRunResult[] }> {
  if (command.length === 0) throw new EngineError('Usage', 'campaign run needs a command after --');
  const campaign = await loadCampaign(ctx.store, given);
  const ran = phaseCounter(ctx.progress, 'run', campaign.repos.length);
  const results = await mapLimit(campaign.repos, ctx.parallelism ?? defaultParallelism, async (repo) => {
    if (ctx.cancel?.cancelled) {
      throw new EngineError('Cancelled', 'cancelled: the command was not started in the remaining repos and no step was recorded (the next checkpoint records what already ran)');
    }
    const result = await runOne(repo, command);
    ran(repo);
    return result;
  });
  const { step, changes, campaign: updated } = await checkpointCampaign(ctx, campaign.id, {
    message: options.message ?? command.join(' '),
    command: [...command],
    results,
  });
  return { campaign: updated, step, changes, failed: results.filter((r) => r.exitCode !== 0) };
}

function runOne(repo: string, command: readonly string[]): Promise<RepoRunResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let tail = Buffer.alloc(0);
    const keep = (b: Buffer) => {
      tail = Buffer.concat([tail, b]);
      if (tail.length > tailBytes * 2) tail = tail.subarray(tail.length - tailBytes);
    };
    const child = spawn(command[0], command.slice(1), { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CODECONTEXT_REPO: repo } });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let spawnError: string | undefined;
    child.on('error', (e) => {
      spawnError = e.message;
    });
    child.on('close', (code, signal) => {
      const text = tail.subarray(Math.max(0, tail.length - tailBytes)).toString('utf8');
      resolve({
        repo,
        exitCode: spawnError ? 127 : code ?? (signal ? 128 : 1),
        outputTail: spawnError ? `cannot run ${command[0]}: ${spawnError}` : text,
        durationMs: Date.now() - started,
      });
    });
  });
}
