import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { RepoKit, fingerprints, runCli } from '../helpers/repoKit';

/**
 * A refusal is decided before anything is journaled or locked (issue 20, part 3): drift, a
 * conflict, a check only a shell could run. It leaves nothing behind: no journal, no record in
 * `rollback list`, no evidence pack, and the evidence chain as it was.
 */
describe('a refused rollback leaves nothing behind', function () {
  const kit = RepoKit.forSuite();

  it('drift, a conflict and a check in shell syntax: the store is byte for byte as before, and so are the repos', function () {
    const template = kit.repo(path.join(kit.tempDir('cc-tpl-'), 'template'), { 'a.txt': 'one\ntwo\nthree\n', 'b.txt': 'b\n' });
    const { root, repos } = kit.copies(template, 2);
    const store = kit.tempDir('cc-store-');
    const cli = (...args: string[]) => runCli(args, { store });
    const camp = JSON.parse(cli('campaign', 'start', 'edit', '--root', root, '--json').stdout).id as string;
    for (const r of repos) r.write('a.txt', 'one\nTWO\nthree\n');
    assert.strictEqual(cli('campaign', 'checkpoint', camp).status, 0);
    // one rollback that commits and its undo, so the chain and the list are not empty
    assert.strictEqual(cli('rollback', '--campaign', camp).status, 0);
    const rb = (JSON.parse(cli('rollback', 'list', '--json').stdout) as { id: string }[])[0].id;
    assert.strictEqual(cli('rollback', 'undo', rb).status, 0);
    // the user edits the line the campaign changed: drift for restore, a conflict for replay
    repos[0].write('a.txt', 'one\nTWO and mine\nthree\n');
    const storeBefore = listing(store);
    const listBefore = cli('rollback', 'list', '--json').stdout;
    const chainBefore = cli('evidence', 'verify', '--chain');
    assert.strictEqual(chainBefore.status, 0, chainBefore.stdout + chainBefore.stderr);
    const reposBefore = fingerprints(repos);
    const refusals: [string, string[], RegExp][] = [
      ['drift', ['rollback', '--campaign', camp], /changed since the campaign's last checkpoint.*nothing was changed/],
      ['conflict', ['rollback', '--campaign', camp, '--mode', 'replay'], /conflict.*nothing was changed/],
      ['shell syntax', ['rollback', '--campaign', camp, '--force', '--check', 'npm test | tee log'], /runs without a shell/],
    ];
    for (const [what, args, message] of refusals) {
      const r = cli(...args);
      assert.strictEqual(r.status, 1, `${what}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, what);
      assert.doesNotMatch(r.stderr, /rb_[0-9a-f]+|evidence/, `${what}: a refusal names no rollback and no evidence`);
      assert.deepStrictEqual(listing(store), storeBefore, `${what}: the store's files`);
      assert.strictEqual(cli('rollback', 'list', '--json').stdout, listBefore, `${what}: rollback list`);
      assert.strictEqual(cli('evidence', 'verify', '--chain').stdout, chainBefore.stdout, `${what}: the chain's verdict`);
      assert.deepStrictEqual(fingerprints(repos), reposBefore, `${what}: the repos`);
    }
  });
});

/** Every file of the store with its size and bytes' hash, journal and rollbacks folders included. */
function listing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, name);
    const st = fs.lstatSync(p);
    if (st.isFile()) out[name] = fs.readFileSync(p).toString('base64').slice(0, 64) + `:${st.size}`;
  }
  return out;
}
