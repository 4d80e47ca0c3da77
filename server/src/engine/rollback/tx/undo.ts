import { markCampaignRolledBack } from '../../campaign/campaign';
import { EngineContext } from '../../store/engineContext';
import { EngineError } from '../../util/errors';
import { planRollback } from '../plan/plan';
import { CancelToken } from '../../util/progress';
import { RollbackRecord, loadRollback, writeRollbackRecord } from '../records';
import { executeRollback } from './transaction';

/**
 * Returns every repo of a finished rollback to its safety snapshot, as a transaction of its own
 * with its own evidence pack. Changes made after the rollback ended count as drift: refused
 * unless forced (and then kept in the undo's own safety snapshot).
 */
export async function undoRollback(
  ctx: EngineContext,
  given: string,
  options: { force?: boolean; cancel?: CancelToken; argv?: string[] } = {},
): Promise<RollbackRecord> {
  const rb = await loadRollback(ctx.store, given);
  if (rb.outcome !== 'committed') throw new EngineError('NotUndoable', `${rb.id} did not commit (${rb.outcome}); there is nothing to undo`);
  if (rb.undoneBy) throw new EngineError('NotUndoable', `${rb.id} was already undone by ${rb.undoneBy}`);
  if (!rb.safetySnapshot) throw new EngineError('UnknownId', `${rb.id} has no safety snapshot`);
  const driftBase = Object.fromEntries(rb.repos.filter((r) => r.after).map((r) => [r.path, r.after!]));
  const plan = await planRollback(ctx, { snapshot: rb.safetySnapshot, repos: rb.repos.map((r) => r.path), driftBase });
  const undo = await executeRollback(ctx, plan, { ...options, kind: 'undo', undoOf: rb.id });
  await writeRollbackRecord(ctx.store, { ...rb, undoneBy: undo.id });
  if (rb.target.campaign && rb.kind === 'rollback') await markCampaignRolledBack(ctx.store, rb.target.campaign, undefined, rb.target.checkpoint ?? 0);
  return undo;
}
