import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { RepoKit, fingerprints, listFiles, runCli } from '../helpers/repoKit';

/**
 * Issue 21 item 5, the instance end to end: repo a commits first (it depends on b), and a's rolling
 * check moves b's folder outside and leaves a symlink in its place, after b was prepared. b's commit
 * must write nothing through it; the rollback aborts and a goes back.
 */
describe('rollback: a folder swapped for a symlink between two repos’ commits', function () {
  const kit = RepoKit.forSuite();

  for (const folder of ['sub', 'd1/d2/d3']) {
    it(`writes nothing outside through ${folder} (depth ${folder.split('/').length}); aborts and puts the first repo back`, function () {
      const root = kit.tempDir('cc-ws-');
      const outside = kit.tempDir('cc-outside-');
      const a = kit.repo(path.join(root, 'a'), { 'README.md': 'a\n', '.codecontext.json': JSON.stringify({ dependsOn: ['../b'] }) });
      const b = kit.repo(path.join(root, 'b'), { 'README.md': 'b\n', [`${folder}/keep.txt`]: 'keep\n', [`${folder}/x.txt`]: 'x\n' });
      const store = kit.tempDir('cc-store-');
      const snap = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout).id as string;
      a.write('README.md', 'campaign\n');
      b.remove(`${folder}/x.txt`).write('README.md', 'campaign\n');
      const swap = path.join(root, 'swap.js');
      fs.writeFileSync(
        swap,
        `const fs = require('fs'), path = require('path');
         if (path.basename(process.cwd()) !== 'a') process.exit(0);
         const [rel, outside] = process.argv.slice(2);
         const moved = path.join(outside, path.basename(rel));
         fs.renameSync(path.join('..', 'b', rel), moved);
         fs.symlinkSync(moved, path.join('..', 'b', rel));`,
      );
      const aBefore = fingerprints([a]);
      const r = runCli(['rollback', '--snapshot', snap, '--check', `node ${swap} ${folder} ${outside}`], { store });
      assert.strictEqual(r.status, 1, r.stdout);
      assert.ok(r.stderr.startsWith(`codecontext: ${b.dir}: ${folder}/x.txt: the folder ${folder} is a symlink since the rollback checked it`), r.stderr);
      assert.match(r.stderr, /every changed repo was returned to the safety snapshot/);
      const moved = path.join(outside, path.basename(folder));
      assert.deepStrictEqual(listFiles(moved), { 'keep.txt': `-:${Buffer.from('keep\n').toString('base64')}` }, 'no x.txt written outside');
      assert.deepStrictEqual(fingerprints([a]), aBefore, 'a is back');
      assert.strictEqual(b.read('README.md').toString(), 'campaign\n', 'b never committed');
      const list = JSON.parse(runCli(['--json', 'rollback', 'list'], { store }).stdout);
      assert.strictEqual(list[0].outcome, 'aborted');
      assert.strictEqual(list[0].error.code, 'ConcurrentWrite');
    });
  }
});
