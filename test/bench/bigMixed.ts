import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { checkpointCampaign, startCampaign } from '../../server/src/engine/campaign/campaign';
import { planRollback } from '../../server/src/engine/rollback/plan/plan';
import { releaseCaptures } from '../../server/src/engine/rollback/plan/keptCaptures';
import { executeRollback } from '../../server/src/engine/rollback/tx/transaction';
import { undoRollback } from '../../server/src/engine/rollback/tx/undo';
import { createSnapshot } from '../../server/src/engine/snapshot/snapshot';
import { Store } from '../../server/src/engine/store/store';
import { TestServer } from '../server/serverKit';
import { bigFloorReset, bigFloorSnapshot, editBigRepo } from './bigRepo';
import { generateBigRepo, generateWorkspace } from './workspace';

/**
 * Issue 24, item 4, and issue 23's measures: one repo of `files` files beside `small` small ones,
 * 10 files of the big one changed (bigRepo.ts `editBigRepo`), each figure beside its floor timed
 * in the same round: the snapshot of the big repo and the campaign's checkpoint of all of them
 * against `git add -A && git write-tree` on a copy of the big repo's index; the campaign's rollback
 * (plan + execute) and its undo against `git reset --hard && git clean -fd` in the big repo.
 * With `watch`, the server process with `codecontext.autoCheckpoint` on: from the last write to
 * the step's log line, less the debounce, against the same floor; then its CPU while idle.
 */
export interface MixedResult {
  files: number;
  small: number;
  runs: number;
  /** Seconds per round, in round order. */
  seconds: Record<string, number[]>;
  /** The server's CPU seconds (itself and every process under it) while idle for `idleSeconds`, watching on. */
  idle?: { seconds: number; cpuSeconds: number; watching: string };
}

export const watchDebounceSeconds = 2;

function sync(): void {
  if (process.platform !== 'win32') spawnSync('sync');
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await fn();
  return [(performance.now() - t) / 1000, r];
}

/** CPU seconds of `pid` and every live process under it (the server's shells and their git). */
export function treeCpuSeconds(pid: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ');
      // utime, stime, and the children's it reaped (cutime, cstime): git ended under a shell counts there
      stats.set(Number(d), { ppid: Number(st[1]), ticks: Number(st[11]) + Number(st[12]) + Number(st[13]) + Number(st[14]) });
    } catch {
      // ended between readdir and read
    }
  }
  const under = (p: number): number => {
    let ticks = stats.get(p)?.ticks ?? 0;
    for (const [c, s] of stats) if (s.ppid === p) ticks += under(c);
    return ticks;
  };
  return under(pid) / 100; // USER_HZ
}

export async function benchMixed(
  base: string,
  files: number,
  small: number,
  runs: number,
  parallelism: number,
  watch: { idleSeconds: number } | undefined,
  log: (s: string) => void,
): Promise<MixedResult> {
  const root = path.join(base, 'ws');
  const store = new Store(path.join(base, 'store'));
  const ctx = { store, parallelism };
  const [s] = await timed(() => generateWorkspace(root, small, 60, parallelism));
  const big = path.join(root, 'repo-big');
  const [bigS] = await timed(() => generateBigRepo(big, files));
  log(`generated ${small} small repos in ${s.toFixed(1)} s and one of ${files} files in ${bigS.toFixed(1)} s`);
  const t: Record<string, number[]> = {
    snapshot: [],
    floorSnapshot: [],
    checkpoint: [],
    floorCheckpoint: [],
    plan: [],
    execute: [],
    rollback: [],
    undo: [],
    floorReset: [],
  };
  for (let k = 0; k < runs; k++) {
    log(`run ${k + 1}/${runs}`);
    // a campaign of its own each round: the last one was rolled back
    const campaign = await startCampaign(ctx, `mixed ${k}`, [root]);
    await editBigRepo(big, files, `snapshot ${k}`);
    sync();
    // the floor first in even rounds, ours first in odd ones: neither always pays for the other's cache
    const pair = async (ours: () => Promise<unknown>, floor: () => Promise<number>, a: string, b: string) => {
      if (k % 2 === 0) t[b].push(await floor());
      sync();
      t[a].push((await timed(ours))[0]);
      sync();
      if (k % 2 === 1) t[b].push(await floor());
    };
    await pair(
      () => createSnapshot(store, [big], { parallelism }),
      () => bigFloorSnapshot(big),
      'snapshot',
      'floorSnapshot',
    );
    await editBigRepo(big, files, `checkpoint ${k}`);
    sync();
    await pair(
      () => checkpointCampaign(ctx, campaign.id, { message: 'ten files of the big repo' }),
      () => bigFloorSnapshot(big),
      'checkpoint',
      'floorCheckpoint',
    );
    // as `codecontext rollback` plans: its run starts from these captures where they prove current
    const [planS, plan] = await timed(() => planRollback(ctx, { campaign: campaign.id }, [], { keepCaptures: true }));
    sync();
    const [execS, record] = await timed(() => executeRollback(ctx, plan));
    await releaseCaptures(plan);
    t.plan.push(planS);
    t.execute.push(execS);
    t.rollback.push(planS + execS);
    sync();
    t.undo.push((await timed(() => undoRollback(ctx, record.id)))[0]);
    sync();
    // the campaign's state again (the undo's), reset the floor's way
    t.floorReset.push(await bigFloorReset(big));
  }
  const result: MixedResult = { files, small, runs, seconds: t };
  // a store of its own: the rounds' campaigns, active again after their undo, are not the server's to watch
  if (watch) await benchWatch(root, big, files, new Store(path.join(base, 'watch-store')), runs, watch.idleSeconds, result, log);
  return result;
}

