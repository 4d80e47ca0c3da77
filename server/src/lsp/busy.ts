import * as path from 'path';
import { BusyError } from './errors';

interface Hold {
  what: string;
  paths: string[];
  /** Holds every repo (recovery, which cannot know beforehand which repos it touches). */
  all?: boolean;
}

/**
 * Which repos this server's mutating requests are working on. A request holds its repos (or the
 * folders whose repos it will find) for as long as it runs; a second one touching any of them, or
 * a folder above or below them, is refused at once with a `BusyError` naming the first. Other
 * processes (the CLI) are kept apart by the engine's own lock files.
 */
export class RepoLocks {
  private readonly holds = new Set<Hold>();

  async run<T>(what: string, paths: readonly string[] | 'all', fn: () => Promise<T>): Promise<T> {
    const all = paths === 'all';
    const wanted = all ? [] : paths.map((p) => path.resolve(p));
    for (const hold of this.holds) {
      if (hold.all || all) throw new BusyError(hold.what, hold.paths[0] ?? 'every repo');
      for (const held of hold.paths) {
        const clash = wanted.find((w) => overlaps(w, held));
        if (clash) throw new BusyError(hold.what, clash);
      }
    }
    const hold: Hold = { what, paths: wanted, all };
    this.holds.add(hold);
    try {
      return await fn();
    } finally {
      this.holds.delete(hold);
    }
  }

  /** What runs now, for logs and tests. */
  running(): string[] {
    return [...this.holds].map((h) => h.what);
  }
}

function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(b + path.sep) || b.startsWith(a + path.sep);
}
