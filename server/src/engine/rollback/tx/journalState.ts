import { RepoState } from '../../repo/repoState';
import type { Outcome } from '../records';
import { Effect, JournalEntry, PushedUpdate, effects } from './journal';
import type { PlannedRefUpdate } from '../plan/remotePlan';

export type Begin = Extract<JournalEntry, { t: 'begin' }>;
export type Prepared = Extract<JournalEntry, { t: 'prepared' }>;
export type OutcomeEntry = Extract<JournalEntry, { t: 'outcome' }>;

/**
 * Where one repo's step stands, as far as the journal knows. The running transaction adds
 * phases that are never journaled (transaction.ts: `locked`, `committing`, `stuck`).
 */
export type JournaledPhase = 'begun' | 'prepared' | 'committed' | 'compensated' | 'abandoned';

export interface RepoTxState {
  path: string;
  wave: number;
  goal: RepoState;
  files?: number;
  /** Its state when prepared: the safety snapshot holds it. */
  safety?: RepoState;
  phase: JournaledPhase;
  kept?: string[];
  /** Where compensation pinned its state before changing it. */
  pinned?: string;
  abandoned?: string;
}

/**
 * Where one remote step stands: `pushing` once its push may have started (the remote then has to be
 * read to know), `pushed` once it was accepted.
 */
export interface RemoteTxState {
  key: string;
  repo: string;
  remote: string;
  url: string;
  wave: number;
  planned: PlannedRefUpdate[];
  /** As prepared: leases and new values. */
  updates?: PushedUpdate[];
  phase: 'begun' | 'prepared' | 'pushing' | 'pushed' | 'compensated' | 'abandoned';
  output?: string;
  /** Refs someone else moved since, left as they are by compensation. */
  kept?: string[];
  abandoned?: string;
}

/** What is left to do to end the transaction, in order. */
export interface Left {
  /** Repos still to put back to their safety states (recovery; the running process has done its own). */
  compensate: string[];
  /** The outcome still to journal: recovery decides it from what the journal says happened. */
  decide?: Outcome;
  /** Effects of the (decided) outcome not yet done, in order. */
  effects: Effect[];
  end: boolean;
}

export interface TxState {
  begin?: Begin;
  prepared?: Prepared;
  safety?: string;
  verified: boolean;
  compensating?: string;
  handedOver?: string;
  repos: RepoTxState[];
  /** The remote steps (a remote rollback's pushes), in the journal's order. */
  remotes: RemoteTxState[];
  /** The outcome in force (the last one journaled), unless a hand-over came after it. */
  outcome?: OutcomeEntry;
  /** Effects done since that outcome, and where its pack is. */
  done: Set<Effect>;
  evidence?: { file: string; unsigned?: string };
  ended?: Extract<JournalEntry, { t: 'end' }>;
  left: Left;
}

/**
 * The state of a transaction from its journal entries, a pure function: the running transaction
 * folds each entry it appends, and recovery folds what it reads, so both see the same state.
 * Entries of a repo the journal does not name are ignored (a journal is checked before recovery
 * acts on it: recover.ts).
 */
export function journalState(entries: readonly JournalEntry[]): TxState {
  let s: TxState = { verified: false, repos: [], remotes: [], done: new Set(), left: { compensate: [], effects: [], end: true } };
  for (const e of entries) s = applyEntry(s, e);
  return s;
}

