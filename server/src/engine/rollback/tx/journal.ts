import * as fs from 'fs';
import { AppendLog, lastEntry, readLog } from '../../store/appendLog';
import { Store } from '../../store/store';
import { RepoState } from '../../repo/repoState';
import type { LeftOut, RollbackPlan } from '../plan/plan';
import type { RepoRemotes } from '../plan/remotes';
import type { PlannedRefUpdate } from '../plan/remotePlan';
import type { CheckResult, Outcome, PhaseRecord } from '../records';

/**
 * The durable record of a rollback transaction, and its only truth: one checksummed entry per
 * step, appended and fsync'd before the step's effects are relied on (store/appendLog.ts). The
 * running transaction and `recover` read it through the same reducer (journalState.ts).
 *
 * Every entry is read by that reducer; none is written for the record alone.
 */
export type JournalEntry =
  | {
      t: 'begin';
      rb: string;
      at: string;
      pid: number;
      planHash: string;
      kind: 'rollback' | 'undo';
      /** An undo's rollback: marked `undoneBy` once the undo commits (the `undone` effect). */
      undoOf?: string;
      /** The command line, for the evidence pack. */
      argv?: string[];
      target: RollbackPlan['target'];
      mode: RollbackPlan['mode'];
      /** The campaign status this transaction sets once it commits (the `campaign` effect); absent: none. */
      campaign?: CampaignMark;
      /**
       * Per repo: where it goes, where the plan found it (`before`), how many files it changes (the
       * record's count), and what of the campaign its remotes hold, which the rollback leaves there (the evidence's `remotes`).
       */
      repos: { path: string; wave: number; goal: RepoState; before?: RepoState; files?: number; remotes?: RepoRemotes }[];
      /** The remote steps: per repo and remote, the ref updates planned (a revert's commit is made at prepare). */
      pushes?: PushBegin[];

      /** What of the target the plan left out, and why (the evidence's `leftOut`). */
      leftOut?: LeftOut[];
    }
  | {
      t: 'prepared';
      at: string;
      safety: string;
      repos: { path: string; state: RepoState }[];
      /** Per remote step, each update as it will be pushed: the lease (`old`) and the new value (`to`, null: deleted). */
      pushes?: { key: string; updates: PushedUpdate[] }[];
    }
  /** A remote step's push starts (synced before it does: recovery reads the remote for a step that has this). */
  | { t: 'pushing'; at: string; key: string }
  /** A remote step's push was accepted; `output` is what git and the remote said, credentials stripped. */
  | { t: 'pushed'; at: string; key: string; output?: string }
  /** A repo's step committed (its files, index and ref are at the goal; its check passed). */
  | { t: 'committed'; at: string; repo: string }
  | { t: 'verified'; at: string }
  /** Compensation starts: from here the transaction can only end back at its safety states. */
  | { t: 'compensating'; at: string; reason: string }
  /** Before compensation changes a repo, its present state is captured and pinned under `snapshot` (a ref). */
  | { t: 'captured'; at: string; snapshot: string; repos: { path: string; state: RepoState }[] }
  /** `kept`: files another process wrote during the transaction (or after the crash), left as they are. */
  | { t: 'compensated'; at: string; repo: string; kept?: string[] }
  | { t: 'abandoned'; at: string; repo: string; reason: string }
  /** The process that ran the transaction gave it up unfinished (it could not put a repo back): recover may take over though that process lives on. */
  | { t: 'handedOver'; at: string; reason: string }
  /**
   * The repos are where they will stay, and this is the outcome: every effect that follows (the
   * evidence, the record, the campaign's status, `undoneBy`) is done from this entry and `begin`,
   * by the running process or, after a crash, by recovery. A later `outcome` (recovery taking over
   * a handed-over transaction) replaces it, and its effects are done again.
   */
  | {
      t: 'outcome';
      at: string;
      outcome: Outcome;
      error?: { code: string; message: string; repo?: string; path?: string };
      phases?: PhaseRecord[];
      checks?: CheckResult[];
      /** Each repo's state after, where it was captured (verify, compensation). */
      after?: { path: string; state: RepoState }[];
      /** Entries after `prepared` that could not be written; the work went on. */
      journalProblems?: string[];
    }
  /** An effect of the outcome is done; `evidence` says where the pack is. */
  | { t: 'done'; at: string; effect: Effect; evidence?: { file: string; unsigned?: string } }
  | { t: 'end'; at: string; outcome: Outcome; detail?: string };

/** A remote step as `begin` names it: `key` is the journal's name for it (`remote:<remote>@<repo>`). */
export interface PushBegin {
  key: string;
  repo: string;
  remote: string;
  /** Where it pushes, credentials stripped. */
  url: string;
  wave: number;
  updates: PlannedRefUpdate[];
}

/** One ref update of a remote step, as prepared: the remote holds `old` before and `to` after (null: no such ref). */
export interface PushedUpdate {
  ref: string;
  old: string | null;
  to: string | null;
}

/** The journal's name for a repo's remote step; never an absolute path, so never a repo's. */
export function pushKey(repo: string, remote: string): string {
  return `remote:${remote}@${repo}`;
}

/** The store's bookkeeping that follows a transaction's outcome, in the order it is done. */
export type Effect = 'evidence' | 'record' | 'campaign' | 'undone';
export const effects: readonly Effect[] = ['evidence', 'record', 'campaign', 'undone'];

/** A campaign's status as a committed transaction leaves it: rolled back by `rolledBackBy`, or active again (`null`: an undo). */
export interface CampaignMark {
  id: string;
  checkpoint: number;
  rolledBackBy: string | null;
}

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
      // a finished journal ends in its `end`: its tail says so, and most journals are finished
      if ((await lastEntry<JournalEntry>(journalFile(store, rb)))?.t === 'end') continue;
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
