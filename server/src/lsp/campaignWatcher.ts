import { Campaign, CampaignStep, checkpointIfChanged, loadCampaign } from '../engine/campaign/campaign';
import { rollbackAtWork } from '../engine/repo/repoLock';
import { repoLayout } from '../engine/git/repoLayout';
import { rollbackEnds } from '../engine/rollback/records';
import { runAtWork } from '../engine/campaign/campaignRun';
import { readJournal, unfinishedTransactions } from '../engine/rollback/tx/journal';
import { isAlive } from '../engine/util/processes';
import { EngineContext } from '../engine/store/engineContext';
import { EngineError, asEngineError } from '../engine/util/errors';
import { RepoWatcher, WatchState } from './repoWatcher';

/** The default quiet time before an automatic checkpoint (the `codecontext.autoCheckpointDebounce` setting, `watch --debounce`). */
export const defaultDebounceMs = 2000;

export interface CampaignWatcherOptions {
  debounceMs?: number;
  /** A step was recorded. */
  onStep: (step: CampaignStep, campaign: Campaign) => void;
  /** A checkpoint that could not be taken (a repo mid-merge, locked by a rollback): said, and tried again on the next change. */
  onError?: (message: string) => void;
  /** Writes settled and nothing was recorded: every repo as the last checkpoint or a rollback of ours left it. */
  onNoStep?: () => void;
  /** A checkpoint waits: `what` ("a rollback", "a campaign run") is at work; its writes are its own. Said once per wait. */
  onWait?: (what: string) => void;
  /** The campaign is no longer active (rolled back): nothing is checkpointed any more. */
  onInactive?: (campaign: Campaign) => void;
  /** The step's source (default "auto"). */
  source?: string;
}

/**
 * Always-on capture (issue 23, item 1): watches a campaign's repos (lsp/repoWatcher: folder by
 * folder within the inotify budget, the index, HEAD and branch refs; event-driven, no polling)
 * and, once their writes have stopped for the debounce time, checkpoints the campaign when a
 * writer changed something. Our own writes never make a step: a capture writes nothing the watcher
 * counts (objects, a temporary index, refs under refs/codecontext/), and a repo exactly as a
 * rollback or an undo left it since the last checkpoint is ours (`checkpointIfChanged`'s `ours`).
 * One checkpoint at a time; changes heard during one are checkpointed after it.
 */
export class CampaignWatcher {
  private readonly watcher: RepoWatcher;
  private running: Promise<void> | undefined;
  private again = false;
  private disposed = false;
  private retry: NodeJS.Timeout | undefined;
  /** A checkpoint is put off until a rollback or run of ours is done (said once per wait). */
  private waiting = false;
  private readonly debounceMs: number;

  constructor(
    private readonly ctx: EngineContext,
    private readonly campaign: string,
    private readonly options: CampaignWatcherOptions,
  ) {
    const debounce = options.debounceMs ?? defaultDebounceMs;
    this.debounceMs = debounce;
    this.watcher = new RepoWatcher(
      () => this.changed(),
      (m) => options.onError?.(m),
      undefined,
      // under constant churn a step still comes, every ten quiet times
      { quietMs: debounce, maxDelayMs: debounce * 10 },
    );
  }

  /** Starts watching the campaign's repos; resolves once every watch is in place. */
  async start(): Promise<WatchState & { campaign: Campaign }> {
    const campaign = await loadCampaign(this.ctx.store, this.campaign);
    if (campaign.status !== 'active') throw new EngineError('Usage', `${campaign.id} is ${campaign.status}: only an active campaign is watched`);
    return { ...(await this.watcher.watch(campaign.repos)), campaign };
  }

  /** Resolves when no checkpoint is running or queued. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  dispose(): void {
    this.disposed = true;
    if (this.retry) clearTimeout(this.retry);
    this.watcher.dispose();
  }

  private changed(): void {
    if (this.disposed) return;
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.checkpoint().finally(() => {
      this.running = undefined;
      if (this.again && !this.disposed) {
        this.again = false;
        this.changed();
      }
    });
  }

  private async checkpoint(): Promise<void> {
    try {
      const campaign = await loadCampaign(this.ctx.store, this.campaign);
      if (campaign.status !== 'active') {
        this.options.onInactive?.(campaign);
        return;
      }
      // a rollback at work (in a repo, or its transaction not yet ended: its record, which says what
      // state it left, comes after its locks go), or a campaign run whose step will record its
      // commands' writes: ours; look again a quiet time later
      const layouts = await Promise.all(campaign.repos.map((r) => repoLayout(r).catch(() => undefined)));
      const busy = (await transactionAtWork(this.ctx)) ? 'a rollback' : (await runAtWork(this.ctx, campaign.id)) ? 'a campaign run' : undefined;
      const locked = !busy && (await Promise.all(layouts.map((l) => (l ? rollbackAtWork(l) : false)))).some(Boolean);
      if (busy || locked) {
        if (!this.waiting) this.options.onWait?.(busy ?? 'a rollback');
        this.waiting = true;
        this.retry = setTimeout(() => this.changed(), this.debounceMs);
        return;
      }
      this.waiting = false;
      const made = await checkpointIfChanged(this.ctx, campaign.id, {
        source: this.options.source ?? 'auto',
        message: `${this.options.source ?? 'auto'} checkpoint`,
        ours: await rollbackEnds(this.ctx.store, campaign),
      });
      // said even after dispose: the step is written, and whoever stopped the watch should hear of it
      if (made) this.options.onStep(made.step, made.campaign);
      else this.options.onNoStep?.();
    } catch (e) {
      this.options.onError?.(`no checkpoint of ${this.campaign}: ${asEngineError(e).oneLine()}`);
    }
  }
}

/** A transaction of a live process whose journal has no `end` yet. A dead one's waits for `recover`, not for us. */
async function transactionAtWork(ctx: EngineContext): Promise<boolean> {
  for (const rb of (await unfinishedTransactions(ctx.store)).open) {
    const begin = (await readJournal(ctx.store, rb).catch(() => [])).find((e) => e.t === 'begin');
    if (begin?.t === 'begin' && isAlive(begin.pid)) return true;
  }
  return false;
}
