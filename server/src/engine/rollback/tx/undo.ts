import { EngineContext } from '../../store/engineContext';
import { EngineError } from '../../util/errors';
import { planRollback } from '../plan/plan';
import { CancelToken } from '../../util/progress';
import { RollbackRecord, loadRollback } from '../records';
import { executeRollback } from './transaction';
import { readJournal, unfinishedTransactions } from './journal';
import { undoChecks } from './consent';
import type { RepoCheck } from '../plan/repoChecks';

/**
 * Returns every repo of a finished rollback to its safety snapshot, as a transaction of its own
 * with its own evidence pack. Changes made after the rollback ended count as drift: refused
 * unless forced (and then kept in the undo's own safety snapshot).
 */
export async function undoRollback(
  ctx: EngineContext,
  given: string,
  options: { force?: boolean; cancel?: CancelToken; argv?: string[]; onSkippedChecks?: (skipped: RepoCheck[]) => void } = {},
): Promise<RollbackRecord> {
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
  // what the rollback pushed goes back too, leased on what it left there
  const undoPushes = (rb.pushes ?? []).filter((p) => p.pushed);
  const plan = await planRollback(ctx, {
    snapshot: rb.safetySnapshot,
    repos: rb.repos.map((r) => r.path),
    driftBase,
    ...(undoPushes.length ? { undoPushes } : {}),
  });
  // only a check the rollback itself ran may run again (tx/consent.ts)
  const checks = await undoChecks(rb, plan);
  if (checks.skipped.length) options.onSkippedChecks?.(checks.skipped);
  // undoneBy and the campaign's status are effects of the undo's own transaction: journaled, and
  // finished by recovery if the undo is killed after it verified
  const campaign =
    rb.target.campaign && rb.kind === 'rollback' ? { id: rb.target.campaign, checkpoint: rb.target.checkpoint ?? 0, rolledBackBy: null } : undefined;
  const undo = await executeRollback(ctx, plan, { ...options, kind: 'undo', undoOf: rb.id, checks: checks.run, ...(campaign ? { campaign } : {}) });
  return undo;
}
