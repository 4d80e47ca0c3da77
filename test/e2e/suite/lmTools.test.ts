import * as assert from 'assert';
import * as vscode from 'vscode';
import { fixture, readyInView } from './fixture';

const f = fixture();

/** The result's one text part, as JSON (client/src/lmTools.ts answers that way). */
function json(result: vscode.LanguageModelToolResult): unknown {
  const part = result.content[0];
  assert.ok(part instanceof vscode.LanguageModelTextPart, 'a text part');
  return JSON.parse(part.value);
}

/**
 * The agent-mode tools (issue 23, item 4) registered in real VS Code and invoked through
 * `vscode.lm.invokeTool`, as an agent would. Only the tools that change nothing: the fixture is shared.
 */
describe('Language model tools', function () {
  this.timeout(60_000);

  before(async () => {
    await readyInView();
  });

  it('registers the nine tools, and lists campaigns and previews undoing one step through invokeTool', async () => {
    const ours = vscode.lm.tools.filter((t) => t.name.startsWith('codecontext_')).map((t) => t.name);
    assert.deepStrictEqual(ours.sort(), [
      'codecontext_checkpoint',
      'codecontext_list_campaigns',
      'codecontext_list_rollbacks',
      'codecontext_list_snapshots',
      'codecontext_preview_rollback',
      'codecontext_rollback',
      'codecontext_start_campaign',
      'codecontext_undo_rollback',
      'codecontext_undo_step',
    ]);
    const none = new vscode.CancellationTokenSource().token;
    const campaigns = json(await vscode.lm.invokeTool('codecontext_list_campaigns', { input: {}, toolInvocationToken: undefined }, none)) as { id: string }[];
    assert.ok(campaigns.some((c) => c.id === f.campaign.id));
    const preview = json(
      await vscode.lm.invokeTool('codecontext_preview_rollback', { input: { campaign: f.campaign.id, onlyStep: 2 }, toolInvocationToken: undefined }, none),
    ) as { mode: string; totals: { files: number }; diffs: { path: string; diff: string }[] };
    // step 2 changed the logo; whether it is still there to undo depends on the tests before this one
    assert.strictEqual(preview.mode, 'replay');
    assert.strictEqual(typeof preview.totals.files, 'number');
    assert.ok(Array.isArray(preview.diffs));
  });
});
