import * as assert from 'assert';
import * as path from 'path';
import { planRollback } from '../../server/src/engine/rollback/plan';
import { createSnapshot } from '../../server/src/engine/snapshot/snapshot';
import { Store } from '../../server/src/engine/store/store';
import { executeRollback } from '../../server/src/engine/rollback/transaction';
import { verifyEvidence } from '../../server/src/engine/rollback/evidence';
import { RepoKit, TestRepo } from '../helpers/repoKit';

/**
 * "Exact" means the bytes on disk, whatever git's filters and line-ending settings would make of
 * them (issue 13, defect 7): a capture stores each file's disk bytes, and a rollback writes them
 * back unfiltered, so LF, CRLF and mixed endings under autocrlf, and lines a lossy clean filter
 * drops, all come back byte for byte.
 */
describe('restore through git filters and line-ending settings', () => {
  const kit = new RepoKit();
  afterEach(() => kit.cleanup());

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
    assert.ok((await verifyEvidence(record.evidence, true)).ok, 'verify compares bytes and agrees');
  }

  it('autocrlf=true: LF, CRLF and mixed-ending files come back exactly as they were on disk', async () => {
    const repo = kit.repo(path.join(kit.tempDir(), 'r'), null);
    repo.git('config', 'core.autocrlf', 'true');
    repo.write('lf.txt', 'one\ntwo\n').write('crlf.txt', 'one\r\ntwo\r\n').write('mixed.txt', 'one\r\ntwo\nthree\r\n');
    repo.git('add', '-A');
    repo.git('commit', '-q', '-m', 'initial');
    await roundTrip(repo, () => {
      repo.write('lf.txt', 'changed\n').write('crlf.txt', 'changed\r\n').write('mixed.txt', 'changed\n');
      repo.commitAll('campaign');
    });
  });

  it('a clean filter that drops lines: the dropped lines come back, since the disk bytes were captured', async () => {
    const repo = kit.repo(path.join(kit.tempDir(), 'r'), null);
    repo.git('config', 'filter.strip.clean', "sed -e '/^OUTPUT/d'");
    repo.git('config', 'filter.strip.smudge', 'cat');
    repo.write('.gitattributes', '*.ipynb filter=strip\n');
    repo.write('nb.ipynb', 'cell 1\nOUTPUT: 42\ncell 2\nOUTPUT: done\n');
    repo.git('add', '-A');
    repo.git('commit', '-q', '-m', 'initial');
    await roundTrip(repo, () => {
      repo.write('nb.ipynb', 'cell 1 rewritten\n');
      repo.commitAll('campaign');
    });
  });

  it('eol attributes and a reversible filter (ROT13 in the object store) come back byte for byte', async () => {
    const repo = kit.repo(path.join(kit.tempDir(), 'r'), null);
    repo.git('config', 'filter.rot13.clean', 'tr A-Za-z N-ZA-Mn-za-m');
    repo.git('config', 'filter.rot13.smudge', 'tr A-Za-z N-ZA-Mn-za-m');
    repo.write('.gitattributes', '*.bat eol=crlf\n*.secret filter=rot13\n');
    repo.write('run.bat', 'echo a\r\necho b\r\n').write('plain.secret', 'Hello World\n');
    repo.commitAll('initial');
    await roundTrip(repo, () => {
      repo.write('run.bat', 'echo c\r\n').write('plain.secret', 'Goodbye\n').remove('.gitattributes');
      repo.commitAll('campaign');
      repo.write('.gitattributes', '*.bat eol=crlf\n*.secret filter=rot13\n');
    });
  });
});
