import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { configIsPlain, stageWithoutGit } from '../../server/src/engine/git/staging';
import { repoLayout } from '../../server/src/engine/git/repoLayout';
import { RepoKit, TestRepo, listFiles, seedEveryKind } from '../helpers/repoKit';

/**
 * Files staged in Node must be exactly what `git checkout-index` writes (bytes, exec bit,
 * symlinks), and anything that could make git convert bytes must send the work to git.
 */
describe('staging files without git (git/staging.ts)', () => {
  const kit = new RepoKit();
  afterEach(() => kit.cleanup());

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
    const staged = stageWithoutGit(await repoLayout(r.dir), ours, files, files.map((f) => f.path));
    assert.ok(staged);
    assert.deepStrictEqual([...staged.keys()].sort(), files.map((f) => f.path).sort());
    assert.strictEqual(fs.readdirSync(ours).length, files.length, 'one flat folder, a file per path');
    const gits = kit.tempDir();
    r.git('checkout-index', '-a', '-f', `--prefix=${gits}/`);
    assert.deepStrictEqual(Object.keys(listFiles(gits)).sort(), files.map((f) => f.path).sort());
    for (const f of files) assert.strictEqual(written(staged.get(f.path)!), written(path.join(gits, f.path)), f.path);
  });

  it('leaves the work to git when an attributes file, a line-ending setting or a packed blob is involved', async () => {
    const r = seedEveryKind(kit.repo(kit.tempDir()));
    r.git('add', '-A');
    r.git('commit', '-q', '-m', 'all');
    const layout = await repoLayout(r.dir);
    const files = headFiles(r);
    const stage = kit.tempDir();
    assert.strictEqual(stageWithoutGit(layout, stage, files, [...files.map((f) => f.path), 'sub/.gitattributes']), undefined);
    r.git('config', 'core.autocrlf', 'true');
    assert.strictEqual(stageWithoutGit(layout, stage, files, files.map((f) => f.path)), undefined);
    r.git('config', 'core.autocrlf', 'false');
    fs.mkdirSync(r.file('.git/info'), { recursive: true });
    fs.writeFileSync(r.file('.git/info/attributes'), '*.txt text eol=crlf\n');
    assert.strictEqual(stageWithoutGit(layout, stage, files, files.map((f) => f.path)), undefined);
    fs.rmSync(r.file('.git/info/attributes'));
    r.git('gc', '-q', '--prune=now');
    assert.strictEqual(stageWithoutGit(layout, stage, files, files.map((f) => f.path)), undefined);
  });

  it('reads config conservatively', () => {
    assert.strictEqual(configIsPlain('[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tautocrlf = false\n[user]\n\tname = A\n[credential "https://x"]\n\thelper = y\n'), true);
    assert.strictEqual(configIsPlain('[core]\n\tautocrlf = input\n'), false);
    assert.strictEqual(configIsPlain('[core]\n\tAutoCRLF\n'), false, 'a bare key is true');
    assert.strictEqual(configIsPlain('[core]\n\teol = lf\n'), false);
    assert.strictEqual(configIsPlain('[core]\n\tsymlinks = false\n'), false);
    assert.strictEqual(configIsPlain('[filter "lfs"]\n\tsmudge = git-lfs smudge %f\n'), false);
    assert.strictEqual(configIsPlain('[include]\n\tpath = other\n'), false);
    assert.strictEqual(configIsPlain('[includeIf "gitdir:~/w/"]\n\tpath = other\n'), false);
    assert.strictEqual(configIsPlain('[core] autocrlf = true\n'), false, 'a key on the header line');
    assert.strictEqual(configIsPlain('[core]\n\tattributesFile = ~/.attrs\n'), false);
  });
});
