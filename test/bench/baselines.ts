import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CleanOptions, simpleGit } from 'simple-git';
import { promisify } from 'util';
import { gitRaw } from '../../server/src/engine/git/gitRunner';
import { mapLimit } from '../../server/src/engine/util/pool';
import { SnapshotManifest } from '../../server/src/engine/snapshot/snapshot';
import { gitEnv } from '../helpers/repoKit';

const run = promisify(execFile);

/**
 * What a user would script with simple-git, repo after repo: reset the branch hard to the
 * snapshot's commit and clean untracked files. (It does not bring back staged-only changes or
 * untracked files the snapshot had: it is the speed reference, not a correct rollback.)
 */
export async function naiveLoop(target: SnapshotManifest): Promise<void> {
  for (const r of target.repos) {
    const repo = simpleGit({ baseDir: r.path });
    await repo.reset(['--hard', r.head!]);
    await repo.clean(CleanOptions.FORCE + CleanOptions.RECURSIVE);
  }
}

/**
 * The plumbing floor: the fewest git commands that restore the same exact state (worktree,
 * index, branch), with the same parallelism — and no locks, checks, journal, snapshot or evidence.
 * `runner: 'engine'` starts them the way the engine does (its long-lived shells), so the ratio
 * measures our work, not how processes are started; `'execFile'` is one spawn per command.
 */
export async function plumbingFloor(target: SnapshotManifest, parallelism: number, runner: 'engine' | 'execFile' = 'engine'): Promise<void> {
  const exec = async (cwd: string, args: string[], env: Record<string, string> = {}) => {
    if (runner === 'engine') await gitRaw(cwd, args, { env });
    else await run('git', args, { cwd, env: { ...gitEnv, ...env } });
  };
  await mapLimit(target.repos, parallelism, async (r) => {
    const gitDir = path.join(r.path, '.git');
    const temp = path.join(gitDir, 'floor.index');
    fs.copyFileSync(path.join(gitDir, 'index'), temp);
    const env = { GIT_INDEX_FILE: temp };
    await exec(r.path, ['add', '-A'], env);
    await exec(r.path, ['read-tree', '-u', '--reset', r.worktree], env);
    await exec(r.path, ['read-tree', '--reset', r.index], env);
    fs.renameSync(temp, path.join(gitDir, 'index'));
    await exec(r.path, ['update-ref', r.ref!, r.head!]);
  });
}
