import { EngineContext } from '../../store/engineContext';
import { EngineError } from '../../util/errors';
import { plural } from '../../util/words';
import { driftLabel } from '../plan/changes';
import { planRollback } from '../plan/plan';
import { releaseCaptures, takeAfterRollback } from '../plan/keptCaptures';
import { CancelToken } from '../../util/progress';
import { RollbackRecord, loadRollback } from '../records';
import { executeRollback } from './transaction';
import { packedFiles } from '../evidence/pack';
import { readJournal, unfinishedTransactions } from './journal';
import { undoChecks } from './consent';
import type { RepoCheck } from '../plan/repoChecks';
import type { KeepEdits } from '../plan/keepEdits';
import type { RollbackPlan } from '../plan/plan';

/** The most files a rollback may have changed for its undo to read their diffs from its evidence pack. */
const packedFilesMax = 20_000;

/**
 * What an undo of `given` would do, changing nothing: the plan back to its safety snapshot, with
 * the files edited since the rollback ended as its drift (or, with `keepEdits`, left or merged).
 * Refuses what an undo refuses: a rollback that did not commit, one undone already, one whose
 * undo was interrupted.
 */
export async function planUndo(
  ctx: EngineContext,
  given: string,
  keepEdits?: KeepEdits,
  /** Keep the plan's captures for its run (plan/keptCaptures.ts); the caller releases what the run does not take. */
  keepCaptures = false,
): Promise<{ rb: RollbackRecord; plan: RollbackPlan }> {
  const rb = await loadRollback(ctx.store, given);
  if (rb.outcome !== 'committed') throw new EngineError('NotUndoable', `${rb.id} did not commit (${rb.outcome}); there is nothing to undo`);
  if (rb.undoneBy) throw new EngineError('NotUndoable', `${rb.id} was already undone by ${rb.undoneBy}`);
  if (!rb.safetySnapshot) throw new EngineError('UnknownId', `${rb.id} has no safety snapshot`);
  // an undo of it that was interrupted may have committed: only recovery can say, and mark it
  for (const open of (await unfinishedTransactions(ctx.store)).open) {
    const begin = (await readJournal(ctx.store, open).catch(() => []))[0];
    if (begin?.t === 'begin' && begin.undoOf === rb.id) {
      throw new EngineError('RecoveryNeeded', `an undo of ${rb.id} (${open}) was interrupted; run \`codecontext recover\` first`);
    }
  }
  const driftBase = Object.fromEntries(rb.repos.filter((r) => r.after).map((r) => [r.path, r.after!]));
  // the undo's run (not its preview) starts from what its rollback's verify captured in this process, where nothing changed since
  const startFrom = keepCaptures ? takeAfterRollback(rb.id) : undefined;
  // elsewhere (the CLI's undo, a preview) its rollback's diffs come from the evidence pack, each proved before it is used;
  // not from a pack of very many files, whose parse costs more than git's diffs
  const small = rb.repos.reduce((n, r) => n + r.files, 0) <= packedFilesMax;
  const undoes = !startFrom && small ? await packedFiles(rb.evidence).catch(() => undefined) : undefined;
  // what the rollback pushed goes back too, leased on what it left there
  const undoPushes = (rb.pushes ?? []).filter((p) => p.pushed);
  const plan = await planRollback(
    ctx,
    {
      snapshot: rb.safetySnapshot,
      repos: rb.repos.map((r) => r.path),
      driftBase,
      ...(undoPushes.length ? { undoPushes } : {}),
      ...(keepEdits ? { keepEdits } : {}),
    },
    [],
    { keepCaptures, ...(startFrom ? { startFrom } : {}), ...(undoes ? { undoes } : {}) },
  );
  return { rb, plan };
}

/**
 * Returns every repo of a finished rollback to its safety snapshot, as a transaction of its own
 * with its own evidence pack. Files edited after the rollback ended are drift: refused unless the
 * caller chose what becomes of them: overwritten (`force`; the undo's own safety snapshot keeps
 * them), left as they are, or kept with the rollback's change undone around them (`keepEdits`).
 */
export async function undoRollback(
  ctx: EngineContext,
  given: string,
  options: { force?: boolean; keepEdits?: KeepEdits; cancel?: CancelToken; argv?: string[]; onSkippedChecks?: (skipped: RepoCheck[]) => void } = {},
): Promise<RollbackRecord> {
  // its run starts from the plan's captures where nothing changed since: an undo captures each repo once before it commits
  const { rb, plan } = await planUndo(ctx, given, options.keepEdits, true);
  try {
    return await runUndo(ctx, rb, plan, options);
  } finally {
    await releaseCaptures(plan);
  }
}

async function runUndo(
  ctx: EngineContext,
  rb: RollbackRecord,
  plan: RollbackPlan,
  options: { force?: boolean; keepEdits?: KeepEdits; cancel?: CancelToken; argv?: string[]; onSkippedChecks?: (skipped: RepoCheck[]) => void },
): Promise<RollbackRecord> {
  if (plan.totals.drift > 0 && !options.force) {
    const d = plan.repos.find((r) => r.drift.length)!;
    const files = d.drift.flatMap((x) => (x.kind === 'file' ? [x.path] : []));
    throw new EngineError(
      'Drift',
      `${plural(plan.totals.drift, 'file')} edited since ${rb.id} ended would be overwritten: ${d.drift.slice(0, 5).map(driftLabel).join(', ')} ` +
        `(--force overwrites them, the safety snapshot keeps a copy; --leave-edits-out leaves them; --keep-edits keeps them)`,
      d.path,
      files[0],
    );
  }
  // only a check the rollback itself ran may run again (tx/consent.ts)
  const checks = await undoChecks(rb, plan);
  if (checks.skipped.length) options.onSkippedChecks?.(checks.skipped);
  // undoneBy and the campaign's status are effects of the undo's own transaction: journaled, and
  // finished by recovery if the undo is killed after it verified
  // a one-step rollback (--only-step) left the campaign's status alone, and so does its undo
  const campaign =
    rb.target.campaign && rb.kind === 'rollback' && rb.target.onlyStep === undefined
      ? { id: rb.target.campaign, checkpoint: rb.target.checkpoint ?? 0, rolledBackBy: null }
      : undefined;
  const undo = await executeRollback(ctx, plan, { ...options, kind: 'undo', undoOf: rb.id, checks: checks.run, ...(campaign ? { campaign } : {}) });
  return undo;
}
