import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkpointCampaign, startCampaign } from '../../server/src/engine/campaign/campaign';
import { GitSpawnMode, gitProcessCount, gitRaw, gitSpawnMode, setGitSpawnMode } from '../../server/src/engine/git/gitRunner';
import { planRollback } from '../../server/src/engine/rollback/plan/plan';
import { executeRollback } from '../../server/src/engine/rollback/tx/transaction';
import { undoRollback } from '../../server/src/engine/rollback/tx/undo';
import { createSnapshot } from '../../server/src/engine/snapshot/snapshot';
import { Store } from '../../server/src/engine/store/store';
import { RollbackExecuteRequest, RollbackPreviewRequest } from '../../server/src/protocol';
import { TestServer } from '../server/serverKit';
import { applyCampaign, generateWorkspace } from './workspace';

/**
 * `npm run bench -- --spawn-ab` (issue 27, item 4): the same engine phases with git started both
 * ways in one run: through the long-lived shells (`shells`, git/shellPool.ts, the default) and from
 * the process itself (`direct`, CODECONTEXT_GIT_SPAWN=direct). Each round runs both arms, in turns
 * (shells first in odd rounds, direct first in even ones), each on a freshly generated workspace:
 * snapshot, plan and rollback in this process, then preview + execute through a server process
 * started in that arm's mode. Beside the times, what one git process costs to start in each arm (the
 * engine's own gitRaw of `git --version`, median of 20) at the arm's start and once its phases ran,
 * at the RSS this process then holds: direct grows with the RSS, shells should not.
 */

const phases = ['snapshot', 'plan', 'rollback', 'server'] as const;
type Phase = (typeof phases)[number];
const modes: GitSpawnMode[] = ['shells', 'direct'];

/** One git process's start as the engine pays it now, and the RSS it was paid at. */
interface SpawnPoint {
  ms: number;
  rssMiB: number;
}

interface Arm {
  seconds: Record<Phase, number[]>;
  gitProcessesPerRepo: Partial<Record<Phase, number>>;
  spawnAtStart: SpawnPoint[];
  spawnAtPeak: SpawnPoint[];
  serverPeakRssMiB: number[];
}

export interface SpawnABResult {
  repos: number;
  files: number;
  runs: number;
  parallelism: number;
  /** Medians over the rounds. */
  shells: ArmSummary;
  direct: ArmSummary;
}

interface ArmSummary {
  seconds: Record<Phase, number>;
  gitProcessesPerRepo: Partial<Record<Phase, number>>;
  spawnAtStart: SpawnPoint;
  spawnAtPeak: SpawnPoint;
  serverPeakRssMiB: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rssMiB = () => Math.round(process.memoryUsage().rss / 2 ** 20);

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await fn();
  return [(performance.now() - t) / 1000, r];
}

function settle(): void {
  if (process.platform !== 'win32') spawnSync('sync');
}

async function spawnPoint(times = 20): Promise<SpawnPoint> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    await gitRaw(os.tmpdir(), ['--version']);
    ms.push(performance.now() - t);
  }
  return { ms: median(ms), rssMiB: rssMiB() };
}

