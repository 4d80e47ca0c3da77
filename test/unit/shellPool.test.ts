import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as path from 'path';
import { GitError, GitSpawnMode, git, gitRaw, gitSpawnMode, gitStream, setGitSpawnMode } from '../../server/src/engine/git/gitRunner';
import { RepoKit } from '../helpers/repoKit';

/**
 * Git runs from long-lived shells (gitShell.ts): whatever git prints must come back byte for byte,
 * stdin must reach git unchanged whatever it holds, and an idle pool must not keep a process alive.
 */
describe('git from long-lived shells', () => {
  const kit = RepoKit.forSuite();

  it('stdin of any bytes reaches git unchanged, and binary stdout comes back exactly', async () => {
    const r = kit.repo(kit.tempDir());
    const tricky = Buffer.concat([Buffer.from("-n 'quote' \\back %s %% $HOME `x` \n"), Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0a, 0x27, 0x25])]);
    const id = await git(r.dir, ['hash-object', '-w', '--stdin'], { input: tricky });
    assert.strictEqual(id, execFileSync('git', ['hash-object', '--stdin'], { input: tricky }).toString().trim());
    const { stdout } = await gitRaw(r.dir, ['cat-file', 'blob', id]);
    assert.ok(stdout.equals(tricky));
  });

  it('output that does not end in a newline, large output, exit codes, stderr and per-command variables', async () => {
    const r = kit.repo(kit.tempDir());
    const big = Buffer.alloc(300_000, 'x');
    const id = await git(r.dir, ['hash-object', '-w', '--stdin'], { input: big });
    assert.ok((await gitRaw(r.dir, ['cat-file', 'blob', id])).stdout.equals(big));
    assert.strictEqual((await gitRaw(r.dir, ['rev-parse', '--verify', '-q', 'nope'], { okCodes: [1] })).exitCode, 1);
    await assert.rejects(
      git(r.dir, ['cat-file', '-t', '0123456789012345678901234567890123456789']),
      (e: unknown) => e instanceof GitError && e.exitCode === 128 && /Not a valid object name|could not get object info/.test(e.stderr),
    );
    const index = path.join(r.dir, '.git', 'other.index');
    await git(r.dir, ['read-tree', 'HEAD'], { env: { GIT_INDEX_FILE: index } });
    assert.strictEqual(await git(r.dir, ['ls-files'], { env: { GIT_INDEX_FILE: index } }), 'README.md');
    await assert.rejects(git(path.join(r.dir, 'missing'), ['status']), GitError);
  });

  it('streamed output (gitStream) arrives whole and exact, whatever its size and last bytes; a failing reader stops nothing else', async () => {
    const r = kit.repo(kit.tempDir());
    for (const size of [0, 1, 30, 63, 64, 65, 129, 300_000]) {
      // binary, no final newline, and the end of it shaped like the shell's own end line
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 37) % 256;
      if (size >= 30) Buffer.from('\n0 ').copy(bytes, size - 30);
      const id = await git(r.dir, ['hash-object', '-w', '--stdin'], { input: bytes });
      const chunks: Buffer[] = [];
      await gitStream(r.dir, ['cat-file', 'blob', id], (c) => chunks.push(Buffer.from(c)));
      assert.ok(Buffer.concat(chunks).equals(bytes), `${size} bytes`);
    }
    const big = await git(r.dir, ['hash-object', '-w', '--stdin'], { input: Buffer.alloc(300_000, 'y') });
    await assert.rejects(
      gitStream(r.dir, ['cat-file', 'blob', big], () => {
        throw new Error('reader failed');
      }),
      /reader failed/,
    );
    await assert.rejects(
      gitStream(r.dir, ['cat-file', 'blob', '0123456789012345678901234567890123456789'], () => undefined),
      GitError,
    );
    // the shells are fine afterwards
    assert.ok((await gitRaw(r.dir, ['cat-file', 'blob', big])).stdout.equals(Buffer.alloc(300_000, 'y')));
  });

  it('many commands at once, more than there are shells, each get their own answer', async () => {
    const repos = Array.from({ length: 5 }, (_, i) => kit.repo(kit.tempDir(), { [`f${i}.txt`]: `${i}\n` }));
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => git(repos[i % 5].dir, ['ls-files'])));
    answers.forEach((a, i) => assert.strictEqual(a, `f${i % 5}.txt`));
  });

  it('an idle pool does not keep a process alive', () => {
    const r = kit.repo(kit.tempDir());
    const gitModule = path.resolve(__dirname, '../../server/src/engine/git/gitRunner.js');
    const script = `require(${JSON.stringify(gitModule)}).git(${JSON.stringify(r.dir)}, ['rev-parse', 'HEAD']).then((h) => console.log(h))`;
    // exits on its own (a pool that held the loop would hit the timeout and throw)
    const out = execFileSync(process.execPath, ['-e', script], { timeout: 10_000 }).toString().trim();
    assert.strictEqual(out, r.head());
  });
});

