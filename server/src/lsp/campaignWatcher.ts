import { Campaign, CampaignStep, checkpointIfChanged, loadCampaign } from '../engine/campaign/campaign';
import { rollbackAtWork } from '../engine/repo/repoLock';
import { repoLayout } from '../engine/git/repoLayout';
import { rollbackEnds } from '../engine/rollback/records';
import { runAtWork } from '../engine/campaign/campaignRun';
import { readJournal, unfinishedTransactions } from '../engine/rollback/tx/journal';
import { isAlive } from '../engine/util/processes';
import { EngineContext } from '../engine/store/engineContext';
import { EngineError, asEngineError } from '../engine/util/errors';
import { RepoWatcher, WatchState, eventsHeard } from './repoWatcher';
import { RepoSnapshot } from '../engine/snapshot/snapshot';
import { captureRepoState } from '../engine/repo/repoState';
import { defaultParallelism, mapLimit } from '../engine/util/pool';
import * as fs from 'fs';
import * as path from 'path';

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
 * One checkpoint at a time; changes heard during one are checkpointed after it. A repo nothing was
 * heard in since this watcher's last capture of it is not captured again, when every place its
 * tracked files can change is watched (RepoWatcher.hearsAll) and no flood of events may have made
 * the kernel drop some; what is not watched (the git config, ignore files outside the worktree such
 * as `.git/info/exclude`, a write through mmap, which inotify does not report) is caught by the next
 * capture of that repo.
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
  /** Each repo's state as this watcher's latest checkpoint found it, and when that capture began (performance.now()). */
  private known = new Map<string, { state: RepoSnapshot; since: number }>();
  /** eventsHeard() when the last checkpoint began. */
  private heardBefore = eventsHeard();
  /** start's first capture of each repo: a checkpoint heard meanwhile waits for it. */
  private priming: Promise<unknown> = Promise.resolve();

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

  /**
   * Starts watching the campaign's repos; resolves once every watch is in place and each repo was
   * captured once (no step: what the first checkpoint needs not capture again where nothing was heard).
   */
  async start(): Promise<WatchState & { campaign: Campaign }> {
    const campaign = await loadCampaign(this.ctx.store, this.campaign);
    if (campaign.status !== 'active') throw new EngineError('Usage', `${campaign.id} is ${campaign.status}: only an active campaign is watched`);
    const state = await this.watcher.watch(campaign.repos);
    // after the watches are in place, so whatever is written from here on is heard
    const since = performance.now();
    this.priming = mapLimit(campaign.repos, this.ctx.parallelism ?? defaultParallelism, async (repo) => {
      if (!this.watcher.hearsAll(repo, since)) return;
      try {
        this.known.set(repo, { state: { path: repo, ...(await captureRepoState(repo)) }, since });
      } catch {
        // mid-merge, locked, gone: the first checkpoint captures it and says why if it still cannot
      }
    });
    await this.priming;
    return { ...state, campaign };
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
      await this.priming;
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
      // what was heard since the last checkpoint's start; a repo with no event since a capture of ours
      // began, every folder of it heard, is as that capture found it and is not captured again
      // (issue 23: an agent's turn in one repo of thirty captures that one)
      const touched = this.watcher.takeTouched();
      const since = performance.now();
      const heard = eventsHeard();
      const flood = heard - this.heardBefore >= floodEvents();
      this.heardBefore = heard;
      const previous = this.known;
      this.known = new Map(); // until this checkpoint's states come: a failure below leaves nothing vouched for
      const unchanged = new Map<string, RepoSnapshot>();
      if (!flood) {
        for (const repo of campaign.repos) {
          const known = previous.get(repo);
          if (known && !touched.has(path.resolve(repo)) && this.watcher.hearsAll(repo, known.since)) unchanged.set(repo, known.state);
        }
      }
      const made = await checkpointIfChanged(this.ctx, campaign.id, {
        source: this.options.source ?? 'auto',
        message: `${this.options.source ?? 'auto'} checkpoint`,
        ours: await rollbackEnds(this.ctx.store, campaign),
        unchanged,
        onStates: (states) => {
          for (const state of states) {
            const kept = unchanged.get(state.path) === state ? previous.get(state.path) : undefined;
            this.known.set(state.path, kept ?? { state, since });
          }
        },
      });
      // said even after dispose: the step is written, and whoever stopped the watch should hear of it
      if (made) this.options.onStep(made.step, made.campaign);
      else this.options.onNoStep?.();
    } catch (e) {
      this.options.onError?.(`no checkpoint of ${this.campaign}: ${asEngineError(e).oneLine()}`);
    }
  }
}

/**
 * So many events since the last checkpoint began that the process's inotify queue may have
 * overflowed, and the kernel dropped some without a word: a quarter of the queue's size (its
 * default 16,384), read once. Then every repo is captured. 0 where there is no such queue to read
 * (not Linux): there every checkpoint captures every repo.
 */
function floodEvents(): number {
  if (flood === undefined) {
    try {
      const max = process.platform === 'linux' ? Number(fs.readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8').trim()) : 0;
      flood = max > 0 ? Math.max(1, Math.floor(max / 4)) : 0;
    } catch {
      flood = 0;
    }
  }
  return flood;
}
let flood: number | undefined;

/** A transaction of a live process whose journal has no `end` yet. A dead one's waits for `recover`, not for us. */
async function transactionAtWork(ctx: EngineContext): Promise<boolean> {
  for (const rb of (await unfinishedTransactions(ctx.store)).open) {
    const begin = (await readJournal(ctx.store, rb).catch(() => [])).find((e) => e.t === 'begin');
    if (begin?.t === 'begin' && isAlive(begin.pid)) return true;
  }
  return false;
}
