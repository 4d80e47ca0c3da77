import { execFile, fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { checkpointCampaign, startCampaign } from '../../server/src/engine/campaign/campaign';
import { planRollback } from '../../server/src/engine/rollback/plan/plan';
import { executeRollback } from '../../server/src/engine/rollback/tx/transaction';
import { undoRollback } from '../../server/src/engine/rollback/tx/undo';
import { Store } from '../../server/src/engine/store/store';
import { defaultParallelism } from '../../server/src/engine/util/pool';
import { applyBigCampaign, generateBigRepo } from './workspace';

/**
 * The scale of one repo: a campaign that changed `files` files of a single repo, rolled back and
 * undone, each in a child process of its own so that its peak RSS is the work's alone (the
 * generator's and the campaign's memory stay in the parent). Memory per file is what grows here;
 * the many-repo bench cannot show it, as each repo there is small.
 */
export interface BigRepoResult {
  files: number;
  /** Seconds and peak RSS (MiB) of each child: plan + execute for the rollback, undo for the undo. */
  rollback: { seconds: number; peakRssMiB: number };
  undo: { seconds: number; peakRssMiB: number };
}

/** Runs `what` in a forked node, returning its wall time and its own peak RSS. */
function inChild(args: string[]): Promise<{ seconds: number; peakRssMiB: number; id: string }> {
  return new Promise((resolve, reject) => {
    // BIG_REPO_NODE_ARGS: node flags for the child, to profile it (e.g. --heap-prof, --max-old-space-size=500)
    const execArgv = process.env.BIG_REPO_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const child = fork(__filename, ['child', ...args], { execArgv, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`big-repo child ${args.join(' ')} exited ${code}: ${out}`))));
  });
}

export async function benchBigRepo(base: string, files: number, log: (s: string) => void): Promise<BigRepoResult> {
  const dir = path.join(base, 'big-repo');
  const storeDir = path.join(base, 'big-store');
  const ctx = { store: new Store(storeDir), parallelism: defaultParallelism };
  let t = performance.now();
  await generateBigRepo(dir, files);
  log(`generated one repo of ${files} files in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const campaign = await startCampaign(ctx, 'big repo', [dir]);
  t = performance.now();
  await applyBigCampaign(dir, files);
  await checkpointCampaign(ctx, campaign.id, { message: 'big campaign' });
  log(`campaign applied and checkpointed in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const { id, ...rollback } = await inChild([storeDir, 'rollback', campaign.id]);
  log(`rollback: ${rollback.seconds.toFixed(1)} s, peak RSS ${rollback.peakRssMiB} MiB`);
  const { id: _undoId, ...undo } = await inChild([storeDir, 'undo', id]);
  log(`undo: ${undo.seconds.toFixed(1)} s, peak RSS ${undo.peakRssMiB} MiB`);
  return { files, rollback, undo };
}

export function bigRepoTable(r: BigRepoResult): string {
  return [
    `one repo, ${r.files} files changed by the campaign (each measured in a child process of its own)`,
    `  rollback (plan + execute) ${r.rollback.seconds.toFixed(2).padStart(7)} s   peak RSS ${String(r.rollback.peakRssMiB).padStart(5)} MiB`,
    `  undo                      ${r.undo.seconds.toFixed(2).padStart(7)} s   peak RSS ${String(r.undo.peakRssMiB).padStart(5)} MiB`,
  ].join('\n');
}

async function child(storeDir: string, what: string, id: string): Promise<void> {
  const ctx = { store: new Store(storeDir), parallelism: defaultParallelism };
  const t = performance.now();
  const record = what === 'rollback' ? await executeRollback(ctx, await planRollback(ctx, { campaign: id })) : await undoRollback(ctx, id);
  if (record.outcome !== 'committed') throw new Error(`${what} did not commit: ${record.outcome}`);
  const seconds = (performance.now() - t) / 1000;
  // maxRSS is in KiB: the high-water mark of this process alone
  process.stdout.write(JSON.stringify({ seconds, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), id: record.id }));
}

const run = promisify(execFile);

/**
 * The change of issue 24's large-repo case: 10 files of a big repo's `files`, spread over it, 8
 * rewritten and 2 new. Deterministic for one `tag`: the same tag gives the same state again.
 */
export async function editBigRepo(dir: string, files: number, tag: string): Promise<void> {
  for (let i = 0; i < 8; i++) {
    const f = Math.floor((i * files) / 8) + 3;
    fs.writeFileSync(path.join(dir, `src/m${Math.floor(f / 100)}/f${f}.ts`), `export const edited = ${JSON.stringify(tag)}; // file ${f}\n`);
  }
  for (let i = 0; i < 2; i++) fs.writeFileSync(path.join(dir, `src/m0/new${i}.ts`), `export const added = ${JSON.stringify(tag)};\n`);
}

/**
 * The snapshot floor of a big repo (issue 24, item 4): the index copied (its time kept, as a
 * capture must), `git add -A` and `git write-tree` on the copy. Seconds; the repo is left as it was.
 */
export async function bigFloorSnapshot(dir: string): Promise<number> {
  const copy = path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), `cc-floor-${process.pid}.index`);
  const t = performance.now();
  const index = path.join(dir, '.git', 'index');
  fs.copyFileSync(index, copy);
  const st = fs.statSync(index);
  fs.utimesSync(copy, st.atime, st.mtime);
  const env = { ...process.env, GIT_INDEX_FILE: copy };
  await run('git', ['add', '-A'], { cwd: dir, env });
  await run('git', ['write-tree'], { cwd: dir, env });
  const s = (performance.now() - t) / 1000;
  fs.rmSync(copy, { force: true });
  return s;
}

/**
 * The rollback floor of a big repo: `git reset --hard && git clean -fd` (it restores neither
 * staged state nor untracked files the campaign changed; the yardstick). Seconds. The
 * repo's state is gone afterwards: the caller puts it back (editBigRepo with the same tag).
 */
export async function bigFloorReset(dir: string): Promise<number> {
  const t = performance.now();
  await run('git', ['reset', '-q', '--hard'], { cwd: dir });
  await run('git', ['clean', '-q', '-fd'], { cwd: dir });
  return (performance.now() - t) / 1000;
}

if (require.main === module && process.argv[2] === 'child') {
  child(process.argv[3], process.argv[4], process.argv[5]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
