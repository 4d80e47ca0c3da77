import * as os from 'os';
import * as path from 'path';
import { markCampaignRolledBack } from '../../campaign/campaign';
import { canonicalJson, sha256 } from '../../util/canonical';
import { EngineError, asEngineError } from '../../util/errors';
import { Store } from '../../store/store';
import { toolVersion } from '../../util/version';
import { RepoState } from '../../repo/repoState';
import type { PlannedFile } from '../plan/plan';
import { RollbackRecord, loadRollback, writeRollbackRecord } from '../records';
import { keepWithRepos } from '../evidence/copies';
import { EvidencePush, EvidenceRepo, RepoSpan, evidenceDir, gitIdentity, readEvidence, readEvidencePatch, whoami, writeEvidence } from '../evidence/pack';
import { Effect, Journal, JournalEntry } from './journal';
import { RemoteTxState, TxState, applyEntry } from './journalState';

/** What only the running process knows, for a fuller pack; recovery finishes without it. */
export interface FinishDetail {
  /** Per repo, the planned files with their inverse diffs. */
  files: ReadonlyMap<string, readonly PlannedFile[]>;
  /** Per repo, when each phase ran there. */
  spans: ReadonlyMap<string, RepoSpan[]>;
}

/**
 * Does every effect of a decided outcome that the journal does not say is done, each journaled as
 * done once it is (evidence pack, record, campaign status, `undoneBy`), then the journal's `end`
 * (or `handedOver`, when a repo could not be put back and recover must take over). Every effect
 * is idempotent, so the running process and recovery finish the same way, and a crash between
 * two of them is finished by the next recovery. Returns the record and the state after.
 *
 * Throws when the store cannot take an effect: the journal then stays open, for recover.
 */
export async function finishEffects(
  store: Store,
  journal: Journal,
  start: TxState,
  options: { detail?: FinishDetail; handOver?: string } = {},
): Promise<{ record: RollbackRecord; state: TxState }> {
  let state = start;
  // a `done` lost in a crash is done again (every effect is idempotent): unsynced, the `end` syncs them
  const append = async (entry: JournalEntry) => {
    await journal.append(entry, { sync: entry.t !== 'done' });
    state = applyEntry(state, entry);
  };
  for (const effect of state.left.effects) await doEffect(store, effect, state, options.detail, append);
  const record = recordOf(state);
  const o = state.outcome!;
  if (options.handOver) await append({ t: 'handedOver', at: new Date().toISOString(), reason: options.handOver });
  else await append({ t: 'end', at: new Date().toISOString(), outcome: o.outcome, ...(o.error ? { detail: o.error.message } : {}) });
  return { record, state };
}

async function doEffect(
  store: Store,
  effect: Effect,
  state: TxState,
  detail: FinishDetail | undefined,
  append: (e: JournalEntry) => Promise<void>,
): Promise<void> {
  const at = new Date().toISOString();
  const begin = state.begin!;
  switch (effect) {
    case 'evidence': {
      const written = await writePack(store, state, detail);
      await append({ t: 'done', at, effect, evidence: written });
      return;
    }
    case 'record':
      await writeRollbackRecord(store, recordOf(state));
      await append({ t: 'done', at, effect });
      return;
    case 'campaign': {
      const mark = begin.campaign!;
      await markCampaignRolledBack(store, mark.id, mark.rolledBackBy ?? undefined, mark.checkpoint);
      await append({ t: 'done', at, effect });
      return;
    }
    case 'undone': {
      const undone = await loadRollback(store, begin.undoOf!);
      // another undo of it that committed first keeps its mark (undo refuses a second, but two can race)
      if (!undone.undoneBy || undone.undoneBy === begin.rb) await writeRollbackRecord(store, { ...undone, undoneBy: begin.rb });
      await append({ t: 'done', at, effect });
      return;
    }
  }
}

/** Each repo's state at the end: captured where the transaction captured it, else what its outcome implies. */
function afterOf(state: TxState): Map<string, RepoState | null> {
  const o = state.outcome!;
  const captured = new Map(o.after?.map((a) => [a.path, a.state]));
  const before = beforeOf(state);
  return new Map(
    state.repos.map((r) => [
      r.path,
      captured.get(r.path) ?? (o.outcome === 'committed' ? r.goal : r.phase === 'abandoned' ? null : (before.get(r.path) ?? null)),
    ]),
  );
}

function beforeOf(state: TxState): Map<string, RepoState> {
  return new Map(state.begin!.repos.map((r) => [r.path, state.repos.find((x) => x.path === r.path)?.safety ?? r.before ?? r.goal]));
}

/** The rollback's record, from the journal alone: the same whoever finishes the transaction. */
function recordOf(state: TxState): RollbackRecord {
  const begin = state.begin!;
  const o = state.outcome!;
  const after = afterOf(state);
  const before = beforeOf(state);
  const byPath = new Map(begin.repos.map((r) => [r.path, r]));
  return {
    format: 1,
    id: begin.rb,
    kind: begin.kind,
    ...(begin.undoOf ? { undoOf: begin.undoOf } : {}),
    startedAt: begin.at,
    endedAt: o.at,
    durationMs: Date.parse(o.at) - Date.parse(begin.at),
    outcome: o.outcome,
    ...(o.error ? { error: o.error } : {}),
    target: begin.target,
    mode: begin.mode,
    planHash: begin.planHash,
    ...(state.safety ? { safetySnapshot: state.safety } : {}),
    repos: state.repos.map((r) => ({
      path: r.path,
      wave: r.wave,
      files: byPath.get(r.path)?.files ?? 0,
      before: before.get(r.path)!,
      after: after.get(r.path) ?? null,
    })),
    ...(state.remotes.length
      ? {
          pushes: state.remotes.map((r) => ({
            repo: r.repo,
            remote: r.remote,
            url: r.url,
            // committed: verified at the new values; otherwise only a push that stayed (not put back) counts
            pushed: o.outcome === 'committed' && (r.phase === 'pushed' || r.phase === 'pushing'),
            updates: r.updates ?? r.planned.map((u) => ({ ref: u.ref, old: u.old, to: u.to })),
          })),
        }
      : {}),
    phases: o.phases ?? [],
    evidence: state.evidence?.file ?? '',
    ...(state.evidence?.unsigned ? { evidenceUnsigned: state.evidence.unsigned } : {}),
  };
}