/**
 * The switch of issue 27's A/B: `direct` spawns git from this process, `shells` forks it from the
 * long-lived shells; the same commands must give the same answers both ways, byte for byte.
 */
describe('git spawn mode: shells and direct', () => {
  const kit = RepoKit.forSuite();
  let before: GitSpawnMode;
  beforeEach(() => (before = gitSpawnMode()));
  afterEach(() => setGitSpawnMode(before));

  /** git's parent process, read by git itself (a shell alias reads /proc/<its parent, git>/stat). */
  const parentOfGit = async (dir: string) => Number((await git(dir, ['-c', "alias.parent=!awk '{print $4}' /proc/$PPID/stat", 'parent'])).trim());

  it('every kind of command gives the same bytes, exit codes and errors both ways; direct starts git from this process', async () => {
    const r = kit.repo(kit.tempDir());
    const tricky = Buffer.concat([Buffer.from("-n 'q' \\b %s $HOME `x`\n"), Buffer.from([0, 1, 0xff, 0x0a, 0x27, 0x25])]);
    const run = async () => {
      const id = await git(r.dir, ['hash-object', '-w', '--stdin'], { input: tricky });
      const blob = (await gitRaw(r.dir, ['cat-file', 'blob', id])).stdout;
      const big = await git(r.dir, ['hash-object', '-w', '--stdin'], { input: Buffer.alloc(300_000, 'z') });
      const streamed: Buffer[] = [];
      await gitStream(r.dir, ['cat-file', 'blob', big], (c) => streamed.push(Buffer.from(c)));
      const answer = (await gitRaw(r.dir, ['rev-parse', '--verify', '-q', 'nope'], { okCodes: [1] })).exitCode;
      const index = path.join(r.dir, '.git', 'other.index');
      await git(r.dir, ['read-tree', 'HEAD'], { env: { GIT_INDEX_FILE: index } });
      const listed = await git(r.dir, ['ls-files', '-s'], { env: { GIT_INDEX_FILE: index } });
      const failure = await gitRaw(r.dir, ['cat-file', '-t', '0123456789012345678901234567890123456789']).then(
        () => 'no error',
        (e: GitError) => [e.exitCode, e.gitCode, e.stderr],
      );
      return { id, blob: blob.toString('base64'), streamed: Buffer.concat(streamed).length, answer, listed, failure };
    };
    setGitSpawnMode('shells');
    assert.strictEqual(gitSpawnMode(), 'shells');
    const viaShells = await run();
    const shellParent = process.platform === 'linux' ? await parentOfGit(r.dir) : undefined;
    setGitSpawnMode('direct');
    assert.strictEqual(gitSpawnMode(), 'direct');
    const direct = await run();
    assert.deepStrictEqual(direct, viaShells);
    assert.ok(Buffer.from(direct.blob, 'base64').equals(tricky));
    assert.strictEqual(direct.streamed, 300_000);
    if (process.platform === 'linux') {
      assert.strictEqual(await parentOfGit(r.dir), process.pid, 'direct: git is a child of this process');
      assert.notStrictEqual(shellParent, process.pid, 'shells: git is a child of a shell');
    }
  });

  it('CODECONTEXT_GIT_SPAWN=direct in the environment picks direct, read at the first command', function () {
    if (process.platform !== 'linux') this.skip(); // git's parent is read from /proc
    const r = kit.repo(kit.tempDir());
    const gitModule = path.resolve(__dirname, '../../server/src/engine/git/gitRunner.js');
    const script =
      `const g = require(${JSON.stringify(gitModule)});` +
      `g.git(${JSON.stringify(r.dir)}, ['-c', "alias.parent=!awk '{print $4}' /proc/$PPID/stat", 'parent'])` +
      `.then((p) => console.log(JSON.stringify({ mode: g.gitSpawnMode(), mine: Number(p) === process.pid })))`;
    const answer = (env: Record<string, string>) =>
      JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, timeout: 10_000 }).toString()) as {
        mode: string;
        mine: boolean;
      };
    assert.deepStrictEqual(answer({ CODECONTEXT_GIT_SPAWN: 'direct' }), { mode: 'direct', mine: true });
    const { CODECONTEXT_GIT_SPAWN: _unset, ...rest } = process.env;
    const byDefault = JSON.parse(execFileSync(process.execPath, ['-e', script], { env: rest, timeout: 10_000 }).toString()) as { mode: string; mine: boolean };
    assert.deepStrictEqual(byDefault, { mode: 'shells', mine: false });
  });
});