/** Issue 23's measures with the real server: auto-checkpoint latency against its floor, then idle CPU. */
export async function benchWatch(
  root: string,
  big: string,
  files: number,
  store: Store,
  runs: number,
  idleSeconds: number,
  result: MixedResult,
  log: (s: string) => void,
): Promise<void> {
  const campaign = await startCampaign({ store, parallelism: 8 }, 'watched', [root]);
  const server = await TestServer.start({
    folders: [root],
    store: store.dir,
    autoCheckpoint: true,
    settings: { autoCheckpointDebounce: watchDebounceSeconds },
  });
  try {
    const watching = await server.nextLog(new RegExp(`watching .* of ${campaign.id}`), 600_000);
    log(watching);
    result.seconds.watchLatency = [];
    result.seconds.floorWatch = [];
    for (let k = 0; k < runs; k++) {
      const step = server.nextLog(new RegExp(`auto checkpoint: step ${k + 1} of watched`), 600_000);
      await editBigRepo(big, files, `watched ${k}`);
      const quietFrom = performance.now();
      await step;
      result.seconds.watchLatency.push(Math.max(0, (performance.now() - quietFrom) / 1000 - watchDebounceSeconds));
      sync();
      result.seconds.floorWatch.push(await bigFloorSnapshot(big));
    }
    // idle: nothing writes; what the server spends is its watchers' and timers' alone
    sync();
    const before = treeCpuSeconds(server.child.pid!);
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    result.idle = { seconds: idleSeconds, cpuSeconds: treeCpuSeconds(server.child.pid!) - before, watching };
  } finally {
    await server.stop();
  }
}

/**
 * Peak RSS of the server watching a campaign of `repos` small repos, through one automatic
 * checkpoint after a write in one repo (repos the folder budget cut are captured, the rest only where
 * written): issue 23's third measure.
 */
export async function benchWatchRss(
  base: string,
  repos: number,
  parallelism: number,
  log: (s: string) => void,
): Promise<{ repos: number; peakRssMiB: number; watching: string; stepSeconds: number }> {
  const ws = await generateWorkspace(path.join(base, 'ws'), repos, 60, parallelism);
  const store = new Store(path.join(base, 'store'));
  const campaign = await startCampaign({ store, parallelism }, 'watched', [ws.root]);
  const server = await TestServer.start({
    folders: [ws.root],
    store: store.dir,
    autoCheckpoint: true,
    settings: { autoCheckpointDebounce: watchDebounceSeconds },
  });
  try {
    const watching = await server.nextLog(new RegExp(`watching .* of ${campaign.id}`), 600_000);
    log(watching);
    const step = server.nextLog(/auto checkpoint: step 1 of watched/, 600_000);
    fs.appendFileSync(path.join(ws.repos[0], 'src/mod0/file0.ts'), '// watched\n');
    const t = performance.now();
    await step;
    const stepSeconds = (performance.now() - t) / 1000 - watchDebounceSeconds;
    const kib = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))?.[1] ?? 0);
    return { repos, peakRssMiB: Math.round(kib / 1024), watching, stepSeconds };
  } finally {
    await server.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function mixedTable(r: MixedResult): string {
  const s = r.seconds;
  const row = (k: string) => `  ${k.padEnd(16)} ${s[k].map((x) => x.toFixed(2).padStart(6)).join(' ')}   median ${median(s[k]).toFixed(2)}`;
  // each ratio is of medians, ours and its floor timed in the same rounds
  const ratio = (a: string, b: string) => `${(median(s[a]) / median(s[b])).toFixed(2)}×`;
  const lines = [
    `one repo of ${r.files} files beside ${r.small} small ones, 10 files of it changed, ${r.runs} runs (seconds, each round)`,
    ...Object.keys(s).map(row),
    `  snapshot / floor: ${ratio('snapshot', 'floorSnapshot')} (goal ≤ 1.5×)   ` +
      `checkpoint of all ${r.small + 1} / floor: ${ratio('checkpoint', 'floorCheckpoint')}   ` +
      `rollback / floor: ${ratio('rollback', 'floorReset')} (goal ≤ 2×)   undo / rollback: ${ratio('undo', 'rollback')}`,
    `  (floorSnapshot, floorCheckpoint = git add -A && git write-tree on a copy of the big repo's index;`,
    `   floorReset = git reset --hard && git clean -fd there;`,
    `   rollback = plan + execute of the campaign, all ${r.small + 1} repos)`,
  ];
  if (s.watchLatency)
    lines.push(
      `  auto checkpoint (server, debounce ${watchDebounceSeconds} s), from quiet to step recorded / floor: ` +
        `${ratio('watchLatency', 'floorWatch')} (goal ≤ 1.5×)`,
    );
  if (r.idle) lines.push(`  server idle ${r.idle.seconds} s, watching on: ${r.idle.cpuSeconds.toFixed(2)} CPU s (goal < 0.5)   [${r.idle.watching}]`);
  return lines.join('\n');
}
