import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { AppendLog, encodeLine, lastEntry, readLog } from '../../server/src/engine/store/appendLog';
import { RepoKit } from '../helpers/repoKit';

/**
 * The journal's log (store/appendLog.ts): whether a journal ended is read from its tail alone
 * (`lastEntry`), and must say "read it all" whenever the tail cannot answer; an unsynced entry is
 * written all the same, and synced by the next synced one.
 */
describe('append log: the tail read and unsynced entries', () => {
  const kit = RepoKit.forSuite();

  it('reads the last entry from the tail only when the file ends in a whole, good one', async () => {
    const dir = kit.tempDir();
    const file = (name: string, text: string) => (fs.writeFileSync(path.join(dir, name), text), path.join(dir, name));
    const begin = encodeLine({ t: 'begin', rb: 'rb_1' });
    const end = encodeLine({ t: 'end', outcome: 'committed' });
    assert.deepStrictEqual(await lastEntry(file('ended', begin + end)), { t: 'end', outcome: 'committed' });
    assert.deepStrictEqual(await lastEntry(file('open', begin)), { t: 'begin', rb: 'rb_1' });
    assert.strictEqual(await lastEntry(file('torn', begin + end.slice(0, -5))), undefined, 'no final newline');
    assert.strictEqual(await lastEntry(file('damaged', begin + end.replace('committed', 'committeD'))), undefined, 'checksum');
    assert.strictEqual(await lastEntry(file('empty', '')), undefined);
    // a last line longer than the tail read: the whole log must be read
    const long = encodeLine({ t: 'end', detail: 'x'.repeat(70 * 1024) });
    assert.strictEqual(await lastEntry(file('long', begin + long)), undefined);
    assert.strictEqual((await readLog<{ t: string }>(path.join(dir, 'long'))).entries[1].t, 'end');
    // not a file: left to the whole read, which names what it is (and a FIFO is never waited on)
    fs.symlinkSync(path.join(dir, 'ended'), path.join(dir, 'link'));
    assert.strictEqual(await lastEntry(path.join(dir, 'link')), undefined);
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    assert.strictEqual(await lastEntry(path.join(dir, 'fifo')), undefined);
    assert.strictEqual(await lastEntry(path.join(dir, 'missing')), undefined);
    // the only line, shorter than the tail: read whole
    assert.deepStrictEqual(await lastEntry(file('one', end)), { t: 'end', outcome: 'committed' });
  });

  it('writes an unsynced entry at once, in order with synced ones', async () => {
    const f = path.join(kit.tempDir(), 'j.jsonl');
    const log = await AppendLog.open<{ t: string; n: number }>(f);
    try {
      await log.append({ t: 'begin', n: 0 });
      await log.append({ t: 'done', n: 1 }, { sync: false });
      assert.deepStrictEqual(
        (await readLog<{ n: number }>(f)).entries.map((e) => e.n),
        [0, 1],
      );
      await Promise.all([log.append({ t: 'done', n: 2 }, { sync: false }), log.append({ t: 'end', n: 3 })]);
      assert.deepStrictEqual(
        (await readLog<{ n: number }>(f)).entries.map((e) => e.n),
        [0, 1, 2, 3],
      );
    } finally {
      await log.close();
    }
  });
});
