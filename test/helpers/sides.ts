import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ownerAlive } from '../../server/src/engine/util/processes';
import { RepoFingerprint, TestRepo, spawnedPids } from './repoKit';

/**
 * The checks every crash and fault test ends with: each repo wholly on one side (as before, or at
 * the target), all on the same side, and nothing of ours left behind.
 */

/** Which side every repo is on; fails unless all are wholly on the same one. */
export function assertOneSide(
  repos: readonly TestRepo[],
  before: Record<string, RepoFingerprint>,
  target: Record<string, RepoFingerprint>,
  label: string,
): 'before' | 'target' {
  const sides = repos.map((r) => {
    const now = r.fingerprint();
    try {
      assert.deepStrictEqual(now, before[r.dir]);
      return 'before';
    } catch {
      assert.deepStrictEqual(now, target[r.dir], `${label}: ${r.dir} is neither wholly as before nor wholly at the target`);
      return 'target';
    }
  });
  assert.deepStrictEqual(new Set(sides).size, 1, `${label}: repos on different sides: ${sides.join(' ')}`);
  return sides[0];
}

/**
 * No lock and no temporary index of ours in any repo's git dir. A process killed while it was still
 * planning (before its journal began) leaves temporary indexes that no journal knows of until the
 * next recovery there: `planning` allows those, never a lock.
 */
export function assertNoLeftovers(repos: readonly TestRepo[], planning = false): void {
  for (const r of repos) {
    const gitDir = path.join(r.dir, '.git');
    // the stage folder stays between restores, but never with a file in it
    const left = fs.readdirSync(gitDir).filter((n) => n.endsWith('.lock') || (!planning && n.startsWith('codecontext-') && n !== 'codecontext-stage'));
    assert.deepStrictEqual(left, [], r.dir);
    const stage = path.join(gitDir, 'codecontext-stage');
    const staged = fs.existsSync(stage)
      ? (fs.readdirSync(stage, { recursive: true }) as string[]).filter((n) => !fs.statSync(path.join(stage, n)).isDirectory())
      : [];
    assert.deepStrictEqual(staged, [], `${r.dir}: files left in the stage folder`);
  }
  // temporary indexes on tmpfs: none of a process this run killed, once recovery ran (another
  // test run on the machine has dead processes of its own, which its own recovery sweeps)
  if (!planning && fs.existsSync('/dev/shm')) {
    const dead = fs.readdirSync('/dev/shm').filter((n) => {
      const m = /^codecontext-(\d+)-(?:t(\d+)-)?/.exec(n);
      const pid = Number(m?.[1]);
      // a pid reused by a later process since (a long run wraps pid_max) is not the killed one's
      return spawnedPids.has(pid) && !ownerAlive(pid, m?.[2]);
    });
    assert.deepStrictEqual(dead, [], 'temporary indexes of killed processes in /dev/shm');
  }
}
