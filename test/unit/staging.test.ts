import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { bytesMayConvert, configConverts, configEntries } from '../../server/src/engine/git/conversion';
import { stageBlobs } from '../../server/src/engine/git/staging';
import { repoLayout } from '../../server/src/engine/git/repoLayout';
import { RepoKit, TestRepo, listFiles, seedEveryKind, userEnv } from '../helpers/repoKit';

/**
 * Files staged in Node must be exactly the blobs' bytes with git's exec bit and symlinks (what
 * `git checkout-index` writes when nothing converts), loose or packed, whatever the settings; and
 * anything that could make git convert bytes must be noticed, so a capture stores disk bytes.
 */
describe('staging files (git/staging.ts) and telling when git converts bytes (git/conversion.ts)', () => {
  const kit = RepoKit.forSuite();

  const headFiles = (r: TestRepo) =>
    r
      .git('ls-tree', '-r', '--format=%(objectmode) %(objectname)\t%(path)', 'HEAD')
      .split('\n')
      .map((l) => {
        const [meta, p] = l.split('\t');
        const [mode, blob] = meta.split(' ');
        return { path: p, mode, blob };
      });
  /** A file as a checkout leaves it: a symlink's target, or the permission bits and the bytes. */
  const written = (file: string) => {
    const st = fs.lstatSync(file);
    return st.isSymbolicLink() ? `link → ${fs.readlinkSync(file)}` : `${(st.mode & 0o777).toString(8)} ${fs.readFileSync(file).toString('base64')}`;
  };

  it('writes what git checkout-index writes: text, executable, binary, symlink, nested', async () => {
    const r = seedEveryKind(kit.repo(kit.tempDir()));
    r.write('deep/er/still.txt', 'x\r\ny\n');
    r.git('add', '-A');
    r.git('commit', '-q', '-m', 'all');
    const files = headFiles(r);
    const ours = kit.tempDir();
    // what a killed restore left under the names about to be used: replaced, its mode not kept
    fs.writeFileSync(path.join(ours, '0'), 'left behind', { mode: 0o755 });
    fs.mkdirSync(path.join(ours, '1'));
    const staged = await stageBlobs(r.dir, await repoLayout(r.dir), ours, files);
    assert.deepStrictEqual([...staged.keys()].sort(), files.map((f) => f.path).sort());
    assert.strictEqual(fs.readdirSync(ours).length, files.length, 'one flat folder, a file per path');
    const gits = kit.tempDir();
    r.git('checkout-index', '-a', '-f', `--prefix=${gits}/`);
    assert.deepStrictEqual(Object.keys(listFiles(gits)).sort(), files.map((f) => f.path).sort());
    for (const f of files) assert.strictEqual(written(staged.get(f.path)!), written(path.join(gits, f.path)), f.path);
  });

  it('stages thousands of files in bounded batches: every one written, a blob shared across batches and packed ones too', async () => {
    const r = kit.repo(kit.tempDir());
    // 2,500 files cross two batch boundaries; every tenth has the same bytes as file 0
    const expected = new Map<string, string>();
    const put = (i: number, text: string) => (expected.set(`d${i % 7}/f${i}.txt`, text), r.write(`d${i % 7}/f${i}.txt`, text));
    for (let i = 0; i < 2500; i++) put(i, i % 10 === 0 ? 'shared\n' : `file ${i}\n`);
    r.git('add', '-A');
    r.git('commit', '-q', '-m', 'many');
    // half the objects packed, half loose: both readers take part in each batch
    r.git('repack', '-q', '-d');
    for (let i = 0; i < 2500; i += 2) put(i, i % 10 === 0 ? 'shared again\n' : `file ${i} loose\n`);
    r.git('commit', '-q', '-a', '-m', 'half loose');
    const files = headFiles(r);
    const ours = kit.tempDir();
    const staged = await stageBlobs(r.dir, await repoLayout(r.dir), ours, files);
    assert.ok(files.length > 2500, 'the seed file and the 2,500');
    assert.deepStrictEqual([...staged.keys()].sort(), files.map((f) => f.path).sort());
    assert.strictEqual(fs.readdirSync(ours).length, files.length);
    for (const [p, text] of expected) assert.strictEqual(fs.readFileSync(staged.get(p)!, 'utf8'), text, p);
  });

  it('writes the blob bytes whatever the settings say, packed blobs too; and notices every setting that converts', async () => {
    const r = seedEveryKind(kit.repo(kit.tempDir()));
    r.write('crlf.txt', 'a\r\nb\n');
    r.git('add', '-A');
    r.git('commit', '-q', '-m', 'all');
    const layout = await repoLayout(r.dir);
    const files = headFiles(r);
    const paths = files.map((f) => f.path);
    assert.strictEqual(bytesMayConvert(layout, paths, await configEntries(r.dir)), false);
    assert.strictEqual(bytesMayConvert(layout, [...paths, 'sub/.gitattributes'], await configEntries(r.dir)), true);
    r.git('config', 'core.autocrlf', 'true');
    assert.strictEqual(bytesMayConvert(layout, paths, await configEntries(r.dir)), true);
    r.git('gc', '-q', '--prune=now');
    const stage = kit.tempDir();
    const staged = await stageBlobs(r.dir, layout, stage, files);
    const blob = (id: string) => execFileSync('git', ['cat-file', 'blob', id], { cwd: r.dir });
    for (const f of files.filter((x) => x.mode !== '120000')) assert.ok(fs.readFileSync(staged.get(f.path)!).equals(blob(f.blob)), f.path);
    assert.ok(fs.readFileSync(staged.get('crlf.txt')!).equals(Buffer.from('a\r\nb\n')), 'no eol conversion on the way out');
    r.git('config', 'core.autocrlf', 'false');
    fs.mkdirSync(r.file('.git/info'), { recursive: true });
    fs.writeFileSync(r.file('.git/info/attributes'), '*.txt text eol=crlf\n');
    assert.strictEqual(bytesMayConvert(layout, paths, await configEntries(r.dir)), true);
  });

  it("keeps a repo's config only while every file it came from, or could come from, is as it was", async function () {
    this.timeout(20000);
    // in a process of its own, with its own HOME: git takes its environment once per process
    const home = kit.tempDir();
    const [a, b, c] = [0, 1, 2].map(() => kit.repo(kit.tempDir()));
    b.git('config', 'include.path', 'extra.cfg'); // relative: beside .git/config, not there yet
    c.git('config', 'includeIf.onbranch:main.path', 'branch.cfg');
    // a file changed less than two seconds before the read is not trusted to stay as it is
    await new Promise((r) => setTimeout(r, 2100));
    const engine = path.join(__dirname, '../../server/src/engine/git');
    const script = `
      const fs = require('fs');
      const { configEntries } = require(${JSON.stringify(path.join(engine, 'conversion'))});
      const { gitProcessCount } = require(${JSON.stringify(path.join(engine, 'gitRunner'))});
      const [a, b, c, home] = process.argv.slice(1);
      const reads = async (dir, key) => {
        const before = gitProcessCount();
        const entries = await configEntries(dir);
        return [gitProcessCount() - before, entries.filter(([k]) => k === key).map(([, v]) => v).pop() ?? null];
      };
      (async () => {
        const out = [];
        for (const r of [a, b]) out.push(await reads(r, 'core.eol'), await reads(r, 'core.eol'));
        out.push(await reads(c, 'core.eol'), await reads(c, 'core.eol'));
        fs.writeFileSync(home + '/.gitconfig', '[core]\\n\\teol = crlf\\n');
        out.push(await reads(a, 'core.eol'));
        fs.writeFileSync(b + '/.git/extra.cfg', '[core]\\n\\teol = lf\\n');
        out.push(await reads(b, 'core.eol'));
        const cfg = fs.readFileSync(a + '/.git/config', 'utf8');
        fs.writeFileSync(a + '/.git/config', cfg.replace('bare = false', 'bare = no   '));
        out.push(await reads(a, 'core.eol'));
        console.log(JSON.stringify(out));
      })();`;
    const env = { ...userEnv(home), GIT_CONFIG_NOSYSTEM: '1' };
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script, a.dir, b.dir, c.dir, home], { env, encoding: 'utf8' }));
    assert.deepStrictEqual(out, [
      [1, null], // read
      [0, null], // kept
      [1, null],
      [0, null],
      // an include conditioned on the branch changes with no file changing: never kept
      [1, null],
      [1, null],
      // a user file that was not there: read again, and its setting is seen
      [1, 'crlf'],
      // an include's target appearing (it comes after the user file: it wins)
      [1, 'lf'],
      // an edit in place of the same size (same inode, same length)
      [1, 'crlf'],
    ]);
  });

  it('reads config conservatively, later settings over earlier ones', () => {
    const plain: [string, string | null][] = [
      ['core.repositoryformatversion', '0'],
      ['core.filemode', 'true'],
      ['core.autocrlf', 'true'],
      ['core.autocrlf', 'false'],
      ['user.name', 'A'],
      ['credential.https://x.helper', 'y'],
    ];
    assert.strictEqual(configConverts(plain), false);
    assert.strictEqual(configConverts([['core.autocrlf', 'input']]), true);
    assert.strictEqual(configConverts([['core.autocrlf', null]]), true, 'a bare key is true');
    assert.strictEqual(configConverts([...plain, ['core.autocrlf', 'true']]), true, 'the last one wins');
    assert.strictEqual(configConverts([['core.eol', 'lf']]), true);
    assert.strictEqual(configConverts([['core.symlinks', 'false']]), true);
    assert.strictEqual(configConverts([['filter.lfs.smudge', 'git-lfs smudge %f']]), true);
    assert.strictEqual(configConverts([['core.attributesfile', '~/.attrs']]), true);
    assert.strictEqual(configConverts([['attr.tree', 'HEAD']]), true);
  });
});
