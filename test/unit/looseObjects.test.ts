import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { writeLooseObjectFromFile } from '../../server/src/engine/git/looseObjects';
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

  it('a file stored in pieces is the blob git stores for its bytes, and reads back byte for byte', async () => {
    const r = kit.repo(kit.tempDir());
    const file = path.join(kit.tempDir(), 'pack.json');
    // larger than one read of a stream, and bytes that are not text
    const bytes = Buffer.concat([Buffer.from('{"a":"\u00e9"}\n'), Buffer.alloc(300_000, 0xff), Buffer.from([0, 1, 2])]);
    fs.writeFileSync(file, bytes);
    const objects = path.join(r.dir, '.git', 'objects');
    const id = await writeLooseObjectFromFile(objects, 'blob', file);
    assert.strictEqual(id, r.git('hash-object', file));
    assert.strictEqual(await writeLooseObjectFromFile(objects, 'blob', file), id, 'a second store finds it there');
    assert.ok((await readObjects(r.dir, [id])).get(id)!.content.equals(bytes));
    assert.strictEqual(r.git('fsck', '--no-dangling').trim(), '');
    assert.deepStrictEqual(
      fs.readdirSync(objects).filter((n) => n.startsWith('tmp_obj_')),
      [],
      'no temporary file left',
    );
  });
});
