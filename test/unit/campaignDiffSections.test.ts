import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { checkpointCampaign, startCampaign, stepChangeRecords } from '../../server/src/engine/campaign/campaign';
import { campaignDiff, campaignDiffByRepo } from '../../server/src/engine/campaign/campaignDiff';
import { Store } from '../../server/src/engine/store/store';
import { RepoKit } from '../helpers/repoKit';

/** A step's diff text cut per file (what the history panel shows inline) is the text `campaign diff` prints, byte for byte. */
describe('campaign diff: per-file parts', () => {
  const kit = new RepoKit();
  after(() => kit.cleanup());

  it('cuts every kind of change into parts that join to the text, each naming its file', async () => {
    const root = kit.tempDir('cc-sections-');
    const repo = kit.repo(path.join(root, 'svc api'), {
      'src/a.ts': 'one\ntwo\n',
      'logo.bin': '\0PNG\x01',
      'run.sh': '#!/bin/sh\n',
      'gone.txt': 'bye\n',
      'link.txt': 'a file that becomes a link\n',
      'old name.txt': 'moves\n'.repeat(5),
      'tab\there.txt': 'quoted by git\n',
    });
    const store = new Store(kit.tempDir('cc-store-'));
    const campaign = await startCampaign({ store }, 'kinds', [root]);
    repo.write('src/a.ts', 'one\nTWO\n').write('logo.bin', '\0PNG\x02').write('tab\there.txt', 'still quoted\n').write('new.txt', 'hello\n');
    fs.chmodSync(repo.file('run.sh'), 0o755);
    fs.rmSync(repo.file('gone.txt'));
    fs.rmSync(repo.file('link.txt'));
    repo.symlink('link.txt', 'src/a.ts');
    fs.renameSync(repo.file('old name.txt'), repo.file('new name.txt'));
    const { campaign: after } = await checkpointCampaign({ store }, campaign.id);

    const [part] = await campaignDiffByRepo(store, after, 1);
    assert.strictEqual(part.text, await campaignDiff(store, after, 1));
    const sections = part.files.map((f) => ({ path: f.change.path, oldPath: f.change.oldPath, text: f.text }));
    assert.strictEqual(sections.map((s) => s.text).join(''), part.text, 'not a byte changed');
    const records = await stepChangeRecords(store, after, 1);
    for (const r of records) {
      const mine = sections.filter((s) => s.path === r.path || (r.oldPath !== undefined && s.oldPath === r.oldPath));
      assert.ok(mine.length > 0, `no section for ${r.path} (${r.kind}) in:\n${sections.map((s) => s.path).join('\n')}`);
      assert.ok(mine.every((s) => s.text.startsWith('diff --git ')));
    }
    const by = (p: string) => sections.filter((s) => s.path === p);
    assert.match(by('logo.bin')[0].text, /^Binary files a\/svc api\/logo\.bin and b\/svc api\/logo\.bin differ$/m);
    assert.match(by('run.sh')[0].text, /^new mode 100755$/m);
    assert.match(by('gone.txt')[0].text, /^deleted file mode/m);
    assert.strictEqual(by('link.txt').length, 1, 'a file that became a symlink is one file…');
    assert.strictEqual(by('link.txt')[0].text.match(/^diff --git /gm)?.length, 2, '…whose text is a deletion and a creation');
    assert.deepStrictEqual(sections.find((s) => s.oldPath)?.oldPath, 'old name.txt');
    assert.match(by('tab\there.txt')[0].text, /^diff --git "a\/svc api\/tab\\there\.txt"/m);
  });
});
