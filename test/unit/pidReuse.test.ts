import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { removeDeadLeftovers } from '../../server/src/engine/repo/repoState';
import { processStartTime, processTag } from '../../server/src/engine/util/processes';
import { RepoKit } from '../helpers/repoKit';

/**
 * A killed process's temporary files are swept even once its pid belongs to another process: the
 * names carry the owner's start time, and a live process with the same pid but another start time
 * is not their owner. (A long test run, or a busy machine, wraps pid_max; the crash matrix saw it.)
 */
describe('leftovers of a killed process whose pid was reused', function () {
  const kit = RepoKit.forSuite();

  it('are swept; this process’s own files and files of a live owner are kept', function () {
    if (processStartTime(process.pid) === undefined) this.skip(); // no /proc: names carry the pid alone
    const gitDir = kit.tempDir('cc-gitdir-');
    const parent = process.ppid; // alive, and started before this process
    const names = {
      ours: `codecontext-${processTag()}-aaaa1111`,
      liveOwner: `codecontext-${parent}-t${processStartTime(parent)}-bbbb2222`,
      reusedPid: `codecontext-${parent}-t1-cccc3333`,
      ourPidEarlierProcess: `codecontext-${process.pid}-t1-dddd4444`,
      oldFormatLive: `codecontext-${parent}-eeee5555`,
    };
    for (const n of Object.values(names)) fs.writeFileSync(path.join(gitDir, n), 'x');
    removeDeadLeftovers(gitDir);
    assert.deepStrictEqual(fs.readdirSync(gitDir).sort(), [names.liveOwner, names.oldFormatLive, names.ours].sort());
  });
});