export async function benchSpawnAB(
  base: string,
  repoCount: number,
  files: number,
  runs: number,
  parallelism: number,
  log: (s: string) => void,
): Promise<SpawnABResult> {
  const store = new Store(path.join(base, 'store'));
  const ctx = { store, parallelism };
  const newArm = (): Arm => ({
    seconds: { snapshot: [], plan: [], rollback: [], server: [] },
    gitProcessesPerRepo: {},
    spawnAtStart: [],
    spawnAtPeak: [],
    serverPeakRssMiB: [],
  });
  const arms: Record<GitSpawnMode, Arm> = { shells: newArm(), direct: newArm() };
  const before = gitSpawnMode();
  let made = 0;
  try {
    for (let k = 0; k < runs; k++) {
      for (const mode of k % 2 === 0 ? modes : [...modes].reverse()) {
        const arm = arms[mode];
        // the workspace is made the default way; only the timed phases run in the arm's mode
        setGitSpawnMode(before);
        const [genS, ws] = await timed(() => generateWorkspace(path.join(base, `ws-${made++}`), repoCount, files, parallelism));
        log(`run ${k + 1}/${runs}, ${mode}: generated ${repoCount} repos × ${files} files in ${genS.toFixed(1)} s`);
        const campaign = await startCampaign(ctx, `spawn-ab ${made}`, [ws.root]);
        await applyCampaign(ws, parallelism);
        await checkpointCampaign(ctx, campaign.id, { message: 'bench campaign' });

        setGitSpawnMode(mode);
        arm.spawnAtStart.push(await spawnPoint());
        const phase = async <T>(name: Phase, fn: () => Promise<T>): Promise<T> => {
          settle();
          const procs = gitProcessCount();
          const [s, r] = await timed(fn);
          arm.seconds[name].push(s);
          arm.gitProcessesPerRepo[name] = (gitProcessCount() - procs) / repoCount;
          return r;
        };
        await phase('snapshot', () => createSnapshot(store, ws.repos, { parallelism }));
        const plan = await phase('plan', () => planRollback(ctx, { campaign: campaign.id }));
        const record = await phase('rollback', () => executeRollback(ctx, plan));
        arm.spawnAtPeak.push(await spawnPoint());
        // back to the campaign's end state for the server's rollback (untimed)
        await undoRollback(ctx, record.id);

        settle();
        const server = await TestServer.start({ folders: [ws.root], store: store.dir, env: { CODECONTEXT_GIT_SPAWN: mode } });
        try {
          const [s] = await timed(async () => {
            const preview = await server.request(RollbackPreviewRequest, { campaign: campaign.id });
            return server.request(RollbackExecuteRequest, { plan: preview.hash });
          });
          arm.seconds.server.push(s);
          const kib = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))?.[1] ?? 0);
          arm.serverPeakRssMiB.push(Math.round(kib / 1024));
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    setGitSpawnMode(before);
  }
  const summary = (a: Arm): ArmSummary => ({
    seconds: Object.fromEntries(phases.map((p) => [p, median(a.seconds[p])])) as Record<Phase, number>,
    gitProcessesPerRepo: a.gitProcessesPerRepo,
    spawnAtStart: { ms: median(a.spawnAtStart.map((x) => x.ms)), rssMiB: median(a.spawnAtStart.map((x) => x.rssMiB)) },
    spawnAtPeak: { ms: median(a.spawnAtPeak.map((x) => x.ms)), rssMiB: median(a.spawnAtPeak.map((x) => x.rssMiB)) },
    serverPeakRssMiB: median(a.serverPeakRssMiB),
  });
  return { repos: repoCount, files, runs, parallelism, shells: summary(arms.shells), direct: summary(arms.direct) };
}

export function spawnABTable(r: SpawnABResult): string {
  const f = (x: number) => x.toFixed(2).padStart(8);
  const rows = phases.map(
    (p) =>
      `  ${p.padEnd(9)} ${f(r.shells.seconds[p])} ${f(r.direct.seconds[p])}   ${(r.direct.seconds[p] / r.shells.seconds[p]).toFixed(2)}×` +
      `   git processes per repo: ${r.shells.gitProcessesPerRepo[p] ?? '-'} / ${r.direct.gitProcessesPerRepo[p] ?? '-'}`,
  );
  const spawn = (a: ArmSummary) =>
    `${a.spawnAtStart.ms.toFixed(1)} ms at ${a.spawnAtStart.rssMiB} MiB, ${a.spawnAtPeak.ms.toFixed(1)} ms at ${a.spawnAtPeak.rssMiB} MiB`;
  return [
    `spawn A/B: ${r.repos} repos × ${r.files} files, ${r.runs} runs (both arms each run, in turns), parallelism ${r.parallelism}`,
    `  phase       shells   direct   direct/shells   (seconds, medians; server = preview + execute in a server process of that mode)`,
    ...rows,
    `  one git process (the engine's gitRaw of git --version, median of 20), at the arm's start and after its rollback:`,
    `    shells: ${spawn(r.shells)}`,
    `    direct: ${spawn(r.direct)}`,
    `  server peak RSS: shells ${r.shells.serverPeakRssMiB} MiB, direct ${r.direct.serverPeakRssMiB} MiB`,
  ].join('\n');
}
