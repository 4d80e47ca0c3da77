import * as assert from 'assert';
import * as fs from 'fs';
import { Store } from '../../server/src/engine/store/store';
import { summariesOf } from '../../server/src/engine/store/summaryCache';
import { RepoKit } from '../helpers/repoKit';

describe('summary cache (store listings)', function () {
  const kit = new RepoKit();
  /** A racy window that has every file settled, however new (its ctime may equal the clock's now). */
  const settled = -60_000;
  afterEach(() => kit.cleanup());

  /** Lists `things/` with a summary that is the file's text, counting the files read. */
  function lister(store: Store, racyMs: number) {
    const read: string[] = [];
    const list = async () => {
      const listed = await summariesOf(
        store,
        'things',
        '.json',
        async (name) => {
          read.push(name);
          return fs.readFileSync(store.path('things', name), 'utf8');
        },
        racyMs,
      );
      return listed.map((x) => `${x.name}=${x.summary}`);
    };
    return { read, list };
  }

  it('reads a file again only when it changed, was added or was removed', async function () {
    const store = new Store(kit.tempDir('cc-store-'));
    fs.mkdirSync(store.path('things'));
    fs.writeFileSync(store.path('things', 'a.json'), 'A');
    fs.writeFileSync(store.path('things', 'b.json'), 'B');
    const { read, list } = lister(store, settled);
    assert.deepStrictEqual(await list(), ['a.json=A', 'b.json=B']);
    assert.deepStrictEqual(read.splice(0).sort(), ['a.json', 'b.json']);
    assert.deepStrictEqual(await list(), ['a.json=A', 'b.json=B']);
    assert.deepStrictEqual(read.splice(0).sort(), [], 'unchanged files come from the cache');

    fs.writeFileSync(store.path('things', 'a.json'), 'Z'); // the same size
    fs.rmSync(store.path('things', 'b.json'));
    fs.writeFileSync(store.path('things', 'c.json'), 'C');
    assert.deepStrictEqual(await list(), ['a.json=Z', 'c.json=C']);
    assert.deepStrictEqual(read.splice(0).sort(), ['a.json', 'c.json']);
    const cache = JSON.parse(fs.readFileSync(store.path('things', '.summaries.json'), 'utf8'));
    assert.deepStrictEqual(Object.keys(cache.entries).sort(), ['a.json', 'c.json'], 'a removed file leaves the cache');
  });

  it('rebuilds a cache that is not valid JSON, and keeps listing when it cannot be written', async function () {
    const store = new Store(kit.tempDir('cc-store-'));
    fs.mkdirSync(store.path('things'));
    fs.writeFileSync(store.path('things', 'a.json'), 'A');
    const { read, list } = lister(store, settled);
    await list();
    fs.writeFileSync(store.path('things', '.summaries.json'), '{"format":1,"entr');
    assert.deepStrictEqual(await list(), ['a.json=A']);
    assert.deepStrictEqual(read.splice(0).sort(), ['a.json', 'a.json']);
    assert.ok(JSON.parse(fs.readFileSync(store.path('things', '.summaries.json'), 'utf8')).entries['a.json']);

    fs.rmSync(store.path('things', '.summaries.json'));
    fs.mkdirSync(store.path('things', '.summaries.json')); // in the way of the cache's rename
    assert.deepStrictEqual(await list(), ['a.json=A']);
    assert.deepStrictEqual(await list(), ['a.json=A']);
    assert.deepStrictEqual(read.splice(0).sort(), ['a.json', 'a.json']);
  });

  it('does not trust a file changed within the racy window: its next version could carry the same stamps', async function () {
    const store = new Store(kit.tempDir('cc-store-'));
    fs.mkdirSync(store.path('things'));
    fs.writeFileSync(store.path('things', 'a.json'), 'A');
    const { read, list } = lister(store, 60_000);
    await list();
    await list();
    assert.deepStrictEqual(read.sort(), ['a.json', 'a.json']);
    assert.ok(!fs.existsSync(store.path('things', '.summaries.json')), 'nothing settled, nothing cached');
  });
});
