import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as inspector from 'inspector';
import * as os from 'os';
import * as path from 'path';
import { checkpointCampaign, startCampaign } from '../../server/src/engine/campaign/campaign';
import { setGitLogger } from '../../server/src/engine/git/gitRunner';
import { planRollback } from '../../server/src/engine/rollback/plan/plan';
import { releaseCaptures } from '../../server/src/engine/rollback/plan/keptCaptures';
import { defaultParallelism } from '../../server/src/engine/util/pool';
import { createSnapshot } from '../../server/src/engine/snapshot/snapshot';
import { Store } from '../../server/src/engine/store/store';
import { executeRollback } from '../../server/src/engine/rollback/tx/transaction';
import { undoRollback } from '../../server/src/engine/rollback/tx/undo';
import { applyCampaign, generateBigRepo, generateWorkspace } from './workspace';
import { bigFloorReset, bigFloorSnapshot, editBigRepo } from './bigRepo';

/**
 * Where a rollback's time goes, for whoever works on speed (npm run bench gives the headline):
 * `tsc -b && node out/test/bench/profile.js [repos=100] [rollback|snapshot]` generates the bench
 * workspace, then plans, rolls back and undoes RUNS times (default 3), printing per phase (the undo's
 * plan, from its start to its prepare's, and its run's phases too) the wall
 * time, this process's CPU and its children's (git's) CPU, the best time of each phase, and git time
 * by subcommand. CPUPROF=1 writes profile.cpuprofile; COUNT_FS=1 counts fs calls by engine caller;
 * PAUSE=1 writes profile.pid and waits 2 s before measuring, for `perf record -p`, and prints when
 * each phase starts (ms since the epoch). COOL=S runs `sync` and waits S seconds before each rollback.
 *
 * The large-repo case (issue 24, items 4 and 6): `profile.js big [files=100000] [rollback|snapshot]`
 * profiles one repo of that many files with 10 changed: the snapshot (each run edits 10 files
 * first), or the rollback and its undo; each run also times its floor (`git add -A && git
 * write-tree` on a copy of the index, or `reset --hard && clean -fd` on a copy of the repo's
 * state). BIG_DIR=folder keeps the generated repo there between runs (made when absent).
 */