/** One entry folded into the state (returns a new state; the old one is not changed). */
export function applyEntry(prev: TxState, e: JournalEntry): TxState {
  const s: TxState = { ...prev, repos: prev.repos, remotes: prev.remotes, done: prev.done };
  const repo = (path: string, change: (r: RepoTxState) => RepoTxState) => {
    s.repos = s.repos.map((r) => (r.path === path ? change(r) : r));
  };
  const remote = (key: string, change: (r: RemoteTxState) => RemoteTxState) => {
    s.remotes = s.remotes.map((r) => (r.key === key && r.phase !== 'abandoned' ? change(r) : r));
  };
  switch (e.t) {
    case 'begin':
      s.begin = e;
      s.repos = e.repos.map((r) => ({ path: r.path, wave: r.wave, goal: r.goal, files: r.files, phase: 'begun' }));
      s.remotes = (e.pushes ?? []).map((p) => ({ key: p.key, repo: p.repo, remote: p.remote, url: p.url, wave: p.wave, planned: p.updates, phase: 'begun' }));
      break;
    case 'prepared': {
      s.prepared = e;
      s.safety = e.safety;
      const states = new Map(e.repos.map((r) => [r.path, r.state]));
      s.repos = s.repos.map((r) => (states.has(r.path) ? { ...r, safety: states.get(r.path), phase: r.phase === 'begun' ? 'prepared' : r.phase } : r));
      for (const p of e.pushes ?? []) remote(p.key, (r) => ({ ...r, updates: p.updates, phase: r.phase === 'begun' ? 'prepared' : r.phase }));
      break;
    }
    case 'pushing':
      remote(e.key, (r) => (r.phase === 'prepared' ? { ...r, phase: 'pushing' } : r));
      break;
    case 'pushed':
      remote(e.key, (r) => (r.phase === 'pushing' ? { ...r, phase: 'pushed', ...(e.output ? { output: e.output } : {}) } : r));
      break;
    case 'committed':
      repo(e.repo, (r) => (r.phase === 'prepared' ? { ...r, phase: 'committed' } : r));
      break;
    case 'verified':
      s.verified = true;
      break;
    case 'compensating':
      s.compensating = e.reason;
      break;
    case 'captured':
      for (const c of e.repos) repo(c.path, (r) => ({ ...r, pinned: e.snapshot }));
      break;
    case 'compensated':
      repo(e.repo, (r) => (r.phase === 'abandoned' ? r : { ...r, phase: 'compensated', ...(e.kept?.length ? { kept: e.kept } : {}) }));
      remote(e.repo, (r) => ({ ...r, phase: 'compensated', ...(e.kept?.length ? { kept: e.kept } : {}) }));
      break;
    case 'abandoned':
      repo(e.repo, (r) => ({ ...r, phase: 'abandoned', abandoned: e.reason }));
      remote(e.repo, (r) => ({ ...r, phase: 'abandoned', abandoned: e.reason }));
      break;
    case 'handedOver':
      s.handedOver = e.reason;
      break;
    case 'outcome':
      s.outcome = e;
      s.handedOver = undefined; // an outcome after a hand-over is recovery's: it takes the transaction back
      s.done = new Set();
      s.evidence = undefined;
      break;
    case 'done':
      s.done = new Set([...s.done, e.effect]);
      if (e.evidence) s.evidence = e.evidence;
      break;
    case 'end':
      s.ended = e;
      break;
  }
  s.left = leftOf(s);
  return s;
}

/** The effects an outcome calls for: the pack and the record always; the campaign and `undoneBy` when it committed. */
export function effectsOf(begin: Begin | undefined, outcome: Outcome): Effect[] {
  return effects.filter(
    (e) => e === 'evidence' || e === 'record' || (outcome === 'committed' && ((e === 'campaign' && begin?.campaign) || (e === 'undone' && begin?.undoOf))),
  );
}

function leftOf(s: TxState): Left {
  if (s.ended) return { compensate: [], effects: [], end: false };
  // no begin: killed before it was synced, and nothing is locked before it is
  if (!s.begin) return { compensate: [], effects: [], end: true };
  if (s.outcome && !s.handedOver) {
    return { compensate: [], effects: effectsOf(s.begin, s.outcome.outcome).filter((e) => !s.done.has(e)), end: true };
  }
  // undecided (a crash), or handed over: recovery decides
  if (s.verified) return { compensate: [], decide: 'committed', effects: effectsOf(s.begin, 'committed'), end: true };
  // a remote step whose push never started changed nothing; one that may have is read and put back
  const compensate = s.prepared
    ? [
        ...s.remotes.filter((r) => r.phase === 'pushing' || r.phase === 'pushed').map((r) => r.key),
        ...s.repos.filter((r) => r.phase === 'prepared' || r.phase === 'committed').map((r) => r.path),
      ]
    : [];
  return { compensate, decide: 'recovered', effects: effectsOf(s.begin, 'recovered'), end: true };
}
