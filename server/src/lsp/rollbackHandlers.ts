import * as path from 'path';
import { EngineError } from '../engine/util/errors';
import { locateEvidence, readEvidence, readEvidencePatch, verifyEvidence } from '../engine/rollback/evidence/pack';
import { renderEvidenceBody, titleOf } from '../engine/rollback/evidence/report';
import { PlanPart, RepoPlan, RollbackMode, RollbackPlan, assertPlanChanges, planRollback } from '../engine/rollback/plan/plan';
import { releaseAfterRollbacks, releaseCaptures } from '../engine/rollback/plan/keptCaptures';
import { recoverAll } from '../engine/rollback/tx/recover';
import { RollbackRecord as StoredRollbackRecord, listRollbackFiles, loadRollback, rollbackEndStates } from '../engine/rollback/records';
import { Drift, driftLabel, lostWith, recordedChange } from '../engine/rollback/plan/changes';
import { heldOnRemotes, remoteWords } from '../engine/rollback/plan/remotes';
import { pushWords } from '../engine/rollback/plan/remotePlan';
import { executeRollback } from '../engine/rollback/tx/transaction';
import { planUndo, undoRollback } from '../engine/rollback/tx/undo';
import {
  EvidenceParams,
  EvidenceReportRequest,
  EvidenceRequest,
  EvidenceVerifyParams,
  NoParams,
  ScopeParams,
  RollbackCompareParams,
  RollbackDetailParams,
  RollbackExecuteParams,
  RollbackFileDiffParams,
  RollbackPlanFilesParams,
  RollbackPreviewParams,
  RollbackTargetParams,
  RollbackUndoParams,
  RollbackUndoPreviewParams,
  RollbackUndoPreviewRequest,
  EvidenceVerifyRequest,
  PlannedFileSummary,
  RollbackDetailRequest,
  RollbackExecuteRequest,
  RollbackFileDiffRequest,
  RollbackListRequest,
  RollbackCompareFilesParams,
  RollbackCompareFilesRequest,
  RollbackCompareRequest,
  RollbackDriftRequest,
  RollbackPlanFilesRequest,
  RollbackPreview,
  RollbackPreviewPartType,
  RollbackPreviewRequest,
  RollbackRecord,
  RepoPlanSummary,
  maxPartFiles,
  RollbackRecoverRequest,
  RollbackUndoRequest,
} from '../protocol';
import { pageOf, pageWindow, resolved, resolvedAll, resolvedKeys } from './params';
import { checkWords } from '../engine/rollback/tx/checks';
import { RepoCheck, decideChecks, recordConsent, repoChecksOf } from '../engine/rollback/plan/repoChecks';
import { compareWithNow, filesDifferingFromNow, measureDrift } from '../engine/rollback/plan/drift';
import { Services, handle, mutate } from './services';

/**
 * Previewed plans by hash, so files and diffs can be fetched on demand and the very plan the user
 * looked at is the one executed. A few are kept; an evicted one is previewed again.
 */
const plans = new Map<string, RollbackPlan>();
const keptPlans = 16;
/**
 * The newest previews also keep their captures (a temporary index per repo, on tmpfs), so their
 * execute captures again only what changed since (keptCaptures.ts); older ones let them go.
 */
const plansWithCaptures = 2;
/**
 * Undo previews' plans, kept for their files and diffs only (the undo plans again when it runs): they
 * keep no captures, take no preview's place among those that do, and are never executed as a rollback.
 */
const undoPlans = new WeakSet<RollbackPlan>();

async function keep(plan: RollbackPlan): Promise<void> {
  const old = plans.get(plan.hash);
  plans.delete(plan.hash);
  plans.set(plan.hash, plan);
  if (old && old !== plan) await releaseCaptures(old);
  while (plans.size > keptPlans) {
    const first = plans.keys().next().value as string;
    await releaseCaptures(plans.get(first)!);
    plans.delete(first);
  }
  await Promise.all(
    [...plans.values()]
      .filter((p) => !undoPlans.has(p))
      .slice(0, -plansWithCaptures)
      .map(releaseCaptures),
  );
}

