import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { canonicalJson, sha256 } from '../../server/src/engine/util/canonical';
import { RepoKit, runCli } from '../helpers/repoKit';

/** Evidence packs chained by digest (issue 14, part 3): a pack deleted, replaced or edited shows in `evidence verify --chain`. */
describe('the evidence chain', function () {
  const kit = RepoKit.forSuite();

  it('links every pack to the one before it; a pack deleted from the middle or replaced with a recomputed digest breaks the chain, by name', function () {
    const { root, repos, store } = kit.workspace(1);
    const snap = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout).id as string;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      repos[0].write('README.md', `change ${i}\n`);
      const r = runCli(['rollback', '--snapshot', snap, '--force', '--json'], { store });
      assert.strictEqual(r.status, 0, r.stderr);
      ids.push(JSON.parse(r.stdout).id);
    }
    const ok = runCli(['evidence', 'verify', '--chain'], { store });
    assert.strictEqual(ok.status, 0, ok.stdout);
    assert.match(ok.stdout, /OK: the chain of 4 evidence packs is whole/);
    const packFile = (id: string) => path.join(store, 'rollbacks', id, `evidence-${id}.json`);
    assert.strictEqual(JSON.parse(fs.readFileSync(packFile(ids[2]), 'utf8')).previous.id, ids[1]);

    // someone who can write the store edits pack 2 and recomputes its digest: the pack alone verifies, the chain does not
    const pack = JSON.parse(fs.readFileSync(packFile(ids[1]), 'utf8'));
    const { digest: _d, ...body } = { ...pack, who: { user: 'someone-else' } };
    fs.writeFileSync(packFile(ids[1]), JSON.stringify({ ...body, digest: sha256(canonicalJson(body)) }));
    assert.strictEqual(runCli(['evidence', 'verify', ids[1]], { store }).status, 0, 'its own digest matches');
    const replaced = runCli(['evidence', 'verify', '--chain'], { store });
    assert.strictEqual(replaced.status, 1);
    assert.match(replaced.stdout, new RegExp(`${ids[2]} names ${ids[1]} with digest \\w+, but it has \\w+: replaced or edited`));

    // and pack 2 deleted
    fs.rmSync(path.join(store, 'rollbacks', ids[1]), { recursive: true });
    const deleted = runCli(['evidence', 'verify', '--chain'], { store });
    assert.strictEqual(deleted.status, 1);
    assert.match(deleted.stdout, new RegExp(`${ids[2]} names ${ids[1]} before it, which is gone: deleted from the store`));
  });

  /** `n` rollbacks of repo 0 in `store`, each of a fresh change; their ids, oldest first. */
  function rollbacks(root: string, repo: { write(rel: string, text: string): unknown }, store: string, n: number): string[] {
    const snap = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout).id as string;
    return Array.from({ length: n }, (_, i) => {
      repo.write('README.md', `${path.basename(store)} change ${i}\n`);
      const r = runCli(['rollback', '--snapshot', snap, '--force', '--json'], { store });
      assert.strictEqual(r.status, 0, r.stderr);
      return JSON.parse(r.stdout).id as string;
    });
  }

  /** Another store's rollback (its record and its pack folder) copied into `store`. */
  function copyIn(from: string, id: string, store: string): void {
    fs.cpSync(path.join(from, 'rollbacks', id), path.join(store, 'rollbacks', id), { recursive: true });
    fs.copyFileSync(path.join(from, 'rollbacks', `${id}.json`), path.join(store, 'rollbacks', `${id}.json`));
  }

  it('names a pack copied in from another store, with a `previous` or without, and `rollback list` marks its rollback', function () {
    const { root, repos, store } = kit.workspace(1);
    const other = kit.tempDir('cc-store-');
    const ours = rollbacks(root, repos[0], store, 2);
    const theirs = rollbacks(root, repos[0], other, 2);
    assert.strictEqual(runCli(['evidence', 'verify', '--chain'], { store }).status, 0);
    const listed = () => runCli(['rollback', 'list'], { store }).stdout;
    assert.doesNotMatch(listed(), /NOT ON CHAIN/);

    // their first pack: no `previous`, so no link names anything missing; only the store's chain can tell
    copyIn(other, theirs[0], store);
    const first = runCli(['evidence', 'verify', '--chain'], { store });
    assert.strictEqual(first.status, 1, first.stdout);
    assert.match(first.stdout, new RegExp(`${theirs[0]} is on no link of this store's chain \\(and names no pack before it\\): copied in from another store`));
    assert.match(first.stdout, /\(2 packs walked\)/);
    const list = listed();
    assert.match(list, new RegExp(`^${theirs[0]} .* NOT ON CHAIN`, 'm'));
    assert.match(list, new RegExp(`^${theirs[0]}: its evidence pack is not on this store's evidence chain`, 'm'));
    for (const id of ours) assert.match(list, new RegExp(`^${id} (?!.*NOT ON CHAIN)`, 'm'));
    const json = JSON.parse(runCli(['rollback', 'list', '--json'], { store }).stdout) as { id: string; notOnChain?: boolean }[];
    assert.deepStrictEqual(
      json.filter((r) => r.notOnChain).map((r) => r.id),
      [theirs[0]],
    );

    // their second pack, chained to their first
    copyIn(other, theirs[1], store);
    const second = runCli(['evidence', 'verify', '--chain'], { store });
    assert.strictEqual(second.status, 1, second.stdout);
    assert.match(second.stdout, new RegExp(`${theirs[1]} is chained to ${theirs[0]} but no pack after it links to it`));
    assert.match(listed(), new RegExp(`^${theirs[1]} .* NOT ON CHAIN`, 'm'));
  });

  it('names a pack removed from the middle, and a chain whose first packs were cut off (the store keeps its genesis)', function () {
    const { root, repos, store } = kit.workspace(1);
    const ids = rollbacks(root, repos[0], store, 3);
    const head = JSON.parse(fs.readFileSync(path.join(store, 'rollbacks', '.chain-head.json'), 'utf8'));
    assert.strictEqual(head.id, ids[2]);
    assert.strictEqual(head.genesis.id, ids[0]);

    fs.rmSync(path.join(store, 'rollbacks', ids[1]), { recursive: true });
    const middle = runCli(['evidence', 'verify', '--chain'], { store });
    assert.strictEqual(middle.status, 1, middle.stdout);
    assert.match(middle.stdout, new RegExp(`${ids[2]} names ${ids[1]} before it, which is gone: deleted from the store`));
    assert.match(middle.stdout, new RegExp(`${ids[0]} is on no link of this store's chain`));

    // the first two packs gone, and the third re-digested to name none before it: every link left checks out
    fs.rmSync(path.join(store, 'rollbacks', ids[0]), { recursive: true });
    const file = path.join(store, 'rollbacks', ids[2], `evidence-${ids[2]}.json`);
    const { digest: _d, previous: _p, ...body } = JSON.parse(fs.readFileSync(file, 'utf8'));
    const digest = sha256(canonicalJson(body));
    fs.writeFileSync(file, JSON.stringify({ ...body, digest }, null, 2) + '\n');
    fs.writeFileSync(path.join(store, 'rollbacks', '.chain-head.json'), JSON.stringify({ ...head, digest }));
    const cut = runCli(['evidence', 'verify', '--chain'], { store });
    assert.strictEqual(cut.status, 1, cut.stdout);
    assert.match(cut.stdout, new RegExp(`the chain begins at ${ids[2]}, but this store's began at ${ids[0]}`));
  });

  it(
    'signs a pack with the ssh key git signs with; verify names the signer, and fails on a pack edited with its digest recomputed; no key: ' + '"unsigned"',
    function () {
      if (spawnSync('ssh-keygen', ['-?']).error) {
        console.log('      (skipped: no ssh-keygen on this machine)');
        this.skip();
      }
      const { root, repos, store } = kit.workspace(1);
      const snap = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout).id as string;
      repos[0].write('README.md', 'unsigned change\n');
      const plain = JSON.parse(runCli(['rollback', '--snapshot', snap, '--json'], { store }).stdout);
      const unsigned = runCli(['evidence', 'verify', plain.id], { store });
      assert.strictEqual(unsigned.status, 0, unsigned.stdout);
      assert.match(unsigned.stdout, /unsigned: no signing key was configured when it was written \(its digest was checked\)/);

      const keys = kit.tempDir('cc-keys-');
      const key = path.join(keys, 'id_ed25519');
      assert.strictEqual(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'auditor', '-f', key]).status, 0);
      const allowed = path.join(keys, 'allowed_signers');
      fs.writeFileSync(allowed, `release-bot@example.com namespaces="codecontext-evidence" ${fs.readFileSync(`${key}.pub`, 'utf8')}`);
      repos[0].git('config', 'gpg.format', 'ssh');
      repos[0].git('config', 'user.signingkey', key);
      repos[0].write('README.md', 'signed change\n');
      const signed = JSON.parse(runCli(['rollback', '--snapshot', snap, '--json'], { store }).stdout);
      assert.ok(fs.existsSync(`${signed.evidence}.sig`), 'the pack has an ssh signature');
      const good = runCli(['evidence', 'verify', signed.id, '--allowed-signers', allowed], { store });
      assert.strictEqual(good.status, 0, good.stdout);
      assert.match(good.stdout, /signed by release-bot@example\.com/);
      // the allowed-signers file from the user's global git config works the same
      const home = kit.tempDir('cc-home-');
      fs.writeFileSync(path.join(home, '.gitconfig'), `[gpg "ssh"]\n\tallowedSignersFile = ${allowed}\n`);
      const userEnv = { HOME: home, XDG_CONFIG_HOME: undefined, GIT_CONFIG_GLOBAL: undefined };
      assert.match(runCli(['evidence', 'verify', signed.id], { store, env: userEnv }).stdout, /signed by release-bot@example\.com/);

      // a signing key that cannot sign (gone): the pack stands unsigned, and the rollback says so
      repos[0].git('config', 'user.signingkey', path.join(keys, 'gone'));
      repos[0].write('README.md', 'a change the key cannot sign\n');
      const keyGone = runCli(['rollback', '--snapshot', snap, '--json'], { store });
      assert.strictEqual(keyGone.status, 0, keyGone.stderr);
      assert.match(keyGone.stderr, /^codecontext: warning: the evidence pack is not signed: ssh-keygen could not sign/m);
      const keyGoneRecord = JSON.parse(keyGone.stdout);
      assert.match(keyGoneRecord.evidenceUnsigned, /ssh-keygen could not sign/);
      assert.ok(!fs.existsSync(`${keyGoneRecord.evidence}.sig`));
      repos[0].git('config', 'user.signingkey', key);

      const pack = JSON.parse(fs.readFileSync(signed.evidence, 'utf8'));
      const { digest: _d, ...body } = { ...pack, outcome: 'aborted' };
      fs.writeFileSync(signed.evidence, JSON.stringify({ ...body, digest: sha256(canonicalJson(body)) }, null, 2) + '\n');
      const bad = runCli(['evidence', 'verify', signed.id], { store, env: userEnv });
      assert.strictEqual(bad.status, 1, bad.stdout);
      assert.match(bad.stdout, /signature: the signature does not match the pack: it was changed after it was signed/);
      assert.match(bad.stdout, /signature BAD \(claims release-bot@example\.com\)/);
    },
  );

  it('keeps each pack with the repos (refs/codecontext/evidence/<rb>, one blob hard-linked across repos); verify --repos checks every copy', function () {
    const { root, repos, store } = kit.workspace(3);
    const snap = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout).id as string;
    for (const r of repos) r.write('README.md', 'changed\n');
    const rb = JSON.parse(runCli(['rollback', '--snapshot', snap, '--json'], { store }).stdout);
    const pack = fs.readFileSync(rb.evidence);
    for (const r of repos) assert.ok(execFileSync('git', ['cat-file', 'blob', `refs/codecontext/evidence/${rb.id}`], { cwd: r.dir }).equals(pack), r.dir);
    const blob = repos[0].git('rev-parse', `refs/codecontext/evidence/${rb.id}`);
    const inode = (r: { dir: string }) => fs.statSync(path.join(r.dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2))).ino;
    assert.strictEqual(inode(repos[1]), inode(repos[0]), 'one blob file, linked');
    assert.strictEqual(runCli(['evidence', 'verify', rb.id, '--repos'], { store }).status, 0);
    // a repo whose copy was replaced by another blob
    repos[2].git('update-ref', `refs/codecontext/evidence/${rb.id}`, repos[2].git('hash-object', '-w', 'README.md'));
    const bad = runCli(['evidence', 'verify', rb.id, '--repos'], { store });
    assert.strictEqual(bad.status, 1);
    assert.match(bad.stdout, /repo-02: the repo's copy of the pack \(refs\/codecontext\/evidence\/rb_\w+\) is not the store's/);
  });
});
