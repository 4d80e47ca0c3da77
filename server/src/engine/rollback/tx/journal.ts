import * as fs from 'fs';
import { AppendLog, readLog } from '../../store/appendLog';
import { Store } from '../../store/store';
import { RepoState } from '../../repo/repoState';
import type { RollbackPlan } from '../plan/plan';

/**
 * The durable record of a rollback transaction: one checksummed entry per step, appended and
 * fsync'd before the step's effects are relied on (store/appendLog.ts). After a crash it says
 * what was in flight; nothing is changed in a repo before `prepared` is on disk.
 */
export type JournalEntry =
  | {
      t: 'begin';
      rb: string;
      at: string;
      pid: number;
      planHash: string;
      kind: 'rollback' | 'undo';
      target: RollbackPlan['target'];
      mode: RollbackPlan['mode'];
      repos: { path: string; wave: number; goal: RepoState }[];
    }
  | { t: 'prepared'; at: string; safety: string; repos: { path: string; state: RepoState }[] }
  | { t: 'committed'; at: string; repo: string }
  | { t: 'verified'; at: string }
  | { t: 'compensating'; at: string; reason: string }
  /** Before compensation changes a repo, its present state is captured and pinned in this snapshot. */
  | { t: 'captured'; at: string; snapshot: string; repos: { path: string; state: RepoState }[] }
  /** `kept`: files another process wrote during the transaction (or after the crash), left as they are. */
  | { t: 'compensated'; at: string; repo: string; kept?: string[] }
  | { t: 'abandoned'; at: string; repo: string; reason: string }
  /** The process that ran the transaction gave it up unfinished (it could not put a repo back): recover may take over though that process lives on. */
  | { t: 'handedOver'; at: string; reason: string }
  | { t: 'end'; at: string; outcome: 'committed' | 'aborted' | 'compensated' | 'recovered'; detail?: string };

const folder = 'journal';

export type Journal = AppendLog<JournalEntry>;

export function journalFile(store: Store, rb: string): string {
  return store.path(folder, `${rb}.jsonl`);
}

/** Opens a transaction's journal for appending, creating it, and cutting a torn tail back first. */
export function openJournal(store: Store, rb: string): Promise<Journal> {
  return AppendLog.open<JournalEntry>(journalFile(store, rb));
}

/** All whole entries of a transaction's journal; a torn last entry (a crash mid-write) is left out. */
export async function readJournal(store: Store, rb: string): Promise<JournalEntry[]> {
  return (await readLog<JournalEntry>(journalFile(store, rb))).entries;
}

/** Transactions whose journal has no `end` entry, and the journals that could not be read. */
export async function unfinishedTransactions(store: Store): Promise<{ open: string[]; unreadable: { rb: string; error: unknown }[] }> {
  const names = await store.list(folder, '.jsonl');
  const open: string[] = [];
  const unreadable: { rb: string; error: unknown }[] = [];
  for (const n of names) {
    const rb = n.slice(0, -'.jsonl'.length);
    try {
      const entries = await readJournal(store, rb);
      if (!entries.some((e) => e.t === 'end')) open.push(rb);
    } catch (error) {
      unreadable.push({ rb, error });
    }
  }
  return { open, unreadable };
}

/** True when a journal exists for `rb` (whatever its state). */
export function hasJournal(store: Store, rb: string): boolean {
  return fs.existsSync(journalFile(store, rb));
}