/** At shutdown: the previews' kept captures go (their temporary indexes), and the rollbacks' kept for an undo, so a stopped server leaves none behind. */
export async function forgetPlans(): Promise<void> {
  const all = [...plans.values()];
  plans.clear();
  await Promise.all([...all.map(releaseCaptures), releaseAfterRollbacks()]);
}

function previewed(hash: string): RollbackPlan {
  const plan = plans.get(hash);
  if (!plan) throw new EngineError('UnknownId', `no previewed plan ${hash.slice(0, 12)} (the server restarted or forgot it): preview again`);
  return plan;
}

export function registerRollbackHandlers(s: Services): void {
  const ctx = () => ({ store: s.workspace.store(), parallelism: s.workspace.settings.parallelism });

  handle(s, RollbackPreviewRequest, RollbackPreviewParams, async (p, token) => {
    const request = {
      snapshot: p.snapshot,
      campaign: p.campaign,
      step: p.step,
      onlyStep: p.onlyStep,
      mode: p.mode ?? (p.onlyStep !== undefined ? 'replay' : s.workspace.settings.defaultMode),
      repos: resolvedAll(p.repos),
      paths: p.paths,
      files: resolvedKeys(p.files),
      exclude: resolvedAll(p.exclude),
      conflicted: p.conflicted?.map((c) => ({ ...c, repo: resolved(c.repo) })),
      fetch: p.fetch,
      ...(p.remotes === true
        ? { remote: true as const, rewrite: p.rewrite }
        : p.remotes?.length
          ? { remote: p.remotes.map((r) => ({ repo: resolved(r.repo), remote: r.remote })), rewrite: p.rewrite }
          : {}),
    };
    const work = await s.progress.begin('Planning rollback', ['plan'], p.workDoneToken, token);
    try {
      const partToken = p.partialResultToken;
      let filesSent = 0;
      const onPart =
        partToken === undefined
          ? undefined
          : (part: PlanPart) => {
              const files = part.repos.flatMap((r) => r.files.map(({ patch: _patch, driftLines: _lines, ...f }) => ({ ...f, repo: r.path })));
              const sent = files.slice(0, Math.max(0, maxPartFiles - filesSent));
              filesSent += sent.length;
              const repos = part.repos.map((r) => repoSummary(part.mode, r));
              void s.connection.sendProgress(RollbackPreviewPartType, partToken, { ...part, repos, files: sent, filesLeft: files.length - sent.length });
            };
      const known = await rollbackEndStates(s.workspace.store());
      const plan = await planRollback({ ...ctx(), progress: work.progress }, request, known, { keepCaptures: true, onPart });
      await keep(plan);
      return summarise(plan, await repoChecksOf(plan, s.workspace.settings.parallelism));
    } finally {
      work.done();
    }
  });

  handle(s, RollbackDriftRequest, RollbackTargetParams, async (p) => {
    const repos = await measureDrift(ctx(), { snapshot: p.snapshot, campaign: p.campaign, step: p.step });
    return { repos: repos.map((r) => ({ repo: r.repo, drift: r.drift.map((d) => ({ ...d, label: driftLabel(d) })) })) };
  });

  handle(s, RollbackCompareRequest, RollbackCompareParams, async (p) => ({
    snapshots: await compareWithNow(ctx(), p.snapshots, await rollbackEndStates(s.workspace.store())),
  }));

  handle(s, RollbackCompareFilesRequest, RollbackCompareFilesParams, async (p) => {
    const d = await filesDifferingFromNow(ctx(), p.snapshot, resolved(p.repo));
    const files = d.files.map((f) => ({ ...f, repo: d.repo }));
    return { ...pageOf(files, pageWindow(p)), snapshot: d.snapshot, headChanged: d.headChanged, indexChanged: d.indexChanged, changed: d.changed };
  });

  handle(s, RollbackPlanFilesRequest, RollbackPlanFilesParams, async (p) => {
    const repo = resolved(p.repo);
    const plan = previewed(p.plan);
    const files: PlannedFileSummary[] = [...plan.repos]
      .sort((a, b) => a.wave - b.wave || a.path.localeCompare(b.path))
      .filter((r) => !repo || r.path === repo)
      .flatMap((r) => r.files.map(({ patch: _patch, driftLines: _lines, ...f }) => ({ ...f, repo: r.path })));
    return pageOf(files, pageWindow(p));
  });

  handle(s, RollbackFileDiffRequest, RollbackFileDiffParams, async (p) => {
    const [hash, repo, file] = [p.plan, resolved(p.repo), p.path];
    const plan = previewed(hash);
    const f = plan.repos.find((r) => r.path === repo)?.files.find((x) => x.path === file);
    if (!f) throw new EngineError('UnknownId', `plan ${hash.slice(0, 12)} changes no file ${file} in this repo`, repo, file);
    const drift = f.driftLines ? { driftLines: f.driftLines } : {};
    return { repo, path: f.path, patch: f.patch, added: f.added, removed: f.removed, binary: f.binary, diffHash: f.diffHash, ...drift };
  });

  handle(s, RollbackExecuteRequest, RollbackExecuteParams, async (p, token) => {
    const plan = previewed(p.plan);
    if (undoPlans.has(plan)) throw new EngineError('Usage', `plan ${plan.hash.slice(0, 12)} is an undo's preview: undo the rollback instead`);
    const force = p.force ?? false;
    const check = p.check;
    if (check !== undefined) checkWords(check); // shell syntax refused before anything is locked
    if (p.files) assertPlanChanges(plan, resolvedKeys(p.files)!);
    // The client names the repo checks the user consented to in this request (VS Code's workspace
    // trust and a modal); consent stored by the CLI is not enough here, since this workspace may be untrusted.
    const consented = new Set((p.repoChecks ?? []).map((c) => JSON.stringify([resolved(c.repo), c.command])));
    const allowed = (c: RepoCheck) => consented.has(JSON.stringify([c.repo, c.command]));
    const repoChecks = check === undefined ? await repoChecksOf(plan, s.workspace.settings.parallelism) : [];
    const checks = decideChecks(plan, repoChecks, {
      check,
      allowed,
      unallowed: p.skipRepoChecks ? 'skip' : 'refuse',
      howToConsent: "list it in the request's repoChecks once the user consented, or set skipRepoChecks",
    });
    await recordConsent(s.workspace.store(), repoChecks.filter(allowed));
    const job = {
      what: `rollback to ${plan.target.label} (plan ${plan.hash.slice(0, 12)})`,
      paths: plan.repos.map((r) => r.path),
      title: `Rolling back to ${plan.target.label}`,
      phases: ['prepare', 'commit', 'verify'],
    };
    return mutate(s, p, token, job, async (work) => {
      const record = await executeRollback({ ...ctx(), progress: work.progress }, plan, {
        force,
        checks: checks.run,
        cancel: work.cancel,
        argv: ['(vscode)', 'rollback', '--plan', plan.hash, ...(check ? ['--check', check] : [])],
        // its undo, a click away in this window, starts from the verify's captures
        keepVerifiedCaptures: true,
      });
      plans.delete(plan.hash); // the repos moved on: this plan can never run again
      await releaseCaptures(plan);
      return { record: sent(record), cancelArrivedLate: work.cancel.cancelled, ...(checks.skipped.length ? { skippedChecks: checks.skipped } : {}) };
    });
  });

  handle(s, RollbackUndoRequest, RollbackUndoParams, async (p, token) => {
    const force = p.force ?? false;
    const rb = await loadRollback(s.workspace.store(), p.rollback);
    const job = { what: `undo of ${rb.id}`, paths: rb.repos.map((r) => r.path), title: `Undoing ${rb.id}`, phases: ['plan', 'prepare', 'commit', 'verify'] };
    return mutate(s, p, token, job, async (work) => {
      let skippedChecks: RepoCheck[] = [];
      const record = await undoRollback({ ...ctx(), progress: work.progress }, rb.id, {
        force,
        ...(p.keepEdits ? { keepEdits: p.keepEdits } : {}),
        cancel: work.cancel,
        argv: [
          '(vscode)',
          'rollback',
          'undo',
          rb.id,
          ...(force ? ['--force'] : p.keepEdits === 'leave' ? ['--leave-edits-out'] : p.keepEdits === 'merge' ? ['--keep-edits'] : []),
        ],
        onSkippedChecks: (skipped) => (skippedChecks = skipped),
      });
      return { record: sent(record), cancelArrivedLate: work.cancel.cancelled, ...(skippedChecks.length ? { skippedChecks } : {}) };
    });
  });

  handle(s, RollbackUndoPreviewRequest, RollbackUndoPreviewParams, async (p) => {
    const { rb, plan } = await planUndo(ctx(), p.rollback, p.keepEdits);
    undoPlans.add(plan);
    await keep(plan);
    return {
      rollback: rb.id,
      plan: plan.hash,
      reposChanged: plan.totals.reposChanged,
      files: plan.totals.files,
      edited: plan.repos
        .filter((r) => r.drift.length)
        .map((r) => ({
          repo: r.path,
          files: r.drift.flatMap((d) => (d.kind === 'file' ? [d.path] : [])),
          other: r.drift.filter((d) => d.kind !== 'file').map(driftLabel),
        })),
      conflicts: plan.repos.flatMap((r) => r.conflicts.map((c) => ({ repo: r.path, ...(c.path !== undefined ? { path: c.path } : {}), reason: c.reason }))),
    };
  });

  handle(s, RollbackRecoverRequest, NoParams, async (p, token) => {
    const job = { what: 'recover', paths: 'all' as const, title: 'Recovering unfinished rollbacks', phases: [] };
    return mutate(s, p, token, job, async () => ({ reports: await recoverAll(ctx()) }));
  });

  handle(s, RollbackListRequest, ScopeParams, async (p) => {
    const { rollbacks, invalid } = await listRollbackFiles(s.workspace.store());
    const shown = p.openFoldersOnly ? rollbacks.filter((r) => s.workspace.touches(r.repos.map((x) => x.path))) : rollbacks;
    return { rollbacks: shown.map(sent), invalid };
  });

  handle(s, RollbackDetailRequest, RollbackDetailParams, async (p) => sent(await loadRollback(s.workspace.store(), p.id)));

  handle(s, EvidenceRequest, EvidenceParams, async (p) => {
    const file = await locateEvidence(s.workspace.store(), p.rollback);
    return { file, pack: await readEvidence(file) };
  });

  handle(s, EvidenceReportRequest, EvidenceParams, async (p) => {
    const file = await locateEvidence(s.workspace.store(), p.rollback);
    const pack = await readEvidence(file);
    const reportFile = pack.report ? path.join(path.dirname(file), path.basename(pack.report.file)) : undefined;
    return { file, reportFile, title: titleOf(pack), outcome: pack.outcome, html: renderEvidenceBody(pack, await readEvidencePatch(file, pack)) };
  });

  handle(s, EvidenceVerifyRequest, EvidenceVerifyParams, async (p) => {
    return verifyEvidence(await locateEvidence(s.workspace.store(), p.rollback), p.repos ? s.workspace.store() : false);
  });
}