const big = process.argv[2] === 'big';
const n = Number(process.argv[big ? 3 : 2] ?? (big ? 100000 : 100));
const what = process.argv[big ? 4 : 3] ?? 'rollback';
async function main() {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `cc-prof-`));
  const store = new Store(path.join(base, 'store'));
  const ctx = { store, parallelism: defaultParallelism };
  let ws: { root: string; repos: string[] };
  if (big) {
    const dir = process.env.BIG_DIR ?? path.join(base, 'big');
    if (!fs.existsSync(path.join(dir, '.git'))) await generateBigRepo(dir, n);
    ws = { root: dir, repos: [dir] };
  } else ws = await generateWorkspace(path.join(base, 'ws'), n, 60, 8);
  const campaign = await startCampaign(ctx, 'bench', ws.repos);
  if (big) await editBigRepo(ws.root, n, 'profile');
  else await applyCampaign(ws, 8);
  await checkpointCampaign(ctx, campaign.id, { message: 'bench campaign' });
  const gitTimes = new Map<string, [number, number]>();
  setGitLogger((line) => {
    const m = /^git (?:(?:-c \S+|--[\w-]+=\S+) )*(\S+).* (\d+) ms/.exec(line);
    if (!m) return;
    const v = gitTimes.get(m[1]) ?? [0, 0];
    gitTimes.set(m[1], [v[0] + 1, v[1] + Number(m[2])]);
  });
  const session = new inspector.Session();
  session.connect();
  const post = (m: string, p?: object) => new Promise<{ profile?: unknown }>((res, rej) => session.post(m, p, (e, r) => (e ? rej(e) : res(r ?? {}))));
  if (process.env.CPUPROF) {
    await post('Profiler.enable');
    await post('Profiler.start');
  }
  const childCpu = () => {
    let ticks = 0;
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        if (Number(st[1]) === process.pid) ticks += Number(st[11]) + Number(st[12]) + Number(st[13]) + Number(st[14]);
      } catch {
        // the process ended between readdir and read
      }
    }
    return ticks * 10;
  };
  if (process.env.PAUSE) {
    fs.writeFileSync('profile.pid', String(process.pid));
    await new Promise((r) => setTimeout(r, 2000));
  }
  const fsCalls = new Map<string, number>();
  const count = (obj: Record<string, unknown>, prefix: string) => {
    for (const k of Object.keys(obj)) {
      const f = obj[k];
      if (typeof f !== 'function' || /^[A-Z]/.test(k) || k === 'constants') continue;
      const wrapped = function (this: unknown, ...a: unknown[]) {
        const caller =
          (new Error().stack ?? '')
            .split('\n')
            .slice(2)
            .find((l) => l.includes('/engine/')) ?? '?';
        const key = `${prefix}${k} ${caller
          .replace(/.*\/engine\//, '')
          .replace(/[()]/g, '')
          .replace(/:\d+$/, '')}`;
        fsCalls.set(key, (fsCalls.get(key) ?? 0) + 1);
        return f.apply(this, a);
      };
      try {
        Object.defineProperty(obj, k, { value: wrapped, configurable: true, writable: true });
      } catch {
        // a non-configurable property: left uncounted
      }
    }
  };
  if (process.env.COUNT_FS) {
    count(fs.promises as unknown as Record<string, unknown>, 'p.');
    count(fs as unknown as Record<string, unknown>, '');
  }
  const c0 = process.cpuUsage();
  const k0 = childCpu();
  const t0 = performance.now();
  const runs = Number(process.env.RUNS ?? 3);
  const best: Record<string, number> = {};
  const keep = (k: string, v: number) => (best[k] = Math.min(best[k] ?? Infinity, v));
  for (let k = 0; k < runs; k++) {
    if (what === 'snapshot') {
      if (big) await editBigRepo(ws.root, n, `run ${k}`);
      const ts = performance.now();
      await createSnapshot(store, ws.repos, { parallelism: 8 });
      keep('snapshot', performance.now() - ts);
      if (big) keep('floor (copied index: add -A, write-tree)', (await bigFloorSnapshot(ws.root)) * 1000);
      continue;
    }
    const tp = performance.now();
    // as `codecontext rollback` plans: its run starts from these captures where they prove current
    const plan = await planRollback(ctx, { campaign: campaign.id }, [], { keepCaptures: true });
    keep('plan', performance.now() - tp);
    if (process.env.COOL) {
      // a quiet start: written back, and the inodes freed by the runs before are older than COOL seconds
      spawnSync('sync');
      await new Promise((r) => setTimeout(r, Number(process.env.COOL) * 1000));
    }
    const tr = performance.now();
    let last = { phase: 'start', cpu: process.cpuUsage(), kids: childCpu(), t: performance.now() };
    const cpuLog: string[] = [];
    const mark = (phase: string) => {
      const now = { phase, cpu: process.cpuUsage(), kids: childCpu(), t: performance.now() };
      if (process.env.PAUSE) console.log(`at ${Date.now()} ${phase}`); // to line up with samples taken outside
      const d = process.cpuUsage(last.cpu);
      cpuLog.push(`${last.phase}: wall ${(now.t - last.t).toFixed(0)} node ${((d.user + d.system) / 1000).toFixed(0)} git ${now.kids - last.kids}`);
      last = now;
    };
    const rec = await executeRollback({ ...ctx, progress: (e) => e.done === 0 && mark(e.phase) }, plan);
    await releaseCaptures(plan);
    mark('end');
    if (k === runs - 1) console.log(cpuLog.join('\n'));
    keep('rollback', performance.now() - tr);
    for (const p of rec.phases) keep(p.name, p.ms ?? 0);
    // the undo (issue 24, item 2): its plan (a capture, the tree diffs, drift since the rollback) and its run, phase by phase
    const tu = performance.now();
    const cpuUndo: string[] = [];
    let lastUndo = { phase: 'undo plan', cpu: process.cpuUsage(), kids: childCpu(), t: performance.now() };
    let undoPlanned = 0;
    const markUndo = (phase: string) => {
      const now = { phase, cpu: process.cpuUsage(), kids: childCpu(), t: performance.now() };
      if (phase === 'undo prepare') undoPlanned = now.t - tu;
      const d = process.cpuUsage(lastUndo.cpu);
      cpuUndo.push(
        `${lastUndo.phase}: wall ${(now.t - lastUndo.t).toFixed(0)} node ${((d.user + d.system) / 1000).toFixed(0)} git ${now.kids - lastUndo.kids}`,
      );
      lastUndo = now;
    };
    const undo = await undoRollback({ ...ctx, progress: (e) => e.done === 0 && markUndo(`undo ${e.phase}`) }, rec.id);
    markUndo('end');
    if (k === runs - 1) console.log(cpuUndo.join('\n'));
    const undoMs = performance.now() - tu;
    keep('undo', undoMs);
    keep('undo plan', undoPlanned);
    keep('undo evidence', undoMs - undoPlanned - undo.phases.reduce((n, p) => n + (p.ms ?? 0), 0));
    for (const p of undo.phases) keep(`undo ${p.name}`, p.ms ?? 0);
    if (big) {
      keep('floor (reset --hard, clean -fd)', (await bigFloorReset(ws.root)) * 1000);
      await editBigRepo(ws.root, n, 'profile'); // the campaign's state again, for the next run
    }
  }
  console.log(
    Object.entries(best)
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(', '),
  );
  console.log('total', ((performance.now() - t0) / 1000).toFixed(2));
  const c1 = process.cpuUsage(c0);
  console.log(
    `node cpu ${((c1.user + c1.system) / 1000).toFixed(0)} ms (user ${(c1.user / 1000).toFixed(0)}, sys ${(c1.system / 1000).toFixed(0)}); ` +
      `shells+children ${childCpu() - k0} ms`,
  );
  if (process.env.CPUPROF) {
    const { profile } = await post('Profiler.stop');
    fs.writeFileSync('profile.cpuprofile', JSON.stringify(profile));
  }
  for (const [k, [c, ms]] of [...gitTimes].sort((a, b) => b[1][1] - a[1][1])) console.log(`git ${k}: ${c} × ${(ms / c).toFixed(1)} ms = ${ms} ms`);
  console.log(
    [...fsCalls]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 40)
      .map(([k, v]) => `${v} ${k}`)
      .join('\n'),
  );
  fs.rmSync(base, { recursive: true, force: true });
}
main();
