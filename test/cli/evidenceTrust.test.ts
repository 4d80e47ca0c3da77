import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { canonicalJson, sha256 } from '../../server/src/engine/util/canonical';
import { RepoKit, git, runCli } from '../helpers/repoKit';

/**
 * A forged evidence pack must not name its own trust anchor (issue 21, item 6): the allowed-signers
 * file comes from --allowed-signers or the user's global git config, never from the config of a
 * folder the pack names, and no program such a config names ever runs.
 */
describe('evidence verify: trust anchors come only from the user', function () {
  const kit = RepoKit.forSuite();

  before(function () {
    if (spawnSync('ssh-keygen', ['-?']).error) {
      console.log('      (skipped: no ssh-keygen on this machine)');
      this.skip();
    }
  });

  function keyPair(dir: string, name: string): { key: string; pub: string } {
    const key = path.join(dir, name);
    assert.strictEqual(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key]).status, 0);
    return { key, pub: fs.readFileSync(`${key}.pub`, 'utf8') };
  }

  /** A program that leaves a mark when anything runs it. */
  function tripwire(dir: string, name: string): { program: string; mark: string } {
    const mark = path.join(dir, `${name}.ran`);
    const program = path.join(dir, name);
    fs.writeFileSync(program, `#!/bin/sh\ntouch '${mark}'\nexit 0\n`, { mode: 0o755 });
    return { program, mark };
  }

  /**
   * The user (HOME with a global config: ssh signing key, allowed signers listing it as me@corp),
   * one signed rollback, and an attacker's folder: a repo whose own config names an allowed-signers
   * file listing the attacker's key as me@corp, and every program git could be told to run.
   */
  function setting() {
    const { root, repos, store } = kit.workspace(1);
    const keys = kit.tempDir('cc-keys-');
    const user = keyPair(keys, 'user');
    const userAllowed = path.join(keys, 'allowed_signers');
    fs.writeFileSync(userAllowed, `me@corp namespaces="codecontext-evidence" ${user.pub}`);
    const home = kit.tempDir('cc-home-');
    const globalConfig = path.join(home, '.gitconfig');
    fs.writeFileSync(globalConfig, `[gpg]\n\tformat = ssh\n[user]\n\tsigningkey = ${user.key}\n[gpg "ssh"]\n\tallowedSignersFile = ${userAllowed}\n`);

    const evil = kit.tempDir('cc-evil-');
    const attacker = keyPair(evil, 'attacker');
    const evilAllowed = path.join(evil, 'allowed_signers');
    fs.writeFileSync(evilAllowed, `me@corp namespaces="codecontext-evidence" ${attacker.pub}`);
    const evilRepo = path.join(evil, 'repo');
    fs.mkdirSync(evilRepo);
    git(evilRepo, 'init', '-q', '-b', 'main');
    const wires = ['gpg-program', 'ssh-program', 'fsmonitor', 'pager'].map((n) => tripwire(evil, n));
    fs.appendFileSync(
      path.join(evilRepo, '.git', 'config'),
      `[gpg]\n\tprogram = ${wires[0].program}\n\tformat = ssh\n[gpg "ssh"]\n\tallowedSignersFile = ${evilAllowed}\n\tprogram = ${wires[1].program}\n` +
        `[core]\n\tfsmonitor = ${wires[2].program}\n\tpager = ${wires[3].program}\n[gpg "openpgp"]\n\tprogram = ${wires[0].program}\n`,
    );
    return { root, repos, store, home, globalConfig, attacker, evilRepo, wires };
  }

  /** The kit's environment (GIT_CONFIG_NOSYSTEM set), or a user's (`bare`: no GIT_CONFIG_* at all), with `home` as HOME. */
  function userEnv(home: string, bare: boolean): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { HOME: home, XDG_CONFIG_HOME: undefined, GIT_CONFIG_GLOBAL: undefined };
    if (bare) for (const k of Object.keys(process.env).concat('GIT_CONFIG_NOSYSTEM')) if (k.startsWith('GIT_CONFIG')) env[k] = undefined;
    return env;
  }

  /** What a forger who can write the store does: a first repo entry of their own, digest recomputed, signed with their key. */
  function forge(packFile: string, firstRepo: string, key: string): void {
    const pack = JSON.parse(fs.readFileSync(packFile, 'utf8'));
    const { digest: _d, ...body } = { ...pack, repos: [{ ...pack.repos[0], path: firstRepo }, ...pack.repos] };
    fs.writeFileSync(packFile, JSON.stringify({ ...body, digest: sha256(canonicalJson(body)) }, null, 2) + '\n');
    fs.rmSync(`${packFile}.sig`, { force: true });
    const signed = spawnSync('ssh-keygen', ['-Y', 'sign', '-f', key, '-n', 'codecontext-evidence', packFile], { encoding: 'utf8' });
    assert.strictEqual(signed.status, 0, signed.stderr);
  }

  function signedRollback(s: ReturnType<typeof setting>, env: NodeJS.ProcessEnv): { id: string; evidence: string } {
    const snap = JSON.parse(runCli(['snapshot', 'create', '--root', s.root, '--json'], { store: s.store, env }).stdout).id as string;
    s.repos[0].write('README.md', 'changed\n');
    const r = runCli(['rollback', '--snapshot', snap, '--json'], { store: s.store, env });
    assert.strictEqual(r.status, 0, r.stderr);
    const rb = JSON.parse(r.stdout) as { id: string; evidence: string };
    assert.ok(fs.existsSync(`${rb.evidence}.sig`), 'signed with the key of the global config');
    return rb;
  }

  for (const bare of [false, true]) {
    const label = bare ? 'no GIT_CONFIG_* variables' : 'GIT_CONFIG_NOSYSTEM set';
    it(`a pack whose first repo is the forger's folder (its config naming their allowed signers) is not OK; no program it names runs (${label})`, function () {
      const s = setting();
      const env = userEnv(s.home, bare);
      const rb = signedRollback(s, env);
      const genuine = runCli(['evidence', 'verify', rb.id], { store: s.store, env });
      assert.strictEqual(genuine.status, 0, genuine.stdout);
      assert.match(genuine.stdout, /^OK: .*\n {2}signed by me@corp$/m);

      forge(rb.evidence, s.evilRepo, s.attacker.key);
      const forged = runCli(['evidence', 'verify', rb.id], { store: s.store, env });
      assert.strictEqual(forged.status, 1, forged.stdout);
      assert.doesNotMatch(forged.stdout, /^OK/m);
      assert.match(forged.stdout, /signature BAD/);
      assert.match(forged.stdout, /the pack's signature is by no key of .*cc-keys-\w+\/allowed_signers/);

      // the user has no allowed-signers file of their own: still never the forger's
      fs.writeFileSync(s.globalConfig, '[user]\n\tname = Someone\n');
      const noAnchor = runCli(['evidence', 'verify', rb.id], { store: s.store, env });
      assert.strictEqual(noAnchor.status, 1, noAnchor.stdout);
      assert.match(noAnchor.stdout, /no allowed signers file is known/);
      // verify standing inside the forger's folder reads no more of its config
      const inside = runCli(['evidence', 'verify', rb.id], { store: s.store, env, cwd: s.evilRepo });
      assert.strictEqual(inside.status, 1, inside.stdout);
      assert.match(inside.stdout, /no allowed signers file is known/);

      for (const w of s.wires) assert.ok(!fs.existsSync(w.mark), `${path.basename(w.program)} never ran`);
    });
  }

  it("verify --repos runs git only in the folders of the pack's safety snapshot: the forger's folder is named, never looked in", function () {
    const s = setting();
    const env = userEnv(s.home, true);
    const rb = signedRollback(s, env);
    const genuine = runCli(['evidence', 'verify', rb.id, '--repos'], { store: s.store, env });
    assert.strictEqual(genuine.status, 0, genuine.stdout);
    forge(rb.evidence, s.evilRepo, s.attacker.key);
    // its index exists, so a status or an add there would start core.fsmonitor
    fs.writeFileSync(path.join(s.evilRepo, 'f.txt'), 'x\n');
    git(s.evilRepo, 'add', 'f.txt');
    fs.rmSync(s.wires[2].mark, { force: true });
    const forged = runCli(['evidence', 'verify', rb.id, '--repos', '--json'], { store: s.store, env });
    assert.strictEqual(forged.status, 1, forged.stdout);
    const check = JSON.parse(forged.stdout) as { repos: { path: string; ok: boolean; problem?: string }[] };
    const evil = check.repos.find((r) => r.path === s.evilRepo);
    assert.match(evil?.problem ?? '', /not looked at: not a repo of its safety snapshot snap_\w+ in this store/);
    // the user's own repo is still looked in (its copy of the pack is the genuine one, so it differs from the forgery)
    assert.match(check.repos.find((r) => r.path === s.repos[0].dir)?.problem ?? '', /copy/);
    for (const w of s.wires) assert.ok(!fs.existsSync(w.mark), `${path.basename(w.program)} never ran`);
  });

  it("a global config's includeIf for the forger's folder does not apply to verify (it runs git in a folder of its own)", function () {
    const s = setting();
    const env = userEnv(s.home, true);
    const rb = signedRollback(s, env);
    forge(rb.evidence, s.evilRepo, s.attacker.key);
    // the user's global config trusts a folder-specific file only inside that folder: verify stands nowhere the pack names
    fs.appendFileSync(s.globalConfig, `[includeIf "gitdir:${s.evilRepo}/"]\n\tpath = ${path.join(s.evilRepo, '.git', 'config')}\n`);
    const forged = runCli(['evidence', 'verify', rb.id], { store: s.store, env, cwd: s.evilRepo });
    assert.strictEqual(forged.status, 1, forged.stdout);
    assert.match(forged.stdout, /signature BAD/);
    for (const w of s.wires) assert.ok(!fs.existsSync(w.mark), `${path.basename(w.program)} never ran`);
  });

  it('--allowed-signers given wins over everything, and a forged pack signed by another key fails against it', function () {
    const s = setting();
    const env = userEnv(s.home, false);
    const rb = signedRollback(s, env);
    const userAllowed = fs.readFileSync(s.globalConfig, 'utf8').match(/allowedSignersFile = (.*)/)![1];
    forge(rb.evidence, s.evilRepo, s.attacker.key);
    const forged = runCli(['evidence', 'verify', rb.id, '--allowed-signers', userAllowed], { store: s.store, env });
    assert.strictEqual(forged.status, 1, forged.stdout);
    assert.match(forged.stdout, /signature BAD/);
  });
});
