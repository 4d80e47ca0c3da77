import * as assert from 'assert';
import * as path from 'path';
import { planRollback } from '../../server/src/engine/rollback/plan';
import { createSnapshot } from '../../server/src/engine/snapshot/snapshot';
import { Store } from '../../server/src/engine/store/store';
import { executeRollback } from '../../server/src/engine/rollback/transaction';
import { RepoKit } from '../helpers/repoKit';

/**
 * Capture stores what git would commit (clean filters, CRLF → LF); a rollback must write back what
 * git would check out (smudge, LF → CRLF), so files as git checked them out come back byte for byte.
 */
describe('restore through git filters', () => {
  const kit = new RepoKit();
  afterEach(() => kit.cleanup());

  it('brings back CRLF files (autocrlf and eol attributes) and filtered files byte for byte', async () => {
    const root = kit.tempDir();
    const repo = kit.repo(path.join(root, 'r'), null);
    repo.git('config', 'core.autocrlf', 'true');
    // a reversible filter: ROT13 in the object store, plain text on disk
    repo.git('config', 'filter.rot13.clean', 'tr A-Za-z N-ZA-Mn-za-m');
    repo.git('config', 'filter.rot13.smudge', 'tr A-Za-z N-ZA-Mn-za-m');
    repo.write('.gitattributes', '*.bat eol=crlf\n*.secret filter=rot13\n');
    repo.write('win.txt', 'one\r\ntwo\r\n').write('run.bat', 'echo a\r\necho b\r\n').write('plain.secret', 'Hello World\n');
    repo.commitAll('initial');
    // on disk, each file as git checks it out (a file git would convert differently on checkout
    // cannot come back in its odd form: the object store never held those bytes)
    repo.remove('win.txt').remove('run.bat').remove('plain.secret');
    repo.git('checkout', '--', '.');
    const before = repo.fingerprint();
    assert.ok(before.files['plain.secret'].endsWith(Buffer.from('Hello World\r\n').toString('base64')));
    const store = new Store(kit.tempDir('cc-store-'));
    const snap = await createSnapshot(store, [repo.dir]);
    assert.notStrictEqual(repo.git('cat-file', '-p', `${snap.repos[0].worktree}:plain.secret`), 'Hello World', 'the object store holds the cleaned form');

    repo.write('win.txt', 'changed\r\n').write('run.bat', 'echo c\r\n').write('plain.secret', 'Goodbye\n').remove('.gitattributes');
    repo.commitAll('campaign');
    repo.write('.gitattributes', '*.bat eol=crlf\n*.secret filter=rot13\n');

    const plan = await planRollback({ store }, { snapshot: snap.id });
    await executeRollback({ store }, plan, { force: true });
    const after = repo.fingerprint();
    assert.deepStrictEqual(after.files, before.files);
    assert.strictEqual(after.head, before.head);
    assert.strictEqual(after.status, before.status);
  });
});