function summarise(plan: RollbackPlan, repoChecks: RepoCheck[]): RollbackPreview {
  return { ...plan, repos: plan.repos.map((r) => repoSummary(plan.mode, r)), repoChecks };
}

function repoSummary(mode: RollbackMode, { files, ...r }: RepoPlan): RepoPlanSummary {
  return {
    ...r,
    fileCount: files.length,
    // the user's edits: drift, and what changed since the newest record of the repo (plan.ts `unsaved`), named alike
    edits: [...r.drift, ...r.unsaved.map((p): Drift => ({ kind: 'file', path: p }))].map((d) => ({
      ...d,
      label: driftLabel(d),
      lostWith: lostWith(mode, d),
    })),
    remoteLines: remoteWords(r.remotes),
    onRemotes: heldOnRemotes(r.remotes),
    remoteChoices: (r.remotes?.reached ?? [])
      .filter((x) => x.branches.length || x.tags.length)
      .map((x) => ({ remote: x.remote, chosen: !!r.pushes?.some((p) => p.remote === x.remote) })),
    pushLines: (r.pushes ?? []).flatMap(pushWords),
  };
}

/** A record as the client reads it: each repo says whether the rollback changed it. */
function sent(record: StoredRollbackRecord): RollbackRecord {
  return { ...record, repos: record.repos.map((r) => ({ ...r, changed: recordedChange(r.before, r.after) })) };
}
