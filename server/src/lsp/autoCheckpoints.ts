import * as path from 'path';
import { listCampaignFiles } from '../engine/campaign/campaign';
import { EngineContext } from '../engine/store/engineContext';
import { plural } from '../engine/util/words';
import { CampaignWatcher } from './campaignWatcher';

/**
 * The server's always-on capture (`codecontext.autoCheckpoint`, on by default): a CampaignWatcher
 * for each active campaign with a repo in the workspace, started when one becomes active (the
 * store watcher says so) and stopped when it is rolled back, the setting goes off or the store moves.
 */
export class AutoCheckpoints {
  private readonly watchers = new Map<string, CampaignWatcher>();
  private key = '';
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly log: (message: string) => void) {}

  /** Brings the watchers in line with the settings and the store; calls wait for each other. */
  update(ctx: EngineContext, roots: readonly string[], enabled: boolean, debounceMs: number): Promise<void> {
    const next = this.queue.then(() => this.apply(ctx, roots, enabled, debounceMs));
    this.queue = next.catch((e: unknown) => this.log(`auto checkpoints: ${(e as Error).message}`));
    return this.queue;
  }

  dispose(): void {
    for (const w of this.watchers.values()) w.dispose();
    this.watchers.clear();
  }

  private async apply(ctx: EngineContext, roots: readonly string[], enabled: boolean, debounceMs: number): Promise<void> {
    const key = JSON.stringify([ctx.store.dir, debounceMs]);
    if (key !== this.key || !enabled) this.dispose();
    this.key = key;
    if (!enabled) return;
    const inside = (repo: string) => roots.some((r) => repo === r || repo.startsWith(r + path.sep));
    const active = (await listCampaignFiles(ctx.store)).campaigns.filter((c) => c.status === 'active' && c.repos.some(inside));
    const wanted = new Set(active.map((c) => c.id));
    for (const [id, w] of this.watchers) {
      if (wanted.has(id)) continue;
      w.dispose();
      this.watchers.delete(id);
    }
    for (const c of active) {
      if (this.watchers.has(c.id)) continue;
      const w = new CampaignWatcher(ctx, c.id, {
        debounceMs,
        onStep: (step) => this.log(`auto checkpoint: step ${step.n} of ${c.name} (${plural(step.reposChanged, 'repo')} changed)`),
        onError: (m) => this.log(`auto checkpoint: ${m}`),
      });
      this.watchers.set(c.id, w);
      try {
        const state = await w.start();
        this.log(`auto checkpoint: watching ${plural(state.watching, 'repo')} of ${c.id} (${c.name}), ${plural(state.folders, 'folder')}`);
      } catch (e) {
        w.dispose();
        this.watchers.delete(c.id);
        this.log(`auto checkpoint: cannot watch ${c.id}: ${(e as Error).message}`);
      }
    }
  }
}
