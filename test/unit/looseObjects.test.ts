import * as assert from 'assert';
import { treeOps } from '../../server/src/engine/rollback/plan/fileOps';
import { readObjects } from '../../server/src/engine/git/objectReader';
import { RepoKit, changeEveryKind, seedEveryKind } from '../helpers/repoKit';

/**
 * Loose objects are read in Node and packed ones by git: the answers must not depend on which.
 * Each case is asked while the objects are loose, then again after `git gc` packed them.
 */
describe('loose objects read in Node, packed ones by git', () => {
  const kit = RepoKit.forSuite();

  it('tree changes and object contents are the same before and after gc', async () => {
    const r = seedEveryKind(kit.repo(kit.tempDir()));
    r.git('add', '-A');
    r.git('commit', '-q', '-m', 'seed');
    const from = r.git('rev-parse', 'HEAD^{tree}');
    changeEveryKind(r, true);
    const to = r.git('rev-parse', 'HEAD^{tree}');
    const blobs = r.git('ls-tree', '-r', '--format=%(objectname)', to).split('\n');
    const names = [...blobs, `${r.head()}^{commit}`, '0123456789012345678901234567890123456789'];

    const looseOps = await treeOps(r.dir, from, to);
    const looseObjects = await readObjects(r.dir, names);
    r.git('gc', '-q', '--prune=now');
    assert.deepStrictEqual(await treeOps(r.dir, from, to), looseOps);
    assert.deepStrictEqual(await readObjects(r.dir, names), looseObjects);

    assert.deepStrictEqual(
      looseOps.map((o) => `${o.action} ${o.path}`),
      [
        'write a.txt',
        'write dir/new.txt',
        'delete dir/old.txt',
        'delete gone.txt',
        'write img.bin',
        'write link',
        'write new.txt',
        'write newdir/made.txt',
        'chmod tool.sh',
      ],
    );
    assert.strictEqual(looseObjects.get(names.at(-1)!), undefined);
    assert.strictEqual(looseObjects.get(names.at(-2)!)!.type, 'commit');
  });
});
