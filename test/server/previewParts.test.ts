import * as assert from 'assert';
import { CampaignRunRequest, CampaignStartRequest, RollbackPlanFilesRequest, RollbackPreviewPart, RollbackPreviewRequest } from '../../server/src/protocol';
import { serverFixture, writeFileCommand } from './serverKit';

// Issue 24, item 5: a preview of many repos is drawn as it is planned. The server sends the repos
// planned so far under the request's partial result token, the first wave first; the response is
// the whole plan, and every part agrees with it.
describe('server: a preview sends the repos planned so far, first wave first', () => {
  const f = serverFixture((kit) => {
    const ws = kit.workspace(12);
    // a chain of three (repo-00 depends on repo-01, which depends on repo-02): three waves
    ws.repos.forEach((r, i) => {
      const deps = i < 2 ? { [`pkg-${i + 1}`]: '1.0.0' } : {};
      r.write('package.json', JSON.stringify({ name: `pkg-${i}`, dependencies: deps }, null, 2) + '\n').commitAll('package');
    });
    return ws;
  });

  it('as parts whose repos, waves and files are the plan’s, each repo once, all before the response', async () => {
    const camp = await f.server.request(CampaignStartRequest, { name: 'parts' });
    await f.server.request(CampaignRunRequest, { campaign: camp.id, command: writeFileCommand('README.md', 'rewritten\n') });

    const preview = await f.server.request(RollbackPreviewRequest, { campaign: camp.id, partialResultToken: 'parts-1' });
    // notifications and the response share one ordered stream: every part has arrived by now
    const parts = (f.server.progress.get('parts-1') ?? []) as unknown as RollbackPreviewPart[];
    assert.ok(parts.length >= 2, `parts: ${parts.length}`);
    assert.strictEqual(parts[0].repos[0].wave, 0);
    assert.deepStrictEqual(
      parts.map((p) => p.planned),
      parts.map((_, i) => parts.slice(0, i + 1).reduce((n, p) => n + p.repos.length, 0)),
    );
    assert.strictEqual(parts.at(-1)!.planned, 12);
    for (const p of parts) {
      assert.strictEqual(p.total, 12);
      assert.deepStrictEqual(p.waves, preview.waves);
      assert.deepStrictEqual(p.target, preview.target);
      assert.strictEqual(p.mode, preview.mode);
    }
    assert.strictEqual(preview.waves.length, 3);

    const sent = parts.flatMap((p) => p.repos);
    assert.deepStrictEqual(sent.map((r) => r.path).sort(), preview.repos.map((r) => r.path).sort(), 'each repo once');
    const waves = sent.map((r) => r.wave);
    assert.deepStrictEqual(
      waves,
      [...waves].sort((a, b) => a - b),
      'the first wave first',
    );
    for (const r of sent) {
      const final = preview.repos.find((x) => x.path === r.path)!;
      assert.deepStrictEqual(
        { wave: r.wave, changed: r.changed, fileCount: r.fileCount, dependsOn: r.dependsOn, after: r.after, goal: r.goal },
        { wave: final.wave, changed: final.changed, fileCount: final.fileCount, dependsOn: final.dependsOn, after: final.after, goal: final.goal },
        r.path,
      );
    }
    const page = await f.server.request(RollbackPlanFilesRequest, { plan: preview.hash });
    type Row = { repo: string; path: string; change: string; added: number; removed: number };
    const key = (x: Row) => `${x.repo}|${x.path}|${x.change}|${x.added}|${x.removed}`;
    assert.deepStrictEqual(
      parts
        .flatMap((p) => p.files)
        .map(key)
        .sort(),
      page.items.map(key).sort(),
    );
    assert.ok(parts.every((p) => p.filesLeft === 0));
    assert.strictEqual(page.items.length, 12);
  });

  it('sends no part without a token', async () => {
    const camp = await f.server.request(CampaignStartRequest, { name: 'no-parts' });
    await f.server.request(CampaignRunRequest, { campaign: camp.id, command: writeFileCommand('README.md', 'x\n') });
    await f.server.request(RollbackPreviewRequest, { campaign: camp.id, workDoneToken: 'plan-only' });
    assert.ok((f.server.progress.get('plan-only') ?? []).every((v) => 'kind' in v));
    assert.deepStrictEqual([...f.server.progress.keys()], ['plan-only']);
  });
});
