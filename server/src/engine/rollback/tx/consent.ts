import { readEvidenceChecks } from '../evidence/pack';
import type { RollbackPlan } from '../plan/plan';
import { CheckDecision, decideChecks, repoChecksOf } from '../plan/repoChecks';
import type { RollbackRecord } from '../records';

/**
 * The checks an undo runs: a repo's own check only when the rollback it undoes ran that very
 * command in that repo (its evidence pack lists every check it ran). The state an undo returns
 * to is the one the campaign left, so its `.codecontext.json` may be the campaign's own: a
 * command written there that the rollback never ran is skipped, never asked about, whoever asks
 * for the undo (an undo must stay possible, so it is not refused either).
 */
export async function undoChecks(rolledBack: RollbackRecord, plan: RollbackPlan): Promise<CheckDecision> {
  // a pack that cannot be read vouches for nothing: every repo check is then skipped
  // only its checks are read: the pack of a rollback of 100,000 files is tens of MB
  const checks = await readEvidenceChecks(rolledBack.evidence).catch(() => []);
  const ran = new Set(checks.map((c) => JSON.stringify([c.repo, c.command])));
  return decideChecks(plan, await repoChecksOf(plan), {
    allowed: (c) => ran.has(JSON.stringify([c.repo, c.command])),
    unallowed: 'skip',
    howToConsent: '',
  });
}
