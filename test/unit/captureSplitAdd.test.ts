import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { captureRepoState } from '../../server/src/engine/repo/repoState';
import { setGitLogger } from '../../server/src/engine/git/gitRunner';
import { RepoKit, TestRepo, git, gitEnv } from '../helpers/repoKit';
import { execFileSync } from 'child_process';

/**
 * A repo of 10,000 tracked files or more is captured with its `add -A` split in two (`add -u` while
 * git lists the untracked files, then those files by name): the worktree is walked once. The tree
 * must be the one `add -A` makes, whatever the untracked names are, and where git refuses the list
 * (a nested repo with no commit) the capture falls back to the whole `add -A`.
 */
describe('capture: a large repo adds its untracked files by name', function () {
  this.timeout(60_000);
  const kit = RepoKit.forSuite();
  let repo: TestRepo;

  // the kit removes its folders after each test: each gets a repo of its own
  beforeEach(function () {
    const files: Record<string, string> = {};
    for (let i = 0; i < 10_050; i++) files[`src/m${Math.floor(i / 100)}/f${i}.ts`] = `export const n = ${i};\n`;
    files['.gitignore'] = 'ignored/\n*.log\n';
    repo = kit.repo(path.join(kit.tempDir(), 'big'), files);
  });

  /** The worktree tree `git add -A` makes on a copy of the index (its time kept), leaving out `excluded`. */
  function addAllTree(excluded: string[] = []): string {
    const copy = path.join(kit.tempDir(), 'index');
    fs.copyFileSync(path.join(repo.dir, '.git', 'index'), copy);
    const st = fs.statSync(path.join(repo.dir, '.git', 'index'));
    fs.utimesSync(copy, st.atime, st.mtime);
    const env = { ...gitEnv, GIT_INDEX_FILE: copy };
    const run = (...args: string[]) => execFileSync('git', args, { cwd: repo.dir, env, stdio: 'pipe' }).toString().trim();
    run('-c', 'advice.addEmbeddedRepo=false', 'add', '-A', '--', '.', ...excluded.map((p) => `:(exclude,literal)${p}`));
    return run('write-tree');
  }

  /** Captures the repo, with the git commands it ran. */
  async function capture(): Promise<{ worktree: string; commands: string[] }> {
    const commands: string[] = [];
    setGitLogger((line) => commands.push(line));
    try {
      return { worktree: (await captureRepoState(repo.dir)).worktree, commands };
    } finally {
      setGitLogger(undefined);
    }
  }

  it('odd names, a symlink, an edit, a deletion, a mode change and a nested repo give the tree add -A gives, from the split', async function () {
    repo.write('src/m0/f0.ts', 'edited\n').remove('src/m1/f100.ts');
    fs.chmodSync(repo.file('src/m2/f200.ts'), 0o755);
    repo
      .write('new.ts', 'new\n')
      .write('glob*?[x].ts', 'glob\n')
      .write(':(exclude)magic.ts', 'magic\n')
      .write('line\nbreak.ts', 'newline\n')
      .write('ignored/out.js', 'ignored\n')
      .write('debug.log', 'ignored\n')
      .symlink('link', 'src/m0/f0.ts');
    fs.writeFileSync(Buffer.concat([Buffer.from(repo.dir + '/'), Buffer.from([0x6c, 0x61, 0x74, 0xe9, 0x2e, 0x74, 0x73])]), 'latin-1 name\n');
    const nested = kit.repo(repo.file('vendor/lib'), { 'lib.ts': 'lib\n' });
    const { worktree, commands } = await capture();
    assert.ok(
      commands.some((c) => /^git add -u /.test(c)),
      commands.join('\n'),
    );
    assert.ok(
      commands.some((c) => /add --pathspec-from-file=- --pathspec-file-nul/.test(c) && / → 0$/.test(c)),
      commands.join('\n'),
    );
    assert.ok(!commands.some((c) => / add -A /.test(c)), `no add -A after the split:\n${commands.join('\n')}`);
    assert.strictEqual(worktree, addAllTree());
    const files = repo.filesOf(worktree);
    assert.ok(files['line\nbreak.ts'] && files[':(exclude)magic.ts'] && files['glob*?[x].ts'] && files['link'], Object.keys(files).slice(-12).join(', '));
    assert.ok(!files['ignored/out.js'] && !files['debug.log'] && !files['src/m1/f100.ts']);
    assert.strictEqual(git(repo.dir, 'ls-tree', worktree, 'vendor/lib').split(/\s/)[1], 'commit');
    assert.strictEqual(git(repo.dir, 'ls-tree', worktree, 'vendor/lib').split(/\s/)[2], nested.head());
  });

  it('a nested repo with no commit makes git refuse the list: the whole add -A runs instead, leaving it out', async function () {
    fs.mkdirSync(repo.file('unborn'), { recursive: true });
    git(repo.file('unborn'), 'init', '-q');
    repo.write('unborn/x.ts', 'x\n').write('another.ts', 'another\n');
    const { worktree, commands } = await capture();
    assert.ok(
      commands.some((c) => /add --pathspec-from-file/.test(c) && !/ → 0$/.test(c)),
      commands.join('\n'),
    );
    assert.ok(
      commands.some((c) => / add -A /.test(c)),
      commands.join('\n'),
    );
    assert.strictEqual(worktree, addAllTree(['unborn']));
    assert.ok(repo.filesOf(worktree)['another.ts']);
  });
});
