import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { emptyTree } from '../../server/src/engine/git/gitRunner';
import { zeroId } from '../../server/src/engine/git/looseObjects';
import { patchMakes, reversePatch, treePatches } from '../../server/src/engine/git/patches';
import { diffTrees } from '../../server/src/engine/git/trees';
import { decodePath, encodePath } from '../../server/src/engine/util/pathBytes';
import { RepoKit, gitEnv } from '../helpers/repoKit';

/**
 * The one diff producer (git/patches.ts): its text is git's own, byte for byte; each file's part
 * names the file exactly (bytes, not git's quoting); and the text applies, giving the other tree.
 */
describe('the diff producer', () => {
  const kit = RepoKit.forSuite();
  const oddName = Buffer.from([0x6e, 0xff, 0x2e, 0x74, 0x78, 0x74]); // "n\xff.txt": not UTF-8

  function twoTrees() {
    const r = kit.repo(kit.tempDir(), {
      'a.txt': Array.from({ length: 20 }, (_, i) => `line ${i + 1}\n`).join(''),
      'dashes.txt': '-- not a header\nkeep\n',
      'tab\there.txt': 'quoted by git\n',
      'becomes link.txt': 'a file, then a symlink\n',
      'tool.sh': '#!/bin/sh\n',
      'gone.txt': 'bye\n',
      'img.bin': '\0PNG\x01',
    });
    fs.writeFileSync(Buffer.concat([Buffer.from(r.dir + '/'), oddName]), 'bytes for a name\n');
    r.commitAll('odd name');
    const from = r.git('rev-parse', 'HEAD^{tree}');
    r.write('a.txt', r.read('a.txt').toString().replace('line 3\n', 'diff --git a/x b/x\n').replace('line 17\n', ''))
      .write('dashes.txt', 'keep\n')
      .write('tab\there.txt', 'still quoted\n')
      .write('new.txt', 'hello\nno newline at the end')
      .write('img.bin', '\0PNG\x02')
      .remove('gone.txt')
      .remove('becomes link.txt')
      .symlink('becomes link.txt', 'a.txt');
    fs.chmodSync(r.file('tool.sh'), 0o755);
    fs.writeFileSync(Buffer.concat([Buffer.from(r.dir + '/'), oddName]), 'other bytes\n');
    r.commitAll('every kind');
    return { r, from, to: r.git('rev-parse', 'HEAD^{tree}') };
  }

  it("writes git's own text, cut per file with exact names and line counts", async () => {
    const { r, from, to } = twoTrees();
    const patches = await treePatches(r.dir, from, to);
    const gits = execFileSync('git', ['diff-tree', '-r', '-p', '--full-index', '--no-renames', from, to], { cwd: r.dir, env: gitEnv }).toString('utf8');
    assert.strictEqual(patches.map((p) => p.text).join(''), gits.slice(gits.indexOf('diff --git ')), 'byte for byte what git prints');
    assert.deepStrictEqual(
      patches.map((p) => p.change.path),
      (await diffTrees(r.dir, from, to)).map((c) => c.path).sort(),
      'one part per changed file',
    );
    const by = (p: string) => patches.find((x) => x.change.path === p)!;
    assert.match(by(decodePath(oddName)).text, /^\+other bytes$/m, 'a name that is not UTF-8 is found by its bytes');
    assert.match(by('tab\there.txt').text, /^diff --git "a\/tab\\there\.txt"/);
    assert.strictEqual(by('becomes link.txt').text.match(/^diff --git /gm)?.length, 2, 'a type change: deletion and creation, one file');
    assert.deepStrictEqual([by('dashes.txt').change.added, by('dashes.txt').change.removed], [0, 1], 'a removed line "-- x" is a line, not a header');
    assert.deepStrictEqual([by('a.txt').change.added, by('a.txt').change.removed], [1, 2]);
    assert.strictEqual(by('img.bin').change.binary, true);
    assert.strictEqual(by('tool.sh').change.kind, 'mode');
    const numstat = execFileSync('git', ['diff-tree', '-r', '--numstat', '--no-renames', from, to], { cwd: r.dir, env: gitEnv, encoding: 'utf8' });
    const added = numstat
      .trim()
      .split('\n')
      .reduce((n, l) => n + (Number(l.split('\t')[0]) || 0), 0);
    assert.strictEqual(
      patches.reduce((n, p) => n + p.change.added, 0),
      added,
      "added lines agree with git's numstat",
    );
  });

  it('reads output far larger than one pipe read: each file cut where its diff starts, a huge one and a "\\rdiff --git" line whole', async () => {
    const files: Record<string, string> = { 'huge.txt': 'old\n'.repeat(200_000), 'cr.txt': 'x\n' };
    for (let i = 0; i < 3000; i++) files[`d${i % 9}/f${i}.txt`] = `file ${i}\n`;
    const r = kit.repo(kit.tempDir(), files);
    const from = r.git('rev-parse', 'HEAD^{tree}');
    for (let i = 0; i < 3000; i++) r.write(`d${i % 9}/f${i}.txt`, `file ${i} changed\n`);
    r.write('huge.txt', 'new\n'.repeat(200_000)).write('cr.txt', 'x\rdiff --git a/cr.txt b/cr.txt\n');
    r.commitAll('many');
    const to = r.git('rev-parse', 'HEAD^{tree}');
    const patches = await treePatches(r.dir, from, to);
    const gits = execFileSync('git', ['diff-tree', '-r', '-p', '--full-index', '--no-renames', from, to], {
      cwd: r.dir,
      env: gitEnv,
      maxBuffer: 1 << 28,
    }).toString('utf8');
    assert.ok(gits.length > 1_000_000, 'many pipe reads');
    assert.strictEqual(patches.length, 3002);
    assert.strictEqual(patches.map((p) => p.text).join(''), gits.slice(gits.indexOf('diff --git ')), 'byte for byte what git prints');
    for (const p of patches) assert.ok(p.text.startsWith('diff --git ') && !p.text.includes('\ndiff --git '), p.change.path);
    const by = (p: string) => patches.find((x) => x.change.path === p)!;
    assert.deepStrictEqual([by('huge.txt').change.added, by('huge.txt').change.removed], [200_000, 200_000]);
    assert.deepStrictEqual([by('cr.txt').change.added, by('cr.txt').change.removed], [1, 1]);
    assert.deepStrictEqual([by('d1/f1000.txt').change.added, by('d1/f1000.txt').change.removed], [1, 1]);
  });

  it('applies: the text from one tree to another, given to git apply, makes the other tree', async () => {
    const { r, from, to } = twoTrees();
    // binary parts say only "differ"; leave the binary file out of the round trip
    const text = (await treePatches(r.dir, to, from))
      .filter((p) => !p.change.binary)
      .map((p) => p.text)
      .join('');
    const patchFile = path.join(kit.tempDir(), 'inverse.patch');
    fs.writeFileSync(patchFile, text);
    const index = path.join(r.dir, '.git', 'cc-apply-test');
    const env = { ...gitEnv, GIT_INDEX_FILE: index };
    execFileSync('git', ['read-tree', to], { cwd: r.dir, env });
    execFileSync('git', ['apply', '--cached', patchFile], { cwd: r.dir, env });
    const binary = execFileSync('git', ['rev-parse', `${to}:img.bin`], { cwd: r.dir, env, encoding: 'utf8' }).trim();
    execFileSync('git', ['update-index', '--cacheinfo', `100644,${binary},img.bin`], { cwd: r.dir, env });
    const made = execFileSync('git', ['write-tree'], { cwd: r.dir, env, encoding: 'utf8' }).trim();
    fs.rmSync(index);
    const expected = (await diffTrees(r.dir, from, made)).map((c) => c.path);
    assert.deepStrictEqual(expected, ['img.bin'], 'every text file, mode, link and name as in the other tree');
  });

  it('puts a folder before every path when asked, rename lines included', async () => {
    const r = kit.repo(kit.tempDir(), { 'old name.txt': 'moves\n'.repeat(5) });
    const from = r.git('rev-parse', 'HEAD^{tree}');
    fs.renameSync(r.file('old name.txt'), r.file('new name.txt'));
    r.commitAll('rename');
    const [p] = await treePatches(r.dir, from, r.git('rev-parse', 'HEAD^{tree}'), { renames: true, under: 'svc' });
    assert.deepStrictEqual([p.change.kind, p.change.oldPath, p.change.path], ['renamed', 'old name.txt', 'new name.txt']);
    assert.match(p.text, /^diff --git a\/svc\/old name\.txt b\/svc\/new name\.txt$/m);
    assert.match(p.text, /^rename from svc\/old name\.txt$/m);
    assert.match(p.text, /^rename to svc\/new name\.txt$/m);
    assert.deepStrictEqual(await treePatches(r.dir, from, from), []);
    // from nothing (an unborn repo's tree, stored as the zero id or git's empty tree): every file is new
    for (const none of [emptyTree, zeroId]) {
      const made = await treePatches(r.dir, none, from);
      assert.deepStrictEqual(
        made.map((x) => [x.change.kind, x.change.path, x.change.added]),
        [['added', 'old name.txt', 5]],
      );
    }
  });
  // an undo's inverse diffs are its rollback's turned around (issue 24, item 2): no git process for them
  it("turns a file's part around without git: what git prints the other way, or a type change left to git", async () => {
    const { r, from, to } = twoTrees();
    const back = new Map((await treePatches(r.dir, to, from)).map((p) => [p.change.path, p.text]));
    const turned = (await treePatches(r.dir, from, to)).map((p) => [p.change.path, reversePatch(p.text)] as const);
    assert.deepStrictEqual(
      turned.filter(([, t]) => t === undefined).map(([p]) => p),
      ['becomes link.txt'],
      'only the type change (two parts in one) is left to git',
    );
    for (const [p, t] of turned) if (t !== undefined) assert.strictEqual(t, back.get(p), `${p}: what git prints from the other side`);
    // what it does not know is git's: a rename, a binary file made or removed, a hunk that does not add up
    assert.strictEqual(reversePatch('diff --git a/x b/y\nsimilarity index 100%\nrename from x\nrename to y\n'), undefined);
    assert.strictEqual(reversePatch('diff --git a/x b/x\nnew file mode 100644\nindex 0000000..e69de29\nBinary files /dev/null and b/x differ\n'), undefined);
    assert.strictEqual(reversePatch('diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -1,2 +1 @@\n-a\n+b\n'), undefined);
  });

  it('proves a part on its blobs: its index line names them and its hunks make the one from the other; an edited part fails', async () => {
    const { r, from, to } = twoTrees();
    const blob = (id: string | null) => (id ? execFileSync('git', ['cat-file', 'blob', id], { cwd: r.dir, env: gitEnv }) : undefined);
    const parts = (await treePatches(r.dir, from, to)).filter((p) => p.change.path !== 'becomes link.txt');
    for (const p of parts) {
      const { oldBlob, newBlob } = p.change;
      const contents = () => ({ from: blob(newBlob), to: blob(oldBlob) });
      assert.ok(patchMakes(reversePatch(p.text)!, newBlob, oldBlob, contents), `${p.change.path}: turned around`);
      assert.ok(
        patchMakes(p.text, oldBlob, newBlob, () => ({ from: blob(oldBlob), to: blob(newBlob) })),
        `${p.change.path}: as git wrote it`,
      );
      if (oldBlob && newBlob && oldBlob !== newBlob) assert.ok(!patchMakes(p.text, newBlob, oldBlob, contents), `${p.change.path}: the other way`);
    }
    const a = parts.find((p) => p.change.path === 'a.txt')!;
    const proves = (text: string) => patchMakes(text, a.change.oldBlob, a.change.newBlob, () => ({ from: blob(a.change.oldBlob), to: blob(a.change.newBlob) }));
    assert.ok(proves(a.text));
    assert.ok(!proves(a.text.replace('+diff --git a/x b/x', '+diff --git a/y b/y')), 'an added line edited');
    assert.ok(!proves(a.text.replace(' line 4\n', ' line four\n')), 'a context line edited');
    assert.ok(!proves(a.text.replace(/^@@ -(\d+)/m, (_, n: string) => `@@ -${Number(n) + 1}`)), 'a hunk moved');
  });

  it('turned around, applies exactly, wherever lines could pair several ways (a seeded mix of edits over few distinct lines)', async () => {
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    const line = () => ['x', 'y', '}', '', 'x y', '\r'][rand(6)] + '\n';
    const files: Record<string, string> = {};
    for (let f = 0; f < 60; f++) files[`f${f}.txt`] = Array.from({ length: 5 + rand(30) }, line).join('') + (f % 7 === 0 ? 'no end' : '');
    const r = kit.repo(kit.tempDir(), files);
    const from = r.git('rev-parse', 'HEAD^{tree}');
    for (let f = 0; f < 60; f++) {
      const lines = r
        .read(`f${f}.txt`)
        .toString()
        .split(/(?<=\n)/);
      for (let k = 0; k < 1 + rand(6); k++) {
        const at = rand(lines.length + 1);
        if (rand(2)) lines.splice(at, 1 + rand(3));
        else lines.splice(at, 0, ...Array.from({ length: 1 + rand(3) }, line));
      }
      r.write(`f${f}.txt`, lines.join('') + (f % 5 === 0 ? 'a new end' : ''));
    }
    r.write('made.txt', 'new\n').remove('f59.txt');
    r.commitAll('mixed');
    const to = r.git('rev-parse', 'HEAD^{tree}');
    const forward = await treePatches(r.dir, from, to);
    const text = forward.map((p) => reversePatch(p.text)!);
    assert.ok(text.every((t) => t !== undefined));
    // and each proves on its blobs, as an undo proves text read from an evidence pack
    const blob = (id: string | null) => (id ? execFileSync('git', ['cat-file', 'blob', id], { cwd: r.dir, env: gitEnv }) : undefined);
    for (const [i, p] of forward.entries()) {
      const { oldBlob, newBlob } = p.change;
      assert.ok(
        patchMakes(text[i], newBlob, oldBlob, () => ({ from: blob(newBlob), to: blob(oldBlob) })),
        p.change.path,
      );
    }
    const patchFile = path.join(kit.tempDir(), 'turned.patch');
    fs.writeFileSync(patchFile, encodePath(text.join('')));
    const env = { ...gitEnv, GIT_INDEX_FILE: path.join(r.dir, '.git', 'cc-turned-test') };
    execFileSync('git', ['read-tree', to], { cwd: r.dir, env });
    execFileSync('git', ['apply', '--cached', patchFile], { cwd: r.dir, env });
    assert.strictEqual(execFileSync('git', ['write-tree'], { cwd: r.dir, env, encoding: 'utf8' }).trim(), from, 'the other tree, exactly');
  });
});
