import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { planRollback } from '../../server/src/engine/rollback/plan/plan';
import { createSnapshot } from '../../server/src/engine/snapshot/snapshot';
import { Store } from '../../server/src/engine/store/store';
import { executeRollback } from '../../server/src/engine/rollback/tx/transaction';
import { verifyEvidence } from '../../server/src/engine/rollback/evidence/pack';
import { RepoKit, TestRepo } from '../helpers/repoKit';

/**
 * "Exact" means the bytes on disk, whatever git's filters and line-ending settings would make of
 * them (issue 13, defect 7): a capture stores each file's disk bytes, and a rollback writes them
 * back unfiltered, so LF, CRLF and mixed endings under autocrlf, and lines a lossy clean filter
 * drops, all come back byte for byte.
 */
describe('restore through git filters and line-ending settings', () => {
  const kit = RepoKit.forSuite();

  /** A repo with `config` set, then `files` written and committed through it. */
  function filteredRepo(config: Record<string, string>, files: Record<string, string>): TestRepo {
    const repo = kit.repo(path.join(kit.tempDir(), 'r'), null);
    for (const [k, v] of Object.entries(config)) repo.git('config', k, v);
    for (const [f, text] of Object.entries(files)) repo.write(f, text);
    repo.commitAll('initial');
    return repo;
  }

  async function roundTrip(repo: TestRepo, change: () => void): Promise<void> {
    const before = repo.fingerprint();
    const store = new Store(kit.tempDir('cc-store-'));
    const snap = await createSnapshot(store, [repo.dir]);
    change();
    const plan = await planRollback({ store }, { snapshot: snap.id });
    const record = await executeRollback({ store }, plan, { force: true });
    const after = repo.fingerprint();
    assert.deepStrictEqual(after.files, before.files);
    assert.strictEqual(after.head, before.head);
    assert.strictEqual(after.staged, before.staged);
    assert.ok((await verifyEvidence(record.evidence, store)).ok, 'verify compares bytes and agrees');
  }

  it('autocrlf=true: LF, CRLF and mixed-ending files come back exactly as they were on disk', async () => {
    const repo = filteredRepo({ 'core.autocrlf': 'true' }, { 'lf.txt': 'one\ntwo\n', 'crlf.txt': 'one\r\ntwo\r\n', 'mixed.txt': 'one\r\ntwo\nthree\r\n' });
    await roundTrip(repo, () => {
      repo.write('lf.txt', 'changed\n').write('crlf.txt', 'changed\r\n').write('mixed.txt', 'changed\n');
      repo.commitAll('campaign');
    });
  });

  it('a clean filter that drops lines: the dropped lines come back, since the disk bytes were captured', async () => {
    const repo = filteredRepo(
      { 'filter.strip.clean': "sed -e '/^OUTPUT/d'", 'filter.strip.smudge': 'cat' },
      { '.gitattributes': '*.ipynb filter=strip\n', 'nb.ipynb': 'cell 1\nOUTPUT: 42\ncell 2\nOUTPUT: done\n' },
    );
    await roundTrip(repo, () => {
      repo.write('nb.ipynb', 'cell 1 rewritten\n');
      repo.commitAll('campaign');
    });
  });

  it('eol attributes and a reversible filter (ROT13 in the object store) come back byte for byte', async () => {
    const repo = filteredRepo(
      { 'filter.rot13.clean': 'tr A-Za-z N-ZA-Mn-za-m', 'filter.rot13.smudge': 'tr A-Za-z N-ZA-Mn-za-m' },
      { '.gitattributes': '*.bat eol=crlf\n*.secret filter=rot13\n', 'run.bat': 'echo a\r\necho b\r\n', 'plain.secret': 'Hello World\n' },
    );
    await roundTrip(repo, () => {
      repo.write('run.bat', 'echo c\r\n').write('plain.secret', 'Goodbye\n').remove('.gitattributes');
      repo.commitAll('campaign');
      repo.write('.gitattributes', '*.bat eol=crlf\n*.secret filter=rot13\n');
    });
  });

  for (const version of ['2', '4'])
    it(`disk bytes when the only attributes file is the index's, gone from the disk (index version ${version})`, async () => {
      // an attribute alone converts here (no filter or autocrlf in the config)
      const repo = filteredRepo({}, { 'sub/.gitattributes': '*.bat eol=crlf\n', 'sub/run.bat': 'echo a\r\n' });
      repo.git('update-index', '--index-version', version);
      // git's add still reads the index's attributes file, so its blob has LF: the capture must store the disk's CRLF
      repo.remove('sub/.gitattributes').write('sub/run.bat', 'echo b\r\n');
      const snap = await createSnapshot(new Store(kit.tempDir('cc-store-')), [repo.dir]);
      assert.strictEqual(repo.git('cat-file', 'blob', `${snap.repos[0].worktree}:sub/run.bat`), 'echo b\r');
    });

  it("disk bytes even when the index's cache-tree vouches for git's tree (every entry stat-clean)", async () => {
    const repo = filteredRepo({ 'core.autocrlf': 'true' }, { 'crlf.txt': 'one\r\ntwo\r\n', 'sub/deep.txt': 'a\r\n' });
    // old mtimes and a refreshed index with a cache-tree: the capture's add then changes nothing,
    // and the cached root tree is git's (LF) one: a capture must not take it
    const past = new Date('2020-01-01T00:00:00Z');
    for (const f of ['crlf.txt', 'sub/deep.txt']) fs.utimesSync(repo.file(f), past, past);
    repo.git('update-index', '--refresh');
    repo.git('write-tree');
    const snap = await createSnapshot(new Store(kit.tempDir('cc-store-')), [repo.dir]);
    assert.strictEqual(repo.git('cat-file', 'blob', `${snap.repos[0].worktree}:crlf.txt`), 'one\r\ntwo\r');
    assert.strictEqual(repo.git('cat-file', 'blob', `${snap.repos[0].worktree}:sub/deep.txt`), 'a\r');
  });
});
