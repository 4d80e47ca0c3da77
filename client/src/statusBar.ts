import * as vscode from 'vscode';
import { CampaignListRequest, CampaignSummary } from '../../server/src/protocol';
import { onDidChangeActivity, runningIn } from './activity';
import { getClient, onDidChangeRunning, onDidChangeStore } from './serverClient';
import { plural } from './views/format';
import { listScope } from './scope';

/**
 * The active campaign in the status bar (the newest one not rolled back), spinning while this
 * window runs something in it; a click opens its history. Hidden when there is none.
 */
export interface CampaignStatus extends vscode.Disposable {
  /** Reads the campaigns again and redraws. */
  update(): Promise<void>;
  /** The campaign shown once the latest update has settled (undefined: hidden). */
  shown(): Promise<CampaignSummary | undefined>;
}

export function createCampaignStatus(): CampaignStatus {
  const item = vscode.window.createStatusBarItem('codecontext.campaign', vscode.StatusBarAlignment.Left, 10);
  item.name = 'CodeContext Campaign';
  let campaign: CampaignSummary | undefined;

  const draw = () => {
    if (!campaign) return item.hide();
    const running = runningIn(campaign.id);
    item.text = `${running ? '$(sync~spin)' : '$(history)'} ${campaign.name}`;
    item.tooltip =
      `Campaign ${campaign.name} (${campaign.id})\n${running ? `Running ${running}` : 'Active'} · ${plural(campaign.stepCount, 'step')} · ` +
      `${plural(campaign.repoCount, 'repo')}\nClick to open its history.`;
    item.command = { command: 'codecontext.showCampaignHistory', title: 'Show Campaign History', arguments: [campaign.id] };
    item.accessibilityInformation = { label: `CodeContext campaign ${campaign.name}, ${plural(campaign.stepCount, 'step')}` };
    item.show();
  };
  let latest: Promise<void> = Promise.resolve();
  const update = () => {
    const client = getClient();
    latest = (async () => {
      try {
        campaign = client ? (await client.sendRequest(CampaignListRequest, listScope())).campaigns.find((c) => c.status === 'active') : undefined;
      } catch {
        campaign = undefined;
      }
      draw();
    })();
    return latest;
  };
  const shown = async () => {
    await latest;
    return campaign;
  };

  const subscriptions = [
    item,
    onDidChangeStore((p) => {
      if (p.kinds.includes('campaigns')) void update();
    }),
    onDidChangeRunning(() => void update()),
    onDidChangeActivity(draw),
  ];
  void update();
  // `update` is called right after this window's own rollbacks: the item follows at once, not when the store watcher fires
  return Object.assign(vscode.Disposable.from(...subscriptions), { update, shown });
}
