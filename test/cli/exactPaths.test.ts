import * as assert from 'assert';
import { RepoKit, runCli } from '../helpers/repoKit';

/** A name with glob characters, escaped in `--path`, is that one file (issue 12, item 7). */
describe('rollback --path with glob characters in a name', function () {
  const kit = RepoKit.forSuite();

  it("--path 'a\\*b.ts' rolls back a*b.ts only; axb.ts keeps its edit", function () {
    const { root, repos, store } = kit.workspace(1, { 'a*b.ts': 'one\n', 'axb.ts': 'two\n' });
    const snap = JSON.parse(runCli(['snapshot', 'create', '--root', root, '--json'], { store }).stdout).id as string;
    repos[0].write('a*b.ts', 'one, edited\n').write('axb.ts', 'two, edited\n');
    const r = runCli(['rollback', '--snapshot', snap, '--path', 'a\\*b.ts', '--force', '--json'], { store });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(repos[0].read('a*b.ts').toString(), 'one\n');
    assert.strictEqual(repos[0].read('axb.ts').toString(), 'two, edited\n');
  });
});
