import * as path from 'path';
import { Campaign, loadCampaign } from '../../campaign/campaign';
import { EngineError } from '../../util/errors';
import { SnapshotManifest, loadSnapshot, snapshotNames } from '../../snapshot/snapshot';
import { Store } from '../../store/store';

/** What a rollback goes back to: a snapshot, a campaign's baseline, or the state before step N. */
export interface TargetSpec {
  snapshot?: string;
  campaign?: string;
  step?: number;
  /**
   * With `campaign`: undo step N alone (replay mode), over every step after it; the later steps'
   * changes and anyone's edits since are kept, and a hunk of step N changed since is a conflict.
   */
  onlyStep?: number;
}

export interface ResolvedTarget {
  snapshot: SnapshotManifest;
  campaign?: Campaign;
  /** Which checkpoint of the campaign the target is: 0 = baseline, k = after step k. */
  checkpoint?: number;
  /** The campaign's newest checkpoint, when it is later than the target: what drift is measured from. */
  lastCheckpoint?: SnapshotManifest;
  /** `--only-step N`: the step undone alone, and its checkpoint (the state after it). */
  onlyStep?: { n: number; after: SnapshotManifest };
  label: string;
}

export async function resolveTarget(store: Store, spec: TargetSpec): Promise<ResolvedTarget> {
  if (!!spec.snapshot === !!spec.campaign) throw new EngineError('Usage', 'give a target: --snapshot <snap> or --campaign <camp> [--step N]');
  if (spec.step !== undefined && !spec.campaign) throw new EngineError('Usage', '--step goes with --campaign');
  if (spec.onlyStep !== undefined && !spec.campaign) throw new EngineError('Usage', '--only-step goes with --campaign');
  if (spec.onlyStep !== undefined && spec.step !== undefined) throw new EngineError('Usage', 'give --step N or --only-step N, not both');
  let campaign: Campaign | undefined;
  let snapshot: SnapshotManifest;
  let checkpoint: number | undefined;
  let label: string;
  if (spec.campaign) {
    campaign = await loadCampaign(store, spec.campaign);
    const n = spec.step ?? spec.onlyStep;
    if (n !== undefined) {
      if (!Number.isInteger(n) || n < 1 || n > campaign.steps.length) {
        throw new EngineError('UnknownId', `${campaign.id} has no step ${n} (it has ${campaign.steps.length})`);
      }
      checkpoint = n - 1;
      label = spec.onlyStep !== undefined ? `${campaign.name} step ${n} only` : `${campaign.name} before step ${n}`;
    } else {
      checkpoint = 0;
      label = `${campaign.name} baseline`;
    }
    snapshot = await loadSnapshot(store, checkpoint === 0 ? campaign.baseline : campaign.steps[checkpoint - 1].snapshot);
  } else {
    snapshot = await loadSnapshot(store, spec.snapshot!);
    // named as the trees and lists name it, so a confirmation and the list it came from agree
    label = snapshotNames(snapshot)[0] ?? snapshot.id;
    // the campaign it was filed under, or one that noted these same states later (a baseline of unchanged repos)
    for (const filed of [snapshot.campaign, ...(snapshot.notes ?? []).map((n) => n.campaign)]) {
      if (!filed || campaign) continue;
      const found = await loadCampaign(store, filed).catch(() => undefined);
      if (!found) continue;
      const ids = [found.baseline, ...found.steps.map((s) => s.snapshot)];
      const at = ids.lastIndexOf(snapshot.id);
      if (at >= 0 || filed === snapshot.campaign) {
        campaign = found;
        checkpoint = at >= 0 ? at : undefined;
      }
    }
  }
  let lastCheckpoint: SnapshotManifest | undefined;
  if (campaign && checkpoint !== undefined && checkpoint < campaign.steps.length) {
    lastCheckpoint = await loadSnapshot(store, campaign.steps[campaign.steps.length - 1].snapshot);
  }
  const onlyStep =
    campaign && spec.onlyStep !== undefined ? { n: spec.onlyStep, after: await loadSnapshot(store, campaign.steps[spec.onlyStep - 1].snapshot) } : undefined;
  return { snapshot, campaign, checkpoint, lastCheckpoint, onlyStep, label };
}

/** The target's repos limited to those named (by folder); a name not in the target is an error. */
export function chooseTargetRepos(target: SnapshotManifest, only: readonly string[] = []): string[] {
  const all = target.repos.map((r) => r.path);
  if (only.length === 0) return all;
  return only.map((o) => {
    const abs = path.resolve(o);
    if (!all.includes(abs)) throw new EngineError('UnknownId', `repo is not part of ${target.id}`, abs);
    return abs;
  });
}
