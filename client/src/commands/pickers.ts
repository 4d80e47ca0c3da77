import * as vscode from 'vscode';
import {
  CampaignListRequest,
  CampaignSummary,
  RollbackListRequest,
  RollbackRecord,
  SnapshotDetailRequest,
  SnapshotFilesRequest,
  SnapshotListRequest,
  SnapshotSummary,
} from '../../../server/src/protocol';
import { requireClient } from '../serverClient';
import { ago, plural, shortId } from '../views/format';
import { rollbackTitle } from '../views/rollbacksView';

/** Quick picks for the commands run from the palette without a target. Undefined: dismissed. */

interface Picked<T> extends vscode.QuickPickItem {
  value: T;
}

/** File counts are filled in for the newest few snapshots of modest size: the rest show repos only. */
const countedSnapshots = 10;
const countedRepos = 100;

/** Valid snapshots, newest first, with repo counts and (filled in as they come) file counts. */
export async function pickSnapshot(title: string, placeHolder: string): Promise<SnapshotSummary | undefined> {
  const client = requireClient();
  const { snapshots } = await client.sendRequest(SnapshotListRequest, {});
  const valid = snapshots.filter((s) => s.valid);
  if (!valid.length) {
    void vscode.window.showInformationMessage('CodeContext: there is no snapshot yet. Create one first ("CodeContext: Create Snapshot").');
    return undefined;
  }
  const describe = (s: SnapshotSummary, files?: number): string =>
    [plural(s.repoCount, 'repo'), files !== undefined ? plural(files, 'file') : '', s.campaign ? `campaign ${shortId(s.campaign)}` : '', ago(s.createdAt)].filter(Boolean).join(' · ');
  const items: Picked<SnapshotSummary>[] = valid.map((s) => ({
    label: `$(device-camera) ${s.message || s.id}`,
    description: s.message ? s.id : undefined,
    detail: describe(s),
    value: s,
  }));
  const pick = vscode.window.createQuickPick<Picked<SnapshotSummary>>();
  pick.title = title;
  pick.placeholder = placeHolder;
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  pick.items = items;
  pick.busy = true;
  const cancel = new vscode.CancellationTokenSource();
  void (async () => {
    for (const item of items.slice(0, countedSnapshots)) {
      if (cancel.token.isCancellationRequested || item.value.repoCount > countedRepos) continue;
      try {
        const manifest = await client.sendRequest(SnapshotDetailRequest, { id: item.value.id }, cancel.token);
        const totals = await Promise.all(manifest.repos.map((r) => client.sendRequest(SnapshotFilesRequest, { id: item.value.id, repo: r.path, limit: 1 }, cancel.token).then((p) => p.total)));
        item.detail = describe(item.value, totals.reduce((a, b) => a + b, 0));
        const active = pick.activeItems;
        pick.items = items;
        pick.activeItems = active;
      } catch {
        // the count is a nicety: the item stays as it is
      }
    }
    pick.busy = false;
  })();
  try {
    const chosen = await new Promise<Picked<SnapshotSummary> | undefined>((resolve) => {
      pick.onDidAccept(() => resolve(pick.selectedItems[0]));
      pick.onDidHide(() => resolve(undefined));
      pick.show();
    });
    return chosen?.value;
  } finally {
    cancel.cancel();
    cancel.dispose();
    pick.dispose();
  }
}

/** Campaigns (active first), or the only active one without asking. */
export async function pickCampaign(title: string, activeOnly = true): Promise<CampaignSummary | undefined> {
  const { campaigns } = await requireClient().sendRequest(CampaignListRequest, {});
  const shown = activeOnly ? campaigns.filter((c) => c.status === 'active') : campaigns;
  if (!shown.length) {
    void vscode.window.showInformationMessage('CodeContext: there is no active campaign. Start one first ("CodeContext: Start Campaign").');
    return undefined;
  }
  if (shown.length === 1) return shown[0];
  const picked = await vscode.window.showQuickPick(
    shown.map((c): Picked<CampaignSummary> => ({
      label: `$(history) ${c.name}`,
      description: c.id,
      detail: `${c.status} · ${plural(c.stepCount, 'step')} · ${plural(c.repoCount, 'repo')} · ${ago(c.lastStepAt ?? c.createdAt)}`,
      value: c,
    })),
    { title, placeHolder: 'Campaign', matchOnDescription: true },
  );
  return picked?.value;
}

/** Rollbacks and undos, newest first, optionally only those `filter` keeps. */
export async function pickRollback(title: string, filter: (r: RollbackRecord) => boolean = () => true): Promise<RollbackRecord | undefined> {
  const { rollbacks } = await requireClient().sendRequest(RollbackListRequest, {});
  const shown = rollbacks.filter(filter);
  if (!shown.length) {
    void vscode.window.showInformationMessage('CodeContext: there is no rollback to choose from.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    shown.map((r): Picked<RollbackRecord> => ({
      label: `$(${r.outcome === 'aborted' ? 'error' : 'pass'}) ${rollbackTitle(r)}`,
      description: r.id,
      detail: `${r.outcome}${r.undoneBy ? ', undone' : ''} · ${plural(r.repos.length, 'repo')} · ${ago(r.startedAt)}`,
      value: r,
    })),
    { title, matchOnDescription: true },
  );
  return picked?.value;
}
