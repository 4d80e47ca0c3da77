import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { StoreWatcher } from '../../server/src/lsp/storeWatcher';
import { StoreKind } from '../../server/src/protocol';
import { writeFileAtomic } from '../../server/src/engine/store/store';
import { RepoKit } from '../helpers/repoKit';
import { collectBatches } from '../helpers/batches';

/**
 * The store watcher on the real file system, written to as the store is: every file replaced by a
 * rename (`writeFileAtomic`), again and again. The trees, the preview and the review follow every
 * writer (the CLI in a terminal, another window) only through it: a write it misses leaves a list stale
 * until the next unrelated write.
 */
describe('the store watcher (lsp/storeWatcher.ts)', () => {
  const kit = RepoKit.forSuite();
  let watcher: StoreWatcher | undefined;
  afterEach(() => watcher?.dispose());

  /** A started watcher whose batches are collected; `next(ms)` resolves with the next batch, or [] if none came. */
  async function watching(dir: string) {
    const errors: string[] = [];
    const { onChange, next } = collectBatches<StoreKind>();
    watcher = new StoreWatcher(dir, onChange, (m) => errors.push(m));
    await watcher.start();
    return { watcher, errors, next };
  }

  it('hears a store file each time it is replaced, not only the first (Node 20 emulates a recursive watch on Linux and missed the second)', async () => {
    const store = kit.tempDir('cc-store-');
    const record = path.join(store, 'rollbacks', 'rb_0123456789ab.json');
    await writeFileAtomic(record, '{"state":"prepared"}\n');
    const w = await watching(store);
    for (const state of ['committed', 'verified', 'undone']) {
      await writeFileAtomic(record, `{"state":"${state}"}\n`);
      assert.deepStrictEqual(await w.next(3000), ['rollbacks'], `the record written as ${state} was not heard`);
    }
    assert.deepStrictEqual(w.errors, []);
  });

  it('hears files in folders made after it started (a campaign’s comments), each write, and nothing for temp or lock files alone', async () => {
    const store = kit.tempDir('cc-store-');
    const w = await watching(store);
    const comments = path.join(store, 'campaigns', 'camp_0123456789ab', 'comments.json');
    await writeFileAtomic(comments, '[]\n');
    assert.deepStrictEqual(await w.next(3000), ['campaigns']);
    for (const n of [1, 2]) {
      await writeFileAtomic(comments, `[${n}]\n`);
      assert.deepStrictEqual(await w.next(3000), ['campaigns'], `comment write ${n} was not heard`);
    }
    await writeFileAtomic(path.join(store, 'snapshots', 'snap_0123456789abcdef.json'), '{}\n');
    assert.deepStrictEqual(await w.next(3000), ['snapshots']);
    fs.writeFileSync(path.join(store, 'campaigns', 'camp_0123456789ab.lock'), 'pid\n');
    fs.writeFileSync(path.join(store, 'snapshots', '.draft.tmp'), 'x\n');
    assert.deepStrictEqual(await w.next(600), [], 'a lock or temp file is nothing anyone can read');
    assert.deepStrictEqual(w.errors, []);
  });

  it('lets a removed folder go, and hears the one made again under its name', async () => {
    const store = kit.tempDir('cc-store-');
    const folder = path.join(store, 'rollbacks', 'rb_0123456789ab');
    await writeFileAtomic(path.join(folder, 'evidence-rb_0123456789ab.json'), '{}\n');
    const w = await watching(store);
    fs.rmSync(folder, { recursive: true });
    assert.deepStrictEqual(await w.next(3000), ['rollbacks']);
    await writeFileAtomic(path.join(folder, 'evidence-rb_0123456789ab.json'), '{"again":true}\n');
    assert.deepStrictEqual(await w.next(3000), ['rollbacks']);
    await writeFileAtomic(path.join(folder, 'evidence-rb_0123456789ab.json'), '{"again":2}\n');
    assert.deepStrictEqual(await w.next(3000), ['rollbacks'], 'a write in the folder made again');
    // removed and made again at once, a folder below it too: the old watches may not have heard the removal yet
    fs.rmSync(folder, { recursive: true });
    await writeFileAtomic(path.join(folder, 'sub', 'a.json'), '1\n');
    assert.deepStrictEqual(await w.next(3000), ['rollbacks']);
    for (const n of [2, 3]) {
      await writeFileAtomic(path.join(folder, 'sub', 'a.json'), `${n}\n`);
      assert.deepStrictEqual(await w.next(3000), ['rollbacks'], `write ${n} below the folder made again at once`);
    }
    assert.deepStrictEqual(w.errors, []);
  });
});
