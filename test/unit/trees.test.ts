import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { emptyTree } from '../../server/src/engine/git/gitRunner';
import { changeRecords } from '../../server/src/engine/git/treeChanges';
import { buildTree, diffTrees, listTree } from '../../server/src/engine/git/trees';
import { decodePath } from '../../server/src/engine/util/pathBytes';
import { RepoKit, changeEveryKind, seedEveryKind } from '../helpers/repoKit';

/**
 * The one tree layer (git/trees.ts): a listing and a diff read from loose objects in Node must be
 * what git itself says once the objects are packed; a built tree is what git would build.
 */
describe('the tree layer', () => {
  const kit = RepoKit.forSuite();
  const oddName = Buffer.from([0x6e, 0xff, 0x2e, 0x74, 0x78, 0x74]); // "n\xff.txt": not UTF-8

  function seeded() {
    const r = seedEveryKind(kit.repo(kit.tempDir()));
    fs.writeFileSync(Buffer.concat([Buffer.from(r.dir + '/'), oddName]), 'bytes for a name\n');
    r.git('add', '-A');
    r.git('update-index', '--add', '--cacheinfo', `160000,${r.head()},vendor/lib`);
    r.git('commit', '-q', '-m', 'seed');
    return { r, from: r.git('rev-parse', 'HEAD^{tree}') };
  }

  it('lists and diffs the same from loose objects and, after gc, from git; the empty tree has nothing', async () => {
    const { r, from } = seeded();
    changeEveryKind(r, true);
    const to = r.git('rev-parse', 'HEAD^{tree}');
    const loose = { list: await listTree(r.dir, from), diff: await diffTrees(r.dir, from, to) };
    r.git('gc', '-q', '--prune=now');
    assert.deepStrictEqual(await listTree(r.dir, from), loose.list);
    assert.deepStrictEqual(await diffTrees(r.dir, from, to), loose.diff);

    const odd = decodePath(oddName);
    assert.ok(
      loose.list.some((e) => e.path === odd),
      'a name that is not UTF-8 keeps its bytes',
    );
    assert.deepStrictEqual(
      loose.list.filter((e) => e.type === 'commit').map((e) => e.path),
      ['vendor/lib'],
    );
    assert.deepStrictEqual(
      loose.diff.map((c) => `${c.kind} ${c.path}`),
      [
        'modified a.txt',
        'added dir/new.txt',
        'deleted dir/old.txt',
        'deleted gone.txt',
        'modified img.bin',
        'modified link',
        'added new.txt',
        'added newdir/made.txt',
        'mode tool.sh',
        'deleted vendor/lib',
      ],
    );
    assert.deepStrictEqual(await listTree(r.dir, emptyTree), []);
    assert.deepStrictEqual(await diffTrees(r.dir, emptyTree, emptyTree), []);
    assert.deepStrictEqual((await diffTrees(r.dir, emptyTree, from)).length, loose.list.length);
  });

  it('walks two loose trees folder by folder as git does: a file became a folder and back, names sort around "/", folders added and gone', async () => {
    const r = kit.repo(kit.tempDir());
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(r.dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(r.dir, rel), text);
    };
    // "a.b", "a/" and "a0" sort "a.b" < "a/" < "a0" in git's order; "x" is a file, then a folder
    for (const f of ['a.b', 'a/in.txt', 'a0', 'x', 'keep/same.txt', 'gone/deep/one.txt', 'gone/two.txt', 'y/was-folder.txt']) write(f, `${f}\n`);
    r.git('add', '-A');
    r.git('commit', '-q', '-m', 'before');
    const from = r.git('rev-parse', 'HEAD^{tree}');
    for (const f of ['x', 'y', 'gone']) fs.rmSync(path.join(r.dir, f), { recursive: true });
    for (const f of ['x/now-folder.txt', 'y', 'new/deep/three.txt', 'a/in2.txt', 'a.c']) write(f, `${f} new\n`);
    write('a0', 'a0 changed\n');
    fs.chmodSync(path.join(r.dir, 'a.b'), 0o755);
    r.git('add', '-A');
    r.git('commit', '-q', '-m', 'after');
    const to = r.git('rev-parse', 'HEAD^{tree}');
    const loose = { forth: await diffTrees(r.dir, from, to), back: await diffTrees(r.dir, to, from) };
    r.git('gc', '-q', '--prune=now');
    assert.deepStrictEqual(await diffTrees(r.dir, from, to), loose.forth);
    assert.deepStrictEqual(await diffTrees(r.dir, to, from), loose.back);
    assert.deepStrictEqual(
      loose.forth.map((c) => `${c.kind} ${c.path}`),
      [
        'mode a.b',
        'added a.c',
        'added a/in2.txt',
        'modified a0',
        'deleted gone/deep/one.txt',
        'deleted gone/two.txt',
        'added new/deep/three.txt',
        'deleted x',
        'added x/now-folder.txt',
        'added y',
        'deleted y/was-folder.txt',
      ],
    );
  });

  it('finds renames and counts lines when asked; sizes come from git', async () => {
    const { r, from } = seeded();
    changeEveryKind(r, true);
    const to = r.git('rev-parse', 'HEAD^{tree}');
    const records = await changeRecords(r.dir, from, to);
    const rename = records.find((c) => c.kind === 'renamed')!;
    assert.deepStrictEqual([rename.oldPath, rename.path], ['dir/old.txt', 'dir/new.txt']);
    const a = records.find((c) => c.path === 'a.txt')!;
    assert.deepStrictEqual([a.added, a.removed, a.binary], [1, 1, false]);
    assert.strictEqual(records.find((c) => c.path === 'img.bin')!.binary, true);
    const sized = await listTree(r.dir, from, true);
    assert.strictEqual(sized.find((e) => e.path === 'notes.txt')!.size, 'notes\n'.length);
    assert.strictEqual(sized.find((e) => e.path === 'vendor/lib')!.size, null);
  });

  it('builds a tree from a tree or from an index file, with entries set and removed, names as bytes', async () => {
    const { r, from } = seeded();
    const blob = r.git('hash-object', '-w', '--stdin');
    const edits = [
      { path: decodePath(oddName), entry: null },
      { path: 'dir/added.txt', entry: { mode: '100755', id: blob } },
    ];
    const built = await buildTree(r.dir, path.join(r.dir, '.git', 'cc-test'), { tree: from }, edits);
    const fromIndex = await buildTree(r.dir, path.join(r.dir, '.git', 'cc-test'), { indexFile: path.join(r.dir, '.git', 'index') }, edits);
    assert.strictEqual(fromIndex, built);
    const listed = await listTree(r.dir, built);
    assert.ok(!listed.some((e) => e.path === decodePath(oddName)));
    assert.deepStrictEqual(
      listed.find((e) => e.path === 'dir/added.txt'),
      { path: 'dir/added.txt', mode: '100755', type: 'blob', id: blob, size: null },
    );
    assert.strictEqual(await buildTree(r.dir, 'unused', { tree: from }, []), from);
    assert.deepStrictEqual(
      fs.readdirSync(path.join(r.dir, '.git')).filter((n) => n.startsWith('cc-test')),
      [],
      'no temporary index is left',
    );
  });
});
