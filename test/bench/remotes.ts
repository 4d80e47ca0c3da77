import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { checkpointCampaign, startCampaign } from '../../server/src/engine/campaign/campaign';
import { gitProcessCount } from '../../server/src/engine/git/gitRunner';
import { remoteCallCount } from '../../server/src/engine/git/remoteOps';
import { planRollback } from '../../server/src/engine/rollback/plan/plan';
import { executeRollback } from '../../server/src/engine/rollback/tx/transaction';
import { Store } from '../../server/src/engine/store/store';
import { mapLimit } from '../../server/src/engine/util/pool';
import { gitEnv } from '../helpers/repoKit';

/**
 * Issue 22's measure: `count` repos, each with a bare remote on local disk (file://), and a
 * campaign that pushed a branch and fast-forwarded main in every one, rolled back on the remotes
 * (`--remote`, revert mode) with the local repos. The floor, in the same run, on a workspace made
 * the same way: one `git push --atomic` per remote at the same parallelism, with no checks, of the
 * same updates (the branch deleted, main reset to where the campaign found it). Reports seconds,
 * the ratio, and git processes per repo (local and remote ones).
 */

const run = promisify(execFile);
const git = (cwd: string, ...args: string[]) => run('git', args, { cwd, env: gitEnv, maxBuffer: 1 << 24 });

export interface RemotesResult {
  repos: number;
  runs: number;
  parallelism: number;
  /** Plan (with its fetch) + execute, seconds per run. */
  ours: number[];
  /** Of which the plan. */
  plan: number[];
  floor: number[];
  /** Git processes per repo: local (through the runner), and remote ones (fetch, ls-remote, push). */
  processesPerRepo: { local: number; remote: number };
}

interface Pushed {
  repos: string[];
  /** Per repo: main before the campaign. */
  baselines: string[];
}

/** `count` repos with a bare remote each, main pushed and tracked; a template repo copied, as the main bench's generator does. */
async function workspace(base: string, count: number, parallelism: number): Promise<string[]> {
  const template = path.join(base, 'template');
  fs.mkdirSync(template, { recursive: true });
  await git(template, 'init', '-q', '-b', 'main');
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(template, `f${i}.txt`), `file ${i}\n`.repeat(50));
  await git(template, 'add', '-A');
  await git(template, 'commit', '-qm', 'initial');
  const names = Array.from({ length: count }, (_, i) => `repo-${String(i).padStart(4, '0')}`);
  const ws = path.join(base, 'ws');
  const remotes = path.join(base, 'remotes');
  fs.mkdirSync(ws, { recursive: true });
  fs.mkdirSync(remotes, { recursive: true });
  await mapLimit(names, parallelism, async (name) => {
    const dir = path.join(ws, name);
    const bare = path.join(remotes, `${name}.git`);
    fs.cpSync(template, dir, { recursive: true });
    await git(remotes, 'clone', '-q', '--bare', dir, bare);
    fs.appendFileSync(
      path.join(dir, '.git', 'config'),
      `[remote "origin"]\n\turl = file://${bare}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n[branch "main"]\n\tremote = origin\n\tmerge = refs/heads/main\n`,
    );
    await git(dir, 'fetch', '-q', 'origin');
  });
  return names.map((n) => path.join(ws, n));
}

/** The campaign, in every repo: main advanced and pushed, a branch created and pushed. */
async function campaign(repos: readonly string[], parallelism: number): Promise<Pushed> {
  const baselines: string[] = [];
  await mapLimit(repos, parallelism, async (dir, i) => {
    baselines[i] = (await git(dir, 'rev-parse', 'HEAD')).stdout.trim();
    fs.writeFileSync(path.join(dir, 'f0.txt'), 'changed by the campaign\n');
    await git(dir, 'commit', '-qam', 'campaign');
    await git(dir, 'branch', 'campaign/feat');
    await git(dir, 'push', '-q', 'origin', 'main', 'campaign/feat');
  });
  return { repos: [...repos], baselines };
}

export async function benchRemotes(base: string, count: number, runs: number, parallelism: number, log: (s: string) => void): Promise<RemotesResult> {
  const result: RemotesResult = { repos: count, runs, parallelism, ours: [], plan: [], floor: [], processesPerRepo: { local: 0, remote: 0 } };
  for (let k = 0; k < runs; k++) {
    // ours
    let dir = path.join(base, `ours-${k}`);
    let t = performance.now();
    const repos = await workspace(dir, count, parallelism);
    const ctx = { store: new Store(path.join(dir, 'store')), parallelism };
    const camp = await startCampaign(ctx, `remote bench ${k}`, repos);
    await campaign(repos, parallelism);
    await checkpointCampaign(ctx, camp.id, { message: 'pushed' });
    log(`run ${k + 1}/${runs}: ${count} repos with remotes, campaign pushed, in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const local0 = gitProcessCount();
    const remote0 = remoteCallCount();
    t = performance.now();
    const plan = await planRollback(ctx, { campaign: camp.id, remote: true });
    const planS = (performance.now() - t) / 1000;
    const record = await executeRollback(ctx, plan);
    const oursS = (performance.now() - t) / 1000;
    if (record.outcome !== 'committed') throw new Error(`the remote rollback did not commit: ${record.outcome}`);
    result.ours.push(oursS);
    result.plan.push(planS);
    result.processesPerRepo = { local: (gitProcessCount() - local0) / count, remote: (remoteCallCount() - remote0) / count };
    log(`ours: ${oursS.toFixed(2)} s (plan ${planS.toFixed(2)} s)`);

    // the floor: the same kind of workspace and campaign; one atomic push per remote, no checks
    dir = path.join(base, `floor-${k}`);
    const floorRepos = await workspace(dir, count, parallelism);
    const pushed = await campaign(floorRepos, parallelism);
    t = performance.now();
    await mapLimit(pushed.repos, parallelism, (repo, i) =>
      git(repo, 'push', '-q', '--atomic', 'origin', `+${pushed.baselines[i]}:refs/heads/main`, ':refs/heads/campaign/feat'),
    );
    const floorS = (performance.now() - t) / 1000;
    result.floor.push(floorS);
    log(`floor: ${floorS.toFixed(2)} s`);
  }
  return result;
}

export function remotesTable(r: RemotesResult): string {
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const row = (name: string, xs: number[]) =>
    `  ${name.padEnd(10)} ${med(xs).toFixed(2).padStart(7)} ${Math.min(...xs)
      .toFixed(2)
      .padStart(7)} ${Math.max(...xs)
      .toFixed(2)
      .padStart(7)}`;
  return [
    `${r.repos} repos with a bare remote each (file://), campaign pushed a branch and fast-forwarded main; ${r.runs} runs, parallelism ${r.parallelism}`,
    `  phase       median     min     max   (seconds)`,
    row('remote rb', r.ours),
    row('  of it plan', r.plan),
    row('floor', r.floor),
    `  remote rollback / floor: ${(med(r.ours) / med(r.floor)).toFixed(2)}×   (issue 22's goal: ≤ 1.5×)`,
    `  git processes per repo: ${r.processesPerRepo.local.toFixed(2)} local + ${r.processesPerRepo.remote.toFixed(2)} talking to the remote ` +
      '(the floor: 1 push)',
    '  (remote rb = plan with its fetch and revert trees + prepare (revert commits, push --dry-run) + pushes + ls-remote verify + the local rollback;',
    '   floor = one `git push --atomic` per remote of main reset and the branch deleted, no lease, no check, no local rollback)',
  ].join('\n');
}