/**
 * Writes the pack (chained, with its page, signed when git can) and keeps a copy in each repo. A
 * pack the running process wrote before a crash, for this outcome and intact, is taken as it is
 * and only chained again: recovery's own would know less (no file list, no timings).
 */
async function writePack(store: Store, state: TxState, detail: FinishDetail | undefined): Promise<{ file: string; unsigned?: string }> {
  const begin = state.begin!;
  const o = state.outcome!;
  const file = path.join(evidenceDir(store, begin.rb), `evidence-${begin.rb}.json`);
  let written: { file: string; unsigned?: string } | undefined;
  if (!detail) {
    const old = await readEvidence(file).catch(() => undefined);
    if (old) {
      const { digest, ...body } = old;
      if (old.outcome === o.outcome && old.endedAt === o.at && sha256(canonicalJson(body)) === digest) {
        const { previous: _p, patches: _x, report: _r, ...pack } = body;
        written = await writeEvidence(store, pack, await readEvidencePatch(file, old));
      }
    }
  }
  if (!written) written = await writeEvidence(store, await packOf(state, detail), reposWithPatches(state, detail));
  // the proof travels with each repo (evidence/copies.ts); a repo that cannot take it keeps the store's
  await keepWithRepos(
    written.file,
    begin.rb,
    state.repos.filter((r) => r.phase !== 'abandoned').map((r) => r.path),
  ).catch(() => undefined);
  return written;
}

function reposWithPatches(state: TxState, detail: FinishDetail | undefined): { path: string; files: readonly { patch: string }[] }[] {
  return state.repos.map((r) => ({ path: r.path, files: detail?.files.get(r.path) ?? [] }));
}

async function packOf(state: TxState, detail: FinishDetail | undefined): Promise<Parameters<typeof writeEvidence>[1]> {
  const begin = state.begin!;
  const o = state.outcome!;
  const after = afterOf(state);
  const before = beforeOf(state);
  const remotes = new Map(begin.repos.map((r) => [r.path, r.remotes]));
  const repos: EvidenceRepo[] = state.repos.map((r) => ({
    path: r.path,
    wave: r.wave,
    before: before.get(r.path)!,
    target: r.goal,
    after: after.get(r.path) ?? null,
    committed: o.outcome === 'committed',
    compensated: r.phase === 'compensated',
    ...(r.abandoned ? { abandoned: r.abandoned } : {}),
    ...(r.kept?.length ? { kept: r.kept } : {}),
    ...(r.pinned ? { pinnedBeforeCompensation: r.pinned } : {}),
    files: (detail?.files.get(r.path) ?? []).map(({ patch: _patch, ...f }) => f),
    ...(detail?.spans.get(r.path)?.length ? { timings: detail.spans.get(r.path) } : {}),
    ...(remotes.get(r.path) ? { remotes: remotes.get(r.path) } : {}),
  }));
  return {
    format: 1,
    id: begin.rb,
    kind: begin.kind,
    ...(begin.undoOf ? { undoOf: begin.undoOf } : {}),
    who: { user: whoami(), ...(await gitIdentity(state.repos[0]?.path)) },
    host: os.hostname(),
    toolVersion,
    command: begin.argv ?? [],
    cwd: process.cwd(),
    startedAt: begin.at,
    endedAt: o.at,
    target: begin.target,
    mode: begin.mode,
    planHash: begin.planHash,
    ...(state.safety ? { safetySnapshot: state.safety } : {}),
    outcome: o.outcome,
    ...(o.error ? { error: o.error } : {}),
    phases: o.phases ?? [],
    repos,
    ...(state.remotes.length ? { pushes: state.remotes.map(pushOf) } : {}),

    ...(begin.leftOut?.length ? { leftOut: begin.leftOut } : {}),
    ...(o.checks?.length ? { checks: o.checks } : {}),
    ...(o.journalProblems?.length ? { journalProblems: o.journalProblems } : {}),
  };
}

function pushOf(r: RemoteTxState): EvidencePush {
  const prepared = new Map((r.updates ?? []).map((u) => [u.ref, u]));
  return {
    repo: r.repo,
    remote: r.remote,
    url: r.url,
    phase: r.phase,
    updates: r.planned.map((u) => ({
      ref: u.ref,
      action: u.action,
      old: prepared.get(u.ref)?.old ?? u.old,
      new: prepared.has(u.ref) ? prepared.get(u.ref)!.to : u.to,
      ...(u.reverts ? { reverts: u.reverts } : {}),
    })),
    ...(r.output ? { output: r.output } : {}),
    ...(r.kept?.length ? { kept: r.kept } : {}),
  };
}

/** The store could not take the bookkeeping: the journal stays open and `recover` finishes it. */
export function recoveryNeeded(rb: string, state: string, e: unknown): EngineError {
  const err = asEngineError(e);
  return new EngineError(
    'RecoveryNeeded',
    `${state}, but ${rb} could not be recorded in the store: ${err.message}. Run \`codecontext recover\` once the store can be ` +
      `written: it finishes the record, so undo can find it`,
    undefined,
    err.path,
  );
}
