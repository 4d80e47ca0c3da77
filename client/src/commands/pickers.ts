import * as vscode from 'vscode';
import {
  CampaignListRequest,
  CampaignSummary,
  RollbackListRequest,
  RollbackCompareRequest,
  RollbackRecord,
  SnapshotListRequest,
  SnapshotSummary,
} from '../../../server/src/protocol';
import { requireClient } from '../serverClient';
import { ago, plural, rollbackTitle, shortId, wouldChange } from '../views/format';
import { groupSnapshots, otherNames } from '../views/snapshotGroups';
import { listScope } from '../scope';

/** Quick picks for the commands run from the palette without a target. Undefined: dismissed. */

interface Picked<T> extends vscode.QuickPickItem {
  value: T;
}

/**
 * The first rows are compared with now on their own, so the top of the list fills in at once; the
 * rest in one more request (each request captures every repo once, whatever number of snapshots).
 */
const comparedFirst = 8;

/**
 * Valid snapshots grouped as the Snapshots tree groups them: yours first (newest first, by day),
 * each campaign's (baseline first), safety snapshots last under their own separator, so the row
 * Enter picks is the user's newest own snapshot, never one a rollback made. Each row says what a
 * rollback to it would change compared with now (files, repos, HEAD, drift), filled in as the
 * cheap compare request answers: no plan is made for a row.
 */
export async function pickSnapshot(title: string, placeHolder: string, compare = true): Promise<SnapshotSummary | undefined> {
  const client = requireClient();
  const [{ snapshots }, { campaigns }, { rollbacks }] = await Promise.all([
    client.sendRequest(SnapshotListRequest, listScope()),
    client.sendRequest(CampaignListRequest, listScope()),
    client.sendRequest(RollbackListRequest, listScope()),
  ]);
  const valid = snapshots.filter((s) => s.valid);
  if (!valid.length) {
    void vscode.window.showInformationMessage(
      listScope().openFoldersOnly
        ? 'CodeContext: no snapshot holds a repo of the open folders. "Show All Campaigns" lists the rest of the store; "Create Snapshot" makes one here.'
        : 'CodeContext: there is no snapshot yet. Create one first ("CodeContext: Create Snapshot").',
    );
    return undefined;
  }
  const rows: Picked<SnapshotSummary>[] = [];
  const items: (Picked<SnapshotSummary> | vscode.QuickPickItem)[] = [];
  for (const g of groupSnapshots(valid, campaigns, new Date(), new Map(rollbacks.map((r) => [r.id, rollbackTitle(r, rollbacks)])))) {
    for (const d of g.days) {
      const title =
        g.kind === 'campaign'
          ? `campaign ${g.title}${g.campaign?.status === 'rolled-back' ? ' (rolled back)' : ''}`
          : g.kind === 'safety'
            ? 'safety snapshots (made by rollbacks)'
            : g.title.toLowerCase();
      items.push({ label: d.day ? `${title} · ${d.day}` : title, kind: vscode.QuickPickItemKind.Separator });
      for (const e of d.entries) {
        const s = e.summary;
        const others = otherNames(s, e.name, g.kind);
        const row: Picked<SnapshotSummary> = {
          label: `$(${iconOf(e.role, g.kind)}) ${e.name}`,
          // every other name is there to be typed: "nightly 17" finds the snapshot that note went to
          description: [shortId(s.id), ago(s.createdAt), others.length ? `also ${others.map((o) => `"${o}"`).join(', ')}` : ''].filter(Boolean).join(' · '),
          detail: compare ? `${plural(s.repoCount, 'repo')} · comparing with now…` : plural(s.repoCount, 'repo'),
          value: s,
        };
        rows.push(row);
        items.push(row);
      }
    }
  }
  const pick = vscode.window.createQuickPick<Picked<SnapshotSummary> | vscode.QuickPickItem>();
  pick.title = title;
  pick.placeholder = placeHolder;
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  pick.items = items;
  pick.activeItems = rows.slice(0, 1);
  const cancel = new vscode.CancellationTokenSource();
  if (compare) {
    pick.busy = true;
    comparing = (async () => {
      // one row per snapshot however many groups show it
      const ids = [...new Set(rows.map((r) => r.value.id))];
      for (const batch of [ids.slice(0, comparedFirst), ids.slice(comparedFirst)].filter((b) => b.length)) {
        if (cancel.token.isCancellationRequested) break;
        try {
          const { snapshots: found } = await client.sendRequest(RollbackCompareRequest, { snapshots: batch }, cancel.token);
          const byId = new Map(found.map((d) => [d.snapshot, d]));
          for (const row of rows) {
            const d = byId.get(row.value.id);
            if (d) row.detail = wouldChange(d);
          }
          const active = pick.activeItems;
          pick.items = items;
          pick.activeItems = active;
        } catch {
          // the comparison is a hint: a row keeps its repo count, the preview says the rest; it never says
          // "comparing" again once nothing is
          if (cancel.token.isCancellationRequested) break;
          for (const row of rows) if (batch.includes(row.value.id)) row.detail = `${plural(row.value.repoCount, 'repo')} · not compared`;
          const active = pick.activeItems;
          pick.items = items;
          pick.activeItems = active;
        }
      }
      pick.busy = false;
      // VS Code sends a pick's changed rows to the workbench on a zero timeout: settle after it, so a command
      // sent next (a test's move of the highlight) reaches the workbench after the rows
      await new Promise((resolve) => setTimeout(resolve, 0));
    })();
  }
  try {
    const chosen = await new Promise<Picked<SnapshotSummary> | undefined>((resolve) => {
      pick.onDidAccept(() => resolve(pick.selectedItems[0] as Picked<SnapshotSummary> | undefined));
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

/**
 * Settles once the open snapshot pick drew every row's comparison (at once when none is open). Each
 * drawing sets the pick's rows again, which puts the highlight back where the extension host last saw it:
 * a test that moves the highlight waits for this first, or its move may be undone by a late comparison.
 */
export function snapshotPickCompared(): Promise<void> {
  return comparing;
}
let comparing: Promise<void> = Promise.resolve();

function iconOf(role: 'baseline' | 'checkpoint' | undefined, kind: string): string {
  if (role === 'baseline') return 'debug-step-back';
  if (kind === 'safety') return 'shield';
  return role === 'checkpoint' ? 'git-commit' : 'device-camera';
}

/** Campaigns (active first), or the only active one without asking. */
export async function pickCampaign(title: string, activeOnly = true): Promise<CampaignSummary | undefined> {
  const { campaigns } = await requireClient().sendRequest(CampaignListRequest, listScope());
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
  const { rollbacks } = await requireClient().sendRequest(RollbackListRequest, listScope());
  const shown = rollbacks.filter(filter);
  if (!shown.length) {
    void vscode.window.showInformationMessage('CodeContext: there is no rollback to choose from.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    shown.map((r): Picked<RollbackRecord> => ({
      label: `$(${r.outcome === 'aborted' ? 'error' : 'pass'}) ${rollbackTitle(r, rollbacks)}`,
      description: r.id,
      detail: `${r.outcome}${r.undoneBy ? ', undone' : ''} · ${plural(r.repos.length, 'repo')} · ${ago(r.startedAt)}`,
      value: r,
    })),
    { title, matchOnDescription: true },
  );
  return picked?.value;
}
