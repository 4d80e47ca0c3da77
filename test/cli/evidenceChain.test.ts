import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { canonicalJson, sha256 } from '../../server/src/engine/util/canonical';
import { RepoKit, runCli } from '../helpers/repoKit';

/** Evidence packs chained by digest (issue 14, part 3): a pack deleted, replaced or edited shows in `evidence verify --chain`. */
describe('the evidence chain', function () {
  const kit = new RepoKit();
  afterEach(() => kit.cleanup());

  it('links every pack to the one before it; a pack deleted from the middle or replaced with a recomputed digest breaks the chain, by name', function () {
    const { root, repos } = kit.workspace(1);
    const store = kit.tempDir('cc-store-');
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
});
