import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { randomHex } from '../util/canonical';
import { EngineError } from '../util/errors';
import { readBoundedText } from './boundedRead';

/**
 * The per-user store shared by the CLI and the extension: small JSON files, each written
 * atomically (temp + fsync + rename + fsync of the folder), so a reader never sees half a file
 * and a crash leaves either the old or the new version.
 */
const maxStoreFile = 64 * 1024 * 1024;

export class Store {
  constructor(readonly dir: string) {}

  /** `explicit` (--store, a setting) wins, then $CODECONTEXT_HOME, then the platform's data folder. */
  static locate(explicit?: string): Store {
    if (explicit) return new Store(path.resolve(explicit));
    if (process.env.CODECONTEXT_HOME) return new Store(path.resolve(process.env.CODECONTEXT_HOME));
    return new Store(defaultStoreDir());
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  async writeJson(rel: string, value: unknown): Promise<void> {
    await writeFileAtomic(this.path(rel), JSON.stringify(value, null, 2) + '\n');
  }

  /** Reads a JSON file of the store; undefined when it does not exist, StoreCorrupt when unreadable. */
  async readJson<T>(rel: string): Promise<T | undefined> {
    let text: string;
    try {
      // no file of ours comes near this (a 500-repo manifest is ~200 KB); a bigger one, a device or a pipe is not ours
      text = await readBoundedText(this.path(rel), { limit: maxStoreFile, what: 'store file', regularOnly: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new EngineError('StoreCorrupt', `store file is not valid JSON: ${this.path(rel)}`);
    }
  }

  /** Names of the files in a store folder that end with `suffix`, sorted. */
  async list(folder: string, suffix: string): Promise<string[]> {
    try {
      const names = await fs.promises.readdir(this.path(folder));
      return names.filter((n) => n.endsWith(suffix) && !n.startsWith('.')).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }
}

/** A store file that should hold a record (a campaign, a rollback) and does not: listed, never hidden. */
export interface InvalidRecord {
  id: string;
  file: string;
  reason: string;
}

/**
 * Every record of a store folder read with `load` (by id: the file name without `.json`), and the
 * files that could not be read, with why.
 */
export async function readRecords<T>(store: Store, folder: string, load: (id: string) => Promise<T>): Promise<{ records: T[]; invalid: InvalidRecord[] }> {
  const ids = (await store.list(folder, '.json')).map((n) => n.slice(0, -'.json'.length));
  const invalid: InvalidRecord[] = [];
  const read = await Promise.all(
    ids.map((id) =>
      load(id).catch((e: unknown) => {
        invalid.push({ id, file: store.path(folder, `${id}.json`), reason: e instanceof Error ? e.message : String(e) });
        return undefined;
      }),
    ),
  );
  return { records: read.filter((r): r is Awaited<T> => r !== undefined), invalid: invalid.sort((a, b) => a.id.localeCompare(b.id)) };
}

export function defaultStoreDir(): string {
  const home = os.homedir();
  if (process.platform === 'win32') {
    return path.join(process.env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'codecontext');
  }
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'codecontext');
  return path.join(process.env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'codecontext');
}

/** Writes beside the target, fsyncs, renames over it and fsyncs the folder so the rename is durable. */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  const dir = path.dirname(file);
  await fs.promises.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${randomHex(4)}.tmp`);
  const handle = await fs.promises.open(temp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await publishAtomic(temp, file);
}

/** A synced temporary file renamed over its target (removed if that fails), then the folder fsync'd so the rename is durable. */
export async function publishAtomic(temp: string, file: string): Promise<void> {
  try {
    await fs.promises.rename(temp, file);
  } catch (e) {
    await fs.promises.rm(temp, { force: true });
    throw e;
  }
  await fsyncDir(path.dirname(file));
}

export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await fs.promises.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
