import * as fs from 'fs';
import * as inspector from 'inspector';
import * as os from 'os';
import * as path from 'path';
import { checkpointIfChanged, startCampaign } from '../../server/src/engine/campaign/campaign';
import { setGitLogger } from '../../server/src/engine/git/gitRunner';
import { captureRepos } from '../../server/src/engine/snapshot/snapshot';
import { Store } from '../../server/src/engine/store/store';
import { CampaignWatcher } from '../../server/src/lsp/campaignWatcher';
import { MixedResult, benchWatch } from './bigMixed';
import { bigFloorSnapshot, editBigRepo } from './bigRepo';
import { generateBigRepo, generateWorkspace } from './workspace';

/**
 * Where an automatic checkpoint's time goes (issue 23's latency): `node out/test/bench/autoProfile.js
 * [files=100000] [small=29]` makes one repo of `files` files beside `small` small ones (MIXED_DIR keeps
 * them between runs), starts a campaign on them, then RUNS times (default 3) edits 10 files of the
 * big one and times, each after an edit of its own, in this process: the server's whole automatic
 * checkpoint (CampaignWatcher's, its pre-checks included, without watching or debounce),
 * `checkpointIfChanged` alone, the capture of every repo, the capture of the big repo alone, and the
 * floor (`git add -A && git write-tree` on a copy of its index). Prints each round, the medians and
 * their ratios to the floor's, and the watcher's git time by subcommand. CPUPROF=1 writes a CPU
 * profile of each watcher checkpoint (autoProfile-N.cpuprofile).
 * `autoProfile.js [files] [small] server` runs the bench's own measure instead (bigMixed.ts
 * `benchWatch`: the real server, from quiet to step recorded, less the debounce), without the rest
 * of `npm run bench`, so builds can be compared in one sitting.
 */
async function main(): Promise<void> {
  const files = Number(process.argv[2] ?? 100000);
  const small = Number(process.argv[3] ?? 29);
  const runs = Number(process.env.RUNS ?? 3);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-autoprof-'));
  const root = process.env.MIXED_DIR ?? path.join(base, 'ws');
  const big = path.join(root, 'repo-big');
  if (!fs.existsSync(path.join(big, '.git'))) {
    await generateWorkspace(root, small, 60, 8);
    await generateBigRepo(big, files);
  }
  const store = new Store(path.join(base, 'store'));
  if (process.argv.includes('server')) {
    // the bench's own measure (bigMixed.ts benchWatch): the real server, from quiet to step, less the debounce
    const result: MixedResult = { files, small, runs, seconds: {} };
    await benchWatch(root, big, files, store, runs, 0, result, (m) => console.log(m));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const { watchLatency, floorWatch } = result.seconds;
    console.log(`server: ${watchLatency.map((x) => x.toFixed(2)).join(' ')}  floor ${floorWatch.map((x) => x.toFixed(2)).join(' ')}`);
    console.log(`server / floor ${(median(watchLatency) / median(floorWatch)).toFixed(2)}x`);
    fs.rmSync(base, { recursive: true, force: true });
    return;
  }
  const parallelism = Number(process.env.PARALLELISM ?? 8);
  const ctx = { store, parallelism };
  const campaign = await startCampaign(ctx, 'auto', [root]);
  const steps: string[] = [];
  const watcher = new CampaignWatcher(ctx, campaign.id, {
    onStep: (s) => steps.push(`step ${s.n}`),
    onNoStep: () => steps.push('no step'),
    onError: (m) => steps.push(m),
  });
  // the watcher's own checkpoint (pre-checks, then checkpointIfChanged), without watching or debounce
  const watcherCheckpoint = (watcher as unknown as { checkpoint(): Promise<void> }).checkpoint.bind(watcher);
  const gitTimes = new Map<string, [number, number]>();
  let gitOn = false;
  setGitLogger((line) => {
    const m = /^git (?:(?:-c \S+|--[\w-]+=\S+) )*(\S+).* (\d+) ms/.exec(line);
    if (!m || !gitOn) return;
    const v = gitTimes.get(m[1]) ?? [0, 0];
    gitTimes.set(m[1], [v[0] + 1, v[1] + Number(m[2])]);
  });
  const session = new inspector.Session();
  session.connect();
  const post = (m: string) => new Promise<{ profile?: unknown }>((res, rej) => session.post(m, (e, r) => (e ? rej(e) : res(r ?? {}))));
  if (process.env.CPUPROF) await post('Profiler.enable');
  const t: Record<string, number[]> = { watcher: [], ifChanged: [], capture: [], captureBig: [], floor: [] };
  const timed = async (k: string, fn: () => Promise<unknown>) => {
    const s = performance.now();
    await fn();
    t[k].push((performance.now() - s) / 1000);
  };
  for (let k = 0; k < runs; k++) {
    await editBigRepo(big, files, `auto ${k} a`);
    gitOn = true;
    if (process.env.CPUPROF) await post('Profiler.start');
    await timed('watcher', watcherCheckpoint);
    if (process.env.CPUPROF) fs.writeFileSync(`autoProfile-${k}.cpuprofile`, JSON.stringify((await post('Profiler.stop')).profile));
    gitOn = false;
    await editBigRepo(big, files, `auto ${k} b`);
    await timed('ifChanged', () => checkpointIfChanged(ctx, campaign.id, { source: 'auto' }));
    await editBigRepo(big, files, `auto ${k} c`);
    await timed('capture', () =>
      captureRepos(
        [root, ...fs.readdirSync(root).map((d) => path.join(root, d))].filter((d) => fs.existsSync(path.join(d, '.git'))),
        { parallelism },
      ),
    );
    await editBigRepo(big, files, `auto ${k} d`);
    await timed('captureBig', () => captureRepos([big], { parallelism }));
    t.floor.push(await bigFloorSnapshot(big));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [k, xs] of Object.entries(t)) {
    console.log(
      `${k.padEnd(10)} ${xs.map((x) => x.toFixed(2)).join(' ')}  median ${median(xs).toFixed(2)}  / floor ${(median(xs) / median(t.floor)).toFixed(2)}x`,
    );
  }
  console.log(steps.join(', '));
  for (const [k, [c, ms]] of [...gitTimes].sort((a, b) => b[1][1] - a[1][1]))
    console.log(`git ${k}: ${c} × ${(ms / c).toFixed(1)} ms = ${ms} ms (watcher's runs)`);
  watcher.dispose();
  fs.rmSync(base, { recursive: true, force: true });
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
