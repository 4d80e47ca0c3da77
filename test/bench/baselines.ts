import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CleanOptions, simpleGit } from 'simple-git';
import { promisify } from 'util';
import { mapLimit } from '../../server/src/engine/pool';
import { SnapshotManifest } from '../../server/src/engine/snapshot';
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
 */
export async function plumbingFloor(target: SnapshotManifest, parallelism: number): Promise<void> {
  await mapLimit(target.repos, parallelism, async (r) => {
    const gitDir = path.join(r.path, '.git');
    const temp = path.join(gitDir, 'floor.index');
    fs.copyFileSync(path.join(gitDir, 'index'), temp);
    const env = { ...gitEnv, GIT_INDEX_FILE: temp };
    await run('git', ['add', '-A'], { cwd: r.path, env });
    await run('git', ['read-tree', '-u', '--reset', r.worktree], { cwd: r.path, env });
    await run('git', ['read-tree', '--reset', r.index], { cwd: r.path, env });
    fs.renameSync(temp, path.join(gitDir, 'index'));
    await run('git', ['update-ref', r.ref!, r.head!], { cwd: r.path, env: gitEnv });
  });
}
