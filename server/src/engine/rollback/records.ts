import { EngineError } from '../util/errors';
import { resolveId } from '../store/ids';
import { RepoState } from '../repo/repoState';
import { InvalidRecord, Store, readRecords } from '../store/store';
import type { RollbackPlan } from './plan/plan';
import type { Campaign } from '../campaign/campaign';
import type { KnownStates } from './plan/driftBase';

/**
 * How a transaction ended, in every place that says it (the journal's `outcome` and `end`, the
 * record, the evidence pack, the recovery report): every repo at the target and verified; stopped
 * by the running process with every repo it changed put back (or nothing changed); or ended by
 * `recover` after a crash, back at the safety states.
 */
export type Outcome = 'committed' | 'aborted' | 'recovered';

/** A rollback's summary as listed (`rollback list`, the Rollbacks view); the evidence pack has the detail. */
export interface RollbackRecord {
  format: 1;
  id: string;
  kind: 'rollback' | 'undo';
  undoOf?: string;
  /** Set on a rollback once an undo of it has committed. */
  undoneBy?: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  outcome: Outcome;
  error?: { code: string; message: string; repo?: string; path?: string };
  target: RollbackPlan['target'];
  mode: RollbackPlan['mode'];
  planHash: string;
  safetySnapshot?: string;
  repos: { path: string; wave: number; files: number; before: RepoState; after: RepoState | null }[];
  /** The remote steps: per repo and remote, each ref's value before and after (null: no such ref); `pushed` once the remote took it. */
  pushes?: { repo: string; remote: string; url: string; pushed: boolean; updates: { ref: string; old: string | null; to: string | null }[] }[];
  phases: PhaseRecord[];
  evidence: string;
  /** Why the evidence pack is not signed although the repo has a signing key (git's user.signingkey). */
  evidenceUnsigned?: string;
}

const folder = 'rollbacks';

export async function writeRollbackRecord(store: Store, record: RollbackRecord): Promise<void> {
  await store.writeJson(`${folder}/${record.id}.json`, record);
}

export async function loadRollback(store: Store, given: string): Promise<RollbackRecord> {
  const id = await resolveId(store, folder, 'rb', given);
  const r = await store.readJson<RollbackRecord>(`${folder}/${id}.json`);
  if (!r || r.id !== id) throw new EngineError('StoreCorrupt', `rollback record does not describe ${id}`, undefined, store.path(folder, `${id}.json`));
  return r;
}

/** Every readable rollback and undo, newest first. */
export async function listRollbacks(store: Store): Promise<RollbackRecord[]> {
  return (await listRollbackFiles(store)).rollbacks;
}

/** Every rollback and undo, newest first, and the record files that cannot be read, with why. */
export async function listRollbackFiles(store: Store): Promise<{ rollbacks: RollbackRecord[]; invalid: InvalidRecord[] }> {
  const { records, invalid } = await readRecords(store, folder, (id) => loadRollback(store, id));
  return { rollbacks: records.sort((a, b) => b.startedAt.localeCompare(a.startedAt)), invalid };
}

/**
 * Each rollback's and undo's end states, with the moment it ended: the states a repo was left in
 * that no snapshot holds (its safety snapshot is the state before). Drift is measured from the
 * newest recorded state of a repo (plan/driftBase.ts), and a rollback's end is one.
 */
export async function rollbackEndStates(store: Store): Promise<KnownStates[]> {
  return (await listRollbacks(store)).map((r) => ({
    at: r.endedAt,
    repos: r.repos.flatMap((x) => (x.after ? [{ path: x.path, ...x.after }] : [])),
  }));
}

/** One phase of a rollback, as the record and the evidence pack keep it. */
export interface PhaseRecord {
  name: 'prepare' | 'commit' | 'verify' | 'compensate';
  startedAt: string;
  endedAt?: string;
  ms?: number;
  retries: number;
}

/** What a repo's rolling check did (tx/checks.ts runs it; the pack keeps it). */
export interface CheckResult {
  repo: string;
  command: string;
  exitCode: number;
  durationMs: number;
  timedOut: boolean;
  /** The last lines of stdout and stderr together. */
  outputTail: string;
}

/** Per repo of the campaign, the state the newest rollback or undo that ended since its last checkpoint left it in. */
export async function rollbackEnds(store: Store, campaign: Pick<Campaign, 'steps' | 'createdAt' | 'repos'>): Promise<Map<string, RepoState>> {
  const since = campaign.steps.at(-1)?.at ?? campaign.createdAt;
  const ends = new Map<string, RepoState>();
  // newest first: the first state found for a repo is the one in force
  for (const r of await listRollbacks(store)) {
    if (r.endedAt < since || r.outcome === 'aborted') continue;
    for (const repo of r.repos) if (repo.after && campaign.repos.includes(repo.path) && !ends.has(repo.path)) ends.set(repo.path, repo.after);
  }
  return ends;
}
