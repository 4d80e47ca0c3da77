import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { RepoKit, TestRepo, git, runCli, userEnv } from '../helpers/repoKit';

/**
 * Issue 22, item 5: snapshots that survive the machine. A snapshot pushed to the repos' remotes
 * (`snapshot create --push`) is found again on another machine — a fresh store, fresh clones in
 * another folder — by `snapshot import --from-remote`, and a rollback to it runs there; an export
 * file moves between stores the same way; a modified export is refused.
 */
describe('snapshots that survive the machine: push, export, import, and a rollback from fresh clones', function () {
  this.timeout(120_000);
  const kit = RepoKit.forSuite();

  function machineA(): { root: string; repos: TestRepo[]; bares: string[]; env: NodeJS.ProcessEnv; cli: (...a: string[]) => ReturnType<typeof runCli> } {
    const { root, repos, store } = kit.workspace(2, { 'a.txt': 'v1\n', 'src/b.txt': 'b\n' });
    const home = kit.tempDir('cc-home-');
    fs.writeFileSync(path.join(home, '.gitconfig'), '[protocol "file"]\n\tallow = always\n');
    const env = userEnv(home);
    const remotesDir = kit.tempDir('cc-remotes-');
    const bares = repos.map((r) => {
      const bare = path.join(remotesDir, `${path.basename(r.dir)}.git`);
      git(remotesDir, 'init', '-q', '--bare', '-b', 'main', bare);
      r.git('remote', 'add', 'origin', `file://${bare}`);
      r.git('push', '-q', '-u', 'origin', 'main');
      return bare;
    });
    return { root, repos, bares, env, cli: (...a) => runCli(a, { store, cwd: root, baseEnv: env }) };
  }

  /** Another machine: its own store, and fresh clones of the remotes under a folder with other names. */
  function machineB(bares: string[], env: NodeJS.ProcessEnv): { root: string; clones: string[]; cli: (...a: string[]) => ReturnType<typeof runCli> } {
    const root = kit.tempDir('cc-ci-');
    const store = kit.tempDir('cc-store-b-');
    const clones = bares.map((b, i) => {
      const dir = path.join(root, `checkout-${i}`);
      git(root, '-c', 'protocol.file.allow=always', 'clone', '-q', `file://${b}`, dir);
      return dir;
    });
    return { root, clones, cli: (...a) => runCli(a, { store, cwd: root, baseEnv: env }) };
  }

  it('create --push, then on a fresh machine import --from-remote and roll the clones back to it, byte for byte', function () {
    const a = machineA();
    // an uncommitted edit and an untracked file are part of the state too
    a.repos[0].write('a.txt', 'v1 edited, not committed\n').write('notes.txt', 'untracked\n');
    const created = a.cli('snapshot', 'create', '--root', a.root, '-m', 'before the codemod', '--push');
    assert.strictEqual(created.status, 0, created.stderr);
    const id = created.stdout.trim();
    assert.match(created.stderr, /repo-00: pushed to origin \(file:\/\/.*repo-00\.git\)/);
    for (const b of a.bares) {
      assert.ok(git(b, 'rev-parse', `refs/codecontext/snapshots/${id}`));
      assert.ok(git(b, 'rev-parse', `refs/codecontext/manifests/${id}`));
    }
    // the campaign happens, and is pushed
    for (const r of a.repos) {
      r.write('a.txt', 'v2\n').write('src/b.txt', 'b2\n').commitAll('codemod');
      r.git('push', '-q', 'origin', 'main');
    }

    const b = machineB(a.bares, a.env);
    const imported = b.cli('snapshot', 'import', '--from-remote', id, '--root', b.root);
    assert.strictEqual(imported.status, 0, imported.stdout + imported.stderr);
    const [newId, said] = imported.stdout.trim().split('\n');
    assert.match(said, new RegExp(`^imported ${id} for 2 repos under `));
    const rb = b.cli('rollback', '--snapshot', newId, '--force');
    assert.strictEqual(rb.status, 0, rb.stdout + rb.stderr);
    assert.strictEqual(fs.readFileSync(path.join(b.clones[0], 'a.txt'), 'utf8'), 'v1 edited, not committed\n');
    assert.strictEqual(fs.readFileSync(path.join(b.clones[0], 'notes.txt'), 'utf8'), 'untracked\n');
    assert.strictEqual(fs.readFileSync(path.join(b.clones[1], 'src/b.txt'), 'utf8'), 'b\n');
    assert.strictEqual(git(b.clones[1], 'rev-parse', 'HEAD'), a.repos[1].git('rev-parse', 'HEAD~1'), 'HEAD where the snapshot had it');
    const shown = JSON.parse(b.cli('--json', 'snapshot', 'show', newId).stdout) as { message: string };
    assert.strictEqual(shown.message, `imported from ${id} (before the codemod)`);
  });

  it('export to a file and import it into another store; a modified export is refused, changing nothing', function () {
    const a = machineA();
    const id = a.cli('snapshot', 'create', '--root', a.root, '--push').stdout.trim();
    const file = path.join(kit.tempDir('cc-export-'), 'snap.json');
    const exported = a.cli('snapshot', 'export', id, '--out', file);
    assert.strictEqual(exported.status, 0, exported.stderr);
    for (const r of a.repos) r.write('a.txt', 'v2\n').commitAll('codemod');
    for (const r of a.repos) r.git('push', '-q', 'origin', 'main');

    const b = machineB(a.bares, a.env);
    const tampered = path.join(path.dirname(file), 'tampered.json');
    fs.writeFileSync(
      tampered,
      fs
        .readFileSync(file, 'utf8')
        .replace('"v1', '"v1')
        .replace(/"message": null|"createdAt": "[^"]+"/, '"createdAt": "2020-01-01T00:00:00.000Z"'),
    );
    const refused = b.cli('snapshot', 'import', tampered, '--root', b.root);
    assert.strictEqual(refused.status, 1);
    assert.match(refused.stderr, /the snapshot in .*tampered\.json was modified: its content no longer matches its seal/);
    assert.match(b.cli('snapshot', 'list').stdout, /No snapshots yet/);

    const ok = b.cli('snapshot', 'import', file, '--root', b.root);
    assert.strictEqual(ok.status, 0, ok.stderr);
    const newId = ok.stdout.split('\n')[0];
    assert.strictEqual(b.cli('rollback', '--snapshot', newId).status, 0);
    for (const c of b.clones) assert.strictEqual(fs.readFileSync(path.join(c, 'a.txt'), 'utf8'), 'v1\n');
  });

  it('a snapshot never pushed cannot be found on the remotes, and a repo with no match is named', function () {
    const a = machineA();
    const id = a.cli('snapshot', 'create', '--root', a.root).stdout.trim();
    const b = machineB(a.bares, a.env);
    const missing = b.cli('snapshot', 'import', '--from-remote', id, '--root', b.root);
    assert.strictEqual(missing.status, 1);
    assert.match(missing.stderr, new RegExp(`no remote of the repos under .* has snapshot ${id}.*was it pushed`));
    const file = path.join(kit.tempDir('cc-export-'), 'snap.json');
    a.cli('snapshot', 'export', id, '--out', file);
    fs.rmSync(b.clones[1], { recursive: true, force: true });
    const unmatched = b.cli('snapshot', 'import', file, '--root', b.root);
    assert.strictEqual(unmatched.status, 1);
    assert.match(unmatched.stderr, /no repo under .* is this snapshot's repo-01 \(file:\/\/.*repo-01\.git\): clone it there first/);
  });
});
