import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { DiscoveredRepo, discoverRepos } from '../engine/repo/discovery';
import { Store } from '../engine/store/store';
import { CodeContextSettings } from '../protocol';
import { defaultDebounceMs } from './campaignWatcher';

/** Settings after checking: what the client sent when it made sense, else the default. */
export interface Settings {
  storePath?: string;
  discoveryDepth?: number;
  parallelism?: number;
  defaultMode: 'restore' | 'replay';
  /** Publish each snapshot created to each repo's remote. */
  pushSnapshots: boolean;

  /** Checkpoint active campaigns when their repos change (issue 23, item 1); default on. */
  autoCheckpoint: boolean;
  /** Quiet time before an automatic checkpoint, in ms. */
  autoCheckpointDebounceMs: number;
}

/**
 * The server's view of the workspace: its folders, the settings, the store they select, and the
 * repos found below the folders. Discovery runs once per change of folders or depth and is shared
 * by every request, so listing repos answers from memory.
 */
export class Workspace {
  private folders: string[] = [];
  private current: Settings = { defaultMode: 'restore', pushSnapshots: false, autoCheckpoint: true, autoCheckpointDebounceMs: defaultDebounceMs };
  private discovered: Promise<DiscoveredRepo[]> | undefined;

  constructor(
    private readonly initStorePath?: string,
    /** `initializationOptions.autoCheckpoint`: what applies while the settings do not say. */
    private readonly initAutoCheckpoint?: boolean,
  ) {
    if (initAutoCheckpoint !== undefined) this.current = { ...this.current, autoCheckpoint: initAutoCheckpoint };
  }

  get roots(): readonly string[] {
    return this.folders;
  }

  get settings(): Readonly<Settings> {
    return this.current;
  }

  /** The store: the `storePath` setting, else `initializationOptions.storePath`, else $CODECONTEXT_HOME or the default. */
  store(): Store {
    return Store.locate(this.current.storePath || this.initStorePath || undefined);
  }

  setFolders(uris: readonly string[]): void {
    this.folders = [...new Set(uris.map(toPath))].sort();
    this.discovered = undefined;
  }

  changeFolders(added: readonly string[], removed: readonly string[]): void {
    const gone = new Set(removed.map(toPath));
    this.setFolders([...this.folders.filter((f) => !gone.has(f)), ...added.map(toPath)]);
  }

  /** Applies settings from the client; says whether the store moved (the watcher must follow). */
  applySettings(raw: unknown): { storeChanged: boolean } {
    const before = this.store().dir;
    const s = (raw && typeof raw === 'object' ? raw : {}) as CodeContextSettings;
    const int = (v: unknown, min: number, max: number) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : undefined);
    const depthBefore = this.current.discoveryDepth;
    this.current = {
      storePath: typeof s.storePath === 'string' && s.storePath.trim() ? s.storePath.trim() : undefined,
      discoveryDepth: int(s.discoveryDepth, 0, 64),
      parallelism: int(s.parallelism, 1, 64),
      defaultMode: s.defaultMode === 'replay' ? 'replay' : 'restore',
      pushSnapshots: s.pushSnapshots === true,
      autoCheckpoint: typeof s.autoCheckpoint === 'boolean' ? s.autoCheckpoint : (this.initAutoCheckpoint ?? true),
      autoCheckpointDebounceMs:
        typeof s.autoCheckpointDebounce === 'number' && s.autoCheckpointDebounce >= 0.1 && s.autoCheckpointDebounce <= 600
          ? Math.round(s.autoCheckpointDebounce * 1000)
          : defaultDebounceMs,
    };
    if (depthBefore !== this.current.discoveryDepth) this.discovered = undefined;
    return { storeChanged: this.store().dir !== before };
  }

  /** Is any of `repos` (absolute paths) at or below a folder of the workspace? What a window's lists are scoped to. */
  touches(repos: readonly string[]): boolean {
    return repos.some((r) => this.folders.some((f) => r === f || r.startsWith(f.endsWith(path.sep) ? f : f + path.sep)));
  }

  /** Every repo below the folders; folders that no longer exist are skipped, not fatal. */
  repos(refresh = false): Promise<DiscoveredRepo[]> {
    if (refresh || !this.discovered) {
      const roots = this.folders.filter((f) => fs.statSync(f, { throwIfNoEntry: false })?.isDirectory());
      const search = roots.length ? discoverRepos(roots, { maxDepth: this.current.discoveryDepth }) : Promise.resolve([]);
      this.discovered = search;
      // a failed search is not remembered: the next request tries again
      search.catch(() => {
        if (this.discovered === search) this.discovered = undefined;
      });
    }
    return this.discovered;
  }
}

/** A workspace folder URI (`file:///…`) or path, as an absolute path. */
function toPath(uriOrPath: string): string {
  return path.resolve(uriOrPath.startsWith('file:') ? fileURLToPath(uriOrPath) : uriOrPath);
}
