import * as assert from 'assert';
import { spawnSync } from 'child_process';
import { runCli } from '../helpers/repoKit';
import { ReposListRequest } from '../../server/src/protocol';
import { serverFixture } from './serverKit';

/**
 * The server's `codecontext.autoCheckpoint` (issue 23, item 1): an active campaign of the
 * workspace is checkpointed when another process writes its repos and they go quiet; the setting
 * off means no watching at all. Waits are for the server's own log lines and notifications.
 */
describe('server: automatic checkpoints', function () {
  describe('on (the default), debounce 0.2 s', function () {
    const f = serverFixture((kit) => kit.workspace(2, { 'a.txt': 'a\n' }), { autoCheckpoint: true, settings: { autoCheckpointDebounce: 0.2 } });

    it('a campaign started from the CLI is watched, and a write by a shell becomes step 1 with source auto', async function () {
      const camp = (JSON.parse(runCli(['campaign', 'start', 'agent', '--root', f.root, '--json'], { store: f.store }).stdout) as { id: string }).id;
      await f.server.nextLog(new RegExp(`watching 2 repos of ${camp}`));
      const changed = f.server.nextLog(/auto checkpoint: step 1 of agent \(1 repo changed\)/);
      spawnSync('sh', ['-c', 'printf "by a script\\n" > a.txt'], { cwd: f.repos[1].dir });
      await changed;
      const log = JSON.parse(runCli(['campaign', 'log', camp, '--json'], { store: f.store }).stdout) as {
        steps: { n: number; source?: string; reposChanged: number }[];
      };
      assert.deepStrictEqual(
        log.steps.map((s) => [s.n, s.source, s.reposChanged]),
        [[1, 'auto', 1]],
      );
    });
  });

  describe('off', function () {
    const f = serverFixture((kit) => kit.workspace(1, { 'a.txt': 'a\n' }), { autoCheckpoint: true, settings: { autoCheckpoint: false } });

    it('a campaign is not watched', async function () {
      // answered once the server is ready: its store watcher is in place
      await f.server.request(ReposListRequest, {});
      const heard = f.server.nextChange('campaigns', 10000);
      runCli(['campaign', 'start', 'agent', '--root', f.root], { store: f.store });
      await heard;
      await f.server.request(ReposListRequest, {});
      assert.ok(!f.server.log.some((m) => /auto checkpoint/.test(m)), f.server.log.join('\n'));
    });
  });
});
