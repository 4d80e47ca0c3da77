import * as vscode from 'vscode';
import { CampaignListRequest, RollbackMode, SnapshotListRequest } from '../../../server/src/protocol';
import { requireClient } from '../serverClient';
import { plural } from '../views/format';
import { listScope } from '../scope';

/** What "Preview Rollback…" rolls back to; the command's argument. */
export interface PreviewTarget {
  snapshot?: string;
  campaign?: string;
  /** Roll back to the state before this step (1-based); without it, the campaign's baseline. */
  step?: number;
  /** Undo this one step alone (replay), over the steps after it; not with `step`. */
  onlyStep?: number;
  /** With `file`: the plan limited to this one file of this repo (campaign blame's "Revert This Step in This File…"). */
  file?: { repo: string; path: string };
  mode?: RollbackMode;
  /** Open with every remote that holds campaign work chosen for the rollback too (the confirmation's "Preview With Remotes…"). */
  remotes?: boolean;
}

/**
 * Reads the command argument the ways callers give it: a `PreviewTarget`, an id string
 * (`snap_…` / `camp_…`), or a tree item carrying such fields (`snapshot`, `campaign`, `step`, `id`).
 */
export function targetFromArg(arg: unknown): PreviewTarget | undefined {
  if (typeof arg === 'string') return arg.startsWith('snap_') ? { snapshot: arg } : arg ? { campaign: arg } : undefined;
  if (!arg || typeof arg !== 'object') return undefined;
  const o = arg as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const target: PreviewTarget = {
    snapshot: str(o.snapshot),
    campaign: str(o.campaign) ?? str(o.campaignId),
    step: typeof o.step === 'number' && o.step > 0 ? o.step : undefined,
    mode: o.mode === 'restore' || o.mode === 'replay' ? o.mode : undefined,
    ...(o.remotes === true ? { remotes: true } : {}),
  };
  if (typeof o.onlyStep === 'number' && o.onlyStep > 0 && !target.step) target.onlyStep = o.onlyStep;
  const file = o.file as Record<string, unknown> | undefined;
  if (file && typeof file.repo === 'string' && typeof file.path === 'string' && file.repo && file.path) target.file = { repo: file.repo, path: file.path };
  if (!target.snapshot && !target.campaign && typeof o.id === 'string') return targetFromArg(o.id);
  return target.snapshot || target.campaign ? target : undefined;
}

interface TargetItem extends vscode.QuickPickItem {
  target?: PreviewTarget;
}

/** A quick pick of campaigns (their baselines) and snapshots, newest first; undefined when dismissed. */
export async function pickTarget(): Promise<PreviewTarget | undefined> {
  const client = requireClient();
  const [campaigns, snapshots] = await Promise.all([
    client.sendRequest(CampaignListRequest, listScope()),
    client.sendRequest(SnapshotListRequest, listScope()),
  ]);
  const items: TargetItem[] = [];
  if (campaigns.campaigns.length) items.push({ label: 'Campaigns', kind: vscode.QuickPickItemKind.Separator });
  for (const c of campaigns.campaigns) {
    items.push({
      label: `$(history) ${c.name}`,
      description: `${c.id} · baseline`,
      detail: `${plural(c.repoCount, 'repo')} · ${plural(c.stepCount, 'step')} · ${c.status}${c.lastStepAt ? ` · last step ${when(c.lastStepAt)}` : ''}`,
      target: { campaign: c.id },
    });
  }
  const valid = snapshots.snapshots.filter((s) => s.valid);
  const campaignNames = new Map(campaigns.campaigns.map((c) => [c.id, c.name]));
  if (valid.length) items.push({ label: 'Snapshots', kind: vscode.QuickPickItemKind.Separator });
  for (const s of valid) {
    items.push({
      label: `$(device-camera) ${s.message || s.id}`,
      description: s.message ? s.id : undefined,
      detail: `${plural(s.repoCount, 'repo')} · ${when(s.createdAt)}${s.campaign ? ` · ${campaignNames.get(s.campaign) ?? s.campaign}` : ''}`,
      target: { snapshot: s.id },
    });
  }
  if (!items.length) {
    void vscode.window.showInformationMessage('CodeContext: nothing to roll back to yet. Create a snapshot or start a campaign first.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Preview Rollback',
    placeHolder: 'Roll back to… (a campaign rolls back to its baseline)',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  return picked?.target;
}

function when(iso: string): string {
  return new Date(iso).toLocaleString();
}
