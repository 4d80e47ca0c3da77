import * as fs from 'fs';
import * as path from 'path';
import { Store, fsyncDir } from '../store/store';
import { RepoState } from '../repo/repoState';
import type { RollbackPlan } from './plan';

/**
 * The durable record of a rollback transaction: one JSON line per step, appended and fsync'd
 * before the step's effects are relied on. After a crash it says what was in flight.
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
  | { t: 'compensated'; at: string; repo: string }
  | { t: 'end'; at: string; outcome: 'committed' | 'aborted' | 'compensated' | 'recovered'; detail?: string };

const folder = 'journal';

export class Journal {
  private constructor(
    private readonly file: string,
    private readonly handle: fs.promises.FileHandle,
  ) {}

  static async create(store: Store, rb: string): Promise<Journal> {
    const dir = store.path(folder);
    await fs.promises.mkdir(dir, { recursive: true });
    const file = path.join(dir, `${rb}.jsonl`);
    const handle = await fs.promises.open(file, 'a');
    await fsyncDir(dir);
    return new Journal(file, handle);
  }

  private queue: { line: string; done: (e?: unknown) => void }[] = [];
  private draining = false;

  /**
   * Appends one entry and resolves only once it is on disk. Entries appended while a sync is in
   * flight are written and synced together (group commit): repos committing in parallel share
   * one fsync instead of queueing one each.
   */
  append(entry: JournalEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ line: JSON.stringify(entry) + '\n', done: (e) => (e ? reject(e) : resolve()) });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    while (this.queue.length) {
      const batch = this.queue.splice(0);
      try {
        await this.handle.write(batch.map((b) => b.line).join(''));
        await this.handle.datasync();
        batch.forEach((b) => b.done());
      } catch (e) {
        batch.forEach((b) => b.done(e));
      }
    }
    this.draining = false;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  get path(): string {
    return this.file;
  }
}

/** All entries of a transaction's journal; a torn last line (crash mid-write) is ignored. */
export async function readJournal(store: Store, rb: string): Promise<JournalEntry[]> {
  const text = await fs.promises.readFile(store.path(folder, `${rb}.jsonl`), 'utf8');
  const entries: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      entries.push(JSON.parse(line) as JournalEntry);
    } catch {
      break;
    }
  }
  return entries;
}

/** Transactions whose journal has no `end` entry. */
export async function unfinishedTransactions(store: Store): Promise<string[]> {
  const names = await store.list(folder, '.jsonl');
  const open: string[] = [];
  for (const n of names) {
    const rb = n.slice(0, -'.jsonl'.length);
    const entries = await readJournal(store, rb);
    if (!entries.some((e) => e.t === 'end')) open.push(rb);
  }
  return open;
}
