import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { RepoKit, gitEnv, runCli } from '../helpers/repoKit';

/**
 * Every input read whole is bounded (issue 21, item 9): a list file, standard input, the store's
 * files, an evidence pack and a journal. An endless input (/dev/zero, a pipe) or a huge one (a
 * sparse file) gets one line naming what was read and the limit, never node's `std::bad_alloc`
 * (exit 134) or a hang.
 */
describe('bounded input reads', function () {
  const kit = RepoKit.forSuite();
  const cli = path.resolve(__dirname, '../../../dist/cli.js');

  /** A file that says it holds `size` bytes and stores none of them. */
  function sparse(file: string, size = '100G'): string {
    execFileSync('truncate', ['-s', size, file]);
    return file;
  }

  /** The file at `file` replaced by `how`: a symlink to /dev/zero, a sparse file of 100 GB, or a pipe nobody writes. */
  function replace(file: string, how: 'zero' | 'sparse' | 'fifo'): void {
    fs.rmSync(file, { force: true });
    if (how === 'zero') fs.symlinkSync('/dev/zero', file);
    else if (how === 'sparse') sparse(file);
    else execFileSync('mkfifo', [file]);
  }

  function oneLine(r: { status: number; stderr: string }, status: number, pattern: RegExp): void {
    assert.notStrictEqual(r.status, 134, `node aborted: ${r.stderr}`);
    assert.strictEqual(r.status, status, r.stderr);
    assert.strictEqual(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }

  function campaign(): { root: string; store: string; id: string } {
    const { root, store } = kit.workspace(1);
    const started = runCli(['campaign', 'start', 'bounded', '--root', root, '--json'], { store });
    assert.strictEqual(started.status, 0, started.stderr);
    return { root, store, id: JSON.parse(started.stdout).id as string };
  }

  it('campaign run --repos-from: /dev/zero, a sparse 100 GB file and endless standard input are refused naming the option and the 16 MB limit', function () {
    const { store, id } = campaign();
    const run = (from: string) => runCli(['campaign', 'run', id, '--repos-from', from, '--', 'true'], { store });
    oneLine(run('/dev/zero'), 2, /^codecontext: --repos-from \/dev\/zero: more than 16 MB, the most it may hold; refused$/m);
    const huge = sparse(path.join(kit.tempDir('cc-list-'), 'repos.txt'));
    oneLine(run(huge), 2, new RegExp(`--repos-from ${huge}: more than 16 MB`));
    // one byte past the limit is past it
    const edge = sparse(path.join(kit.tempDir('cc-list-'), 'edge.txt'), String(16 * 1024 * 1024 + 1));
    oneLine(run(edge), 2, /more than 16 MB/);
    const stdin = spawnSync(process.execPath, [cli, 'campaign', 'run', id, '--repos-from', '-', '--', 'true'], {
      env: { ...gitEnv, CODECONTEXT_HOME: store },
      stdio: [fs.openSync('/dev/zero', 'r'), 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    oneLine({ status: stdin.status ?? -1, stderr: stdin.stderr }, 2, /--repos-from - \(standard input\): more than 16 MB/);
  });

  it("a store file that is /dev/zero, a sparse 100 GB file or a pipe is refused as the store's, with its path", function () {
    for (const how of ['zero', 'sparse', 'fifo'] as const) {
      const { store, id } = campaign();
      const file = path.join(store, 'campaigns', `${id}.json`);
      replace(file, how);
      const r = runCli(['campaign', 'log', id], { store });
      const why = how === 'sparse' ? 'more than 64 MB, the most it may hold' : 'not a regular file \\(a device or pipe\\)';
      oneLine(r, 1, new RegExp(`${file.replace(/[.]/g, '\\.')}: store file: ${why}; refused`));
    }
  });

  it("the snapshot list's summary cache, /dev/zero or sparse, is read no further: the list is made without it", function () {
    const { root, store } = kit.workspace(1);
    const snap = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout).id as string;
    const cache = path.join(store, 'snapshots', '.summaries.json');
    for (const how of ['zero', 'sparse'] as const) {
      replace(cache, how);
      const r = runCli(['snapshot', 'list', '--json'], { store });
      assert.strictEqual(r.status, 0, r.stderr);
      assert.deepStrictEqual(
        (JSON.parse(r.stdout) as { id: string }[]).map((s) => s.id),
        [snap],
      );
    }
  });

  it('an evidence pack, its patch file and a journal that are /dev/zero or sparse are refused, never read', function () {
    const { root, repos, store } = kit.workspace(1);
    const snap = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout).id as string;
    repos[0].write('README.md', 'changed\n');
    const rb = JSON.parse(runCli(['rollback', '--snapshot', snap, '--json'], { store }).stdout) as { id: string; evidence: string };

    const patch = path.join(path.dirname(rb.evidence), 'inverse.patch');
    replace(patch, 'zero');
    const badPatch = runCli(['evidence', 'verify', rb.id], { store });
    assert.strictEqual(badPatch.status, 1, badPatch.stderr);
    assert.match(badPatch.stdout, /patch file: not a regular file \(a device or pipe\); refused: .*inverse\.patch/);

    for (const how of ['zero', 'sparse'] as const) {
      replace(rb.evidence, how);
      const why = how === 'sparse' ? 'more than 256 MB, the most it may hold' : 'not a regular file';
      oneLine(runCli(['evidence', 'verify', rb.id], { store }), 1, new RegExp(`evidence is unreadable: evidence pack: ${why}`));
    }

    const journal = path.join(store, 'journal', `${rb.id}.jsonl`);
    replace(journal, 'zero');
    const recovered = runCli(['recover'], { store });
    assert.notStrictEqual(recovered.status, 134, recovered.stderr);
    assert.match(recovered.stdout + recovered.stderr, new RegExp(`journal ${rb.id}\\.jsonl: not a regular file`));
  });
});
