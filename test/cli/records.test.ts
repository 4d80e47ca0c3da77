import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { RepoKit, runCli } from '../helpers/repoKit';

/** A store record that cannot be read is listed as invalid, never silently left out (as snapshots are). */
describe('invalid store records are listed', function () {
  const kit = RepoKit.forSuite();

  it('a corrupt campaign file shows as INVALID in campaign list, beside the readable ones; so does a corrupt rollback record', function () {
    const { root, store } = kit.workspace(1);
    const ok = JSON.parse(runCli(['campaign', 'start', 'good', '--root', root, '--json'], { store }).stdout).id as string;
    const bad = JSON.parse(runCli(['campaign', 'start', 'bad', '--root', root, '--json'], { store }).stdout).id as string;
    fs.writeFileSync(path.join(store, 'campaigns', `${bad}.json`), '{"format": 1, "id": "trunc');
    const list = runCli(['campaign', 'list'], { store });
    assert.strictEqual(list.status, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${ok}\\s+good`));
    assert.match(list.stdout, new RegExp(`${bad}\\s+\\?.*INVALID`));
    assert.match(list.stdout, new RegExp(`${bad}: invalid: store file is not valid JSON`));
    const json = JSON.parse(runCli(['campaign', 'list', '--json'], { store }).stdout) as { id: string; invalid?: string }[];
    assert.deepStrictEqual(
      json.map((c) => [c.id, !!c.invalid]).sort(),
      [
        [bad, true],
        [ok, false],
      ].sort(),
    );

    fs.mkdirSync(path.join(store, 'rollbacks'), { recursive: true });
    fs.writeFileSync(path.join(store, 'rollbacks', 'rb_0123456789ab.json'), 'not json');
    const rb = runCli(['rollback', 'list'], { store });
    assert.strictEqual(rb.status, 0, rb.stderr);
    assert.match(rb.stdout, /rb_0123456789ab\s+\?.*INVALID/);
  });
});
