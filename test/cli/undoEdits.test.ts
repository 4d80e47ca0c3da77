import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { RepoKit, TestRepo, runCli } from '../helpers/repoKit';

/**
 * `codecontext rollback undo` over files edited after the rollback (issue 25, item 1): refused with
 * nothing left behind unless a choice is given; `--dry-run` names the edits; `--force` overwrites
 * them, `--leave-edits-out` leaves them, `--keep-edits` undoes the rollback's change around them.
 */
describe('codecontext rollback undo over later edits (CLI)', function () {
  const kit = RepoKit.forSuite();
  let store: string;
  let root: string;
  let a: TestRepo;
  let b: TestRepo;
  let rb: string;
  const cli = (...args: string[]) => runCli(args, { store, cwd: root });
  const json = <T>(...args: string[]) => {
    const r = cli('--json', ...args);
    assert.strictEqual(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as T;
  };
  const text = (r: TestRepo, rel: string) => fs.readFileSync(r.file(rel), 'utf8');
  const lines = (n: number, changed?: number) =>
    Array.from({ length: n }, (_, i) => (i + 1 === changed ? `line ${i + 1} by the campaign` : `line ${i + 1}`)).join('\n') + '\n';

  beforeEach(function () {
    ({ root, store } = kit.workspace(0));
    a = kit.repo(path.join(root, 'a'), { 'notes.txt': lines(20), 'other.txt': 'a\n' });
    b = kit.repo(path.join(root, 'b'), { 'notes.txt': lines(20) });
    const camp = json<{ id: string }>('campaign', 'start', 'edit', '--root', root).id;
    a.write('notes.txt', lines(20, 3)).write('other.txt', 'a changed\n');
    b.write('notes.txt', lines(20, 3));
    json('campaign', 'checkpoint', camp);
    rb = json<{ id: string }>('rollback', '--campaign', camp).id;
    assert.strictEqual(text(a, 'notes.txt'), lines(20));
    // the user edits a file the rollback restored, far from the line the campaign changed
    a.write('notes.txt', lines(20).replace('line 18\n', 'line 18, my edit\n'));
  });

  it('refuses without a choice, leaving no record, and --dry-run names the edited file', function () {
    const before = json<unknown[]>('rollback', 'list').length;
    const r = cli('rollback', 'undo', rb);
    assert.strictEqual(r.status, 1, r.stdout);
    assert.match(r.stderr, /notes\.txt/);
    assert.strictEqual(json<unknown[]>('rollback', 'list').length, before, 'a refused undo leaves no record');
    const dry = cli('rollback', 'undo', rb, '--dry-run');
    assert.strictEqual(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /DRIFT notes\.txt/);
    const plan = json<{ totals: { drift: number } }>('rollback', 'undo', rb, '--dry-run');
    assert.strictEqual(plan.totals.drift, 1);
    assert.strictEqual(cli('rollback', 'undo', rb, '--force', '--keep-edits').status, 2);
  });

  it('--force overwrites the edit (the safety snapshot keeps it)', function () {
    const r = cli('rollback', 'undo', rb, '--force');
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(text(a, 'notes.txt'), lines(20, 3));
  });

  it('--leave-edits-out leaves the edited file as it is and undoes the rest', function () {
    const mine = text(a, 'notes.txt');
    const r = cli('rollback', 'undo', rb, '--leave-edits-out');
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(text(a, 'notes.txt'), mine);
    assert.strictEqual(text(a, 'other.txt'), 'a changed\n');
    assert.strictEqual(text(b, 'notes.txt'), lines(20, 3));
  });

  it("--keep-edits keeps the edit and undoes the rollback's change around it", function () {
    const r = cli('rollback', 'undo', rb, '--keep-edits');
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(text(a, 'notes.txt'), lines(20, 3).replace('line 18\n', 'line 18, my edit\n'));
    assert.strictEqual(text(b, 'notes.txt'), lines(20, 3));
  });

  it('--keep-edits refuses, changing nothing, when the edit is where the change to undo is', function () {
    a.write('notes.txt', lines(20).replace('line 3\n', 'line 3, mine\n'));
    const before = text(a, 'notes.txt');
    const dry = cli('rollback', 'undo', rb, '--keep-edits', '--dry-run');
    assert.strictEqual(dry.status, 1);
    assert.match(dry.stdout, /CONFLICT notes\.txt: edited since where the change to undo is/);
    const r = cli('rollback', 'undo', rb, '--keep-edits');
    assert.strictEqual(r.status, 1, r.stdout);
    assert.match(r.stderr, /does not merge cleanly/);
    assert.strictEqual(text(a, 'notes.txt'), before);
    assert.strictEqual(text(b, 'notes.txt'), lines(20));
  });
});
