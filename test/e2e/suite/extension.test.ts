import * as assert from 'assert';
import * as vscode from 'vscode';
import { EXTENSION_ID, fixture, label, ready, readyInView, waitForTree } from './fixture';
import { screenshot, screenshotCounting } from './screenshot';

describe('CodeContext extension', () => {
  it('activates in the extension host and its server starts', async () => {
    await ready();
    assert.strictEqual(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
  });

  it('shows the campaign made with the CLI before VS Code opened, and its status bar item', async () => {
    const api = await readyInView();
    const { campaign } = fixture();
    const t = api.trees.campaigns;
    const node = await waitForTree(t, async () => (await t.getChildren()).find((n) => n.campaign === campaign.id));
    assert.strictEqual(label(t, node), campaign.name);
    const shown = await api.statusBarCampaign();
    assert.deepStrictEqual([shown?.id, shown?.name], [campaign.id, campaign.name], 'the status bar item shows the campaign');
    // what the user sees: the view's row, and the status bar item (found by the label a screen reader reads)
    await screenshot('workbench-campaigns', { waitForText: campaign.name });
    const item = await screenshotCounting('workbench-campaigns-status', `.statusbar-item[aria-label^="CodeContext campaign ${campaign.name}, 3 steps"]`);
    if (item) assert.strictEqual(item.count, 1, 'one status bar item names the campaign');
  });
});
