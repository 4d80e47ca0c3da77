import type { CampaignSummary, SnapshotSummary } from '../../../server/src/protocol';
import { dayLabel, snapshotName } from './format';

/**
 * How snapshots are grouped, the same in the Snapshots tree and in the quick pick: the user's own
 * first (by day when they span more than one), then one group per campaign (its baseline first,
 * then its checkpoints in order), then the safety snapshots rollbacks made, apart and last. A long
 * list thus never pushes a campaign's baseline below thirty nightly snapshots, and Enter on the
 * first row never picks a snapshot the system made.
 */
export interface SnapshotGroup {
  key: string;
  kind: 'yours' | 'campaign' | 'safety';
  title: string;
  campaign?: CampaignSummary;
  /** Sub-groups by day (yours and safety, when they span days); otherwise one unnamed day. */
  days: { day: string | undefined; entries: GroupEntry[] }[];
}

export interface GroupEntry {
  summary: SnapshotSummary;
  /** What it is called in this group: its own words, "baseline", or a checkpoint's message. */
  name: string;
  /** In a campaign group: `baseline` or `checkpoint`. */
  role?: 'baseline' | 'checkpoint';
}

const safetyNote = /^safety snapshot before (rb_[0-9a-f]+)/;

/** The rollback a safety snapshot was taken before, when that is what it is first of all. */
export function safetyOf(s: SnapshotSummary): string | undefined {
  return s.message?.match(safetyNote)?.[1];
}

/** The names a row shows beside its own: every other note, but a safety note only in the safety group (it is noise elsewhere). */
export function otherNames(s: SnapshotSummary, shown: string, kind: SnapshotGroup['kind']): string[] {
  return [s.message, ...(s.notes ?? []).map((n) => n.message)].filter((m): m is string => !!m && m !== shown && (kind === 'safety' || !safetyNote.test(m)));
}

/** `titles`: rollback id → its title ("Rollback to before the codemod"), to say which rollback a safety snapshot came before. */
export function groupSnapshots(
  snapshots: readonly SnapshotSummary[],
  campaigns: readonly CampaignSummary[],
  now = new Date(),
  titles = new Map<string, string>(),
): SnapshotGroup[] {
  const groups: SnapshotGroup[] = [];
  // a checkpoint or safety snapshot the user also named (the same states, saved again with their words) is theirs too
  const userNotes = (s: SnapshotSummary) => (s.notes ?? []).filter((n) => !n.campaign && !safetyNote.test(n.message));
  const system = (s: SnapshotSummary) => !!s.campaign || !!safetyOf(s) || campaigns.some((c) => c.baseline === s.id && s.message === `baseline of ${c.name}`);
  const yours = snapshots.filter((s) => !system(s) || userNotes(s).length > 0);
  const ownName = (s: SnapshotSummary) => (system(s) ? userNotes(s).at(-1)!.message : snapshotName(s));
  if (yours.length)
    groups.push({
      key: 'yours',
      kind: 'yours',
      title: 'Your snapshots',
      days: byDay(
        yours.map((s) => ({ summary: s, name: ownName(s) })),
        now,
      ),
    });
  const known = new Set(campaigns.map((c) => c.id));
  for (const c of campaigns) {
    const entries: GroupEntry[] = snapshots
      .filter((s) => s.campaign === c.id || s.id === c.baseline || s.notes?.some((n) => n.campaign === c.id))
      .map((s) => ({
        summary: s,
        name: s.id === c.baseline ? `baseline of ${c.name}` : campaignName(s, c.id),
        role: s.id === c.baseline ? ('baseline' as const) : ('checkpoint' as const),
      }))
      .sort((a, b) => (a.role === 'baseline' ? -1 : b.role === 'baseline' ? 1 : a.summary.createdAt.localeCompare(b.summary.createdAt)));
    if (entries.length) groups.push({ key: `campaign:${c.id}`, kind: 'campaign', title: c.name, campaign: c, days: [{ day: undefined, entries }] });
  }
  // filed under a campaign the store no longer has: still listed, under its id
  const orphans = new Map<string, SnapshotSummary[]>();
  for (const s of snapshots) if (s.campaign && !known.has(s.campaign)) orphans.set(s.campaign, [...(orphans.get(s.campaign) ?? []), s]);
  for (const [id, list] of orphans)
    groups.push({
      key: `campaign:${id}`,
      kind: 'campaign',
      title: id,
      days: [{ day: undefined, entries: list.map((s) => ({ summary: s, name: snapshotName(s) })) }],
    });
  // every state a rollback saved first, also one that was a snapshot already (its note says so)
  const safetyName = (s: SnapshotSummary) =>
    safetyOf(s) ??
    [...(s.notes ?? [])]
      .reverse()
      .find((n) => safetyNote.test(n.message))
      ?.message.match(safetyNote)?.[1];
  const safety = snapshots.filter((s) => safetyName(s));
  const before = (rb: string) => {
    const title = titles.get(rb);
    return title ? `before ${title.replace(/^Rollback/, 'the rollback').replace(/^Undo/, 'the undo')} (${rb.slice(0, 11)})` : `before ${rb}`;
  };
  if (safety.length)
    groups.push({
      key: 'safety',
      kind: 'safety',
      title: 'Safety snapshots',
      days: byDay(
        safety.map((s) => ({ summary: s, name: before(safetyName(s)!) })),
        now,
      ),
    });
  return groups;
}

/** A checkpoint's words for this campaign: the note filed under it, else its message. */
function campaignName(s: SnapshotSummary, campaign: string): string {
  if (s.campaign === campaign) return snapshotName(s);
  return s.notes?.find((n) => n.campaign === campaign)?.message ?? snapshotName(s);
}

/** Newest first; split by day only when the entries span more than one. */
function byDay(entries: GroupEntry[], now: Date): SnapshotGroup['days'] {
  const days = new Map<string, GroupEntry[]>();
  for (const e of entries) {
    const d = dayLabel(e.summary.createdAt, now);
    days.set(d, [...(days.get(d) ?? []), e]);
  }
  if (days.size <= 1) return [{ day: undefined, entries }];
  return [...days].map(([day, list]) => ({ day, entries: list }));
}

export function entriesOf(group: SnapshotGroup): GroupEntry[] {
  return group.days.flatMap((d) => d.entries);
}
