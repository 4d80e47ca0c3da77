import * as fs from 'fs';
import { Store, writeFileAtomic } from './store';
import { readBoundedText } from './boundedRead';

/**
 * Listing a store folder without reading every file in it: the summary of each file is kept in the
 * folder's `.summaries.json`, keyed by the file's identity (inode, size, ctime and mtime in ns).
 * A summary is reused only while that identity holds; any write to the file changes its ctime,
 * which no user can set back. A file changed within `racyMs` (2 s) of being summarised is summarised
 * again next time, since a coarse clock could give its next version the same stamps.
 *
 * The cache is a convenience only: every use of a file still reads and checks the file itself.
 * An unreadable cache is rebuilt, and a cache that cannot be written is skipped.
 */
const cacheName = '.summaries.json';
const defaultRacyMs = 2000;

interface Entry<T> {
  key: string;
  summary: T;
}

interface CacheFile<T> {
  format: 1;
  entries: Record<string, Entry<T>>;
}

function identity(st: fs.BigIntStats): string {
  return `${st.ino}:${st.size}:${st.ctimeNs}:${st.mtimeNs}`;
}

/**
 * The summary of every file of `folder` ending with `suffix`, in name order. `summarise` is called
 * only for files that are new or changed since they were last summarised.
 */
export async function summariesOf<T>(
  store: Store,
  folder: string,
  suffix: string,
  summarise: (name: string) => Promise<T>,
  racyMs = defaultRacyMs,
): Promise<Array<{ name: string; summary: T }>> {
  const names = await store.list(folder, suffix);
  if (names.length === 0) return [];
  const cachePath = store.path(folder, cacheName);
  const cached = await readCache<T>(cachePath);
  const fresh: Record<string, Entry<T>> = {};
  const now = Date.now();
  const out = await Promise.all(
    names.map(async (name) => {
      const st = await fs.promises.stat(store.path(folder, name), { bigint: true }).catch(() => undefined);
      const key = st ? identity(st) : '';
      const hit = st && cached[name]?.key === key ? cached[name] : undefined;
      const summary = hit ? hit.summary : await summarise(name);
      const settled = st !== undefined && now - Number(st.ctimeNs / 1_000_000n) > racyMs;
      if (settled) fresh[name] = { key, summary };
      return { name, summary };
    }),
  );
  const same = (a: Record<string, Entry<T>>, b: Record<string, Entry<T>>) =>
    Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((n) => b[n]?.key === a[n].key);
  if (!same(fresh, cached)) {
    const file: CacheFile<T> = { format: 1, entries: fresh };
    await writeFileAtomic(cachePath, JSON.stringify(file)).catch(() => undefined);
  }
  return out;
}

async function readCache<T>(file: string): Promise<Record<string, Entry<T>>> {
  try {
    const parsed = JSON.parse(await readBoundedText(file, { limit: 64 * 1024 * 1024, what: 'summary cache', regularOnly: true })) as CacheFile<T>;
    if (parsed?.format === 1 && parsed.entries && typeof parsed.entries === 'object') return parsed.entries;
  } catch {
    // missing or unreadable: every file is summarised again
  }
  return {};
}
