import * as fs from 'fs';
import * as path from 'path';
import { sha256 } from '../util/canonical';
import { EngineError } from '../util/errors';
import { fsyncDir } from './store';
import { ReadLimit, readBounded } from './boundedRead';
import { faultPoint, syncFault } from '../util/faults';

/**
 * An append-only file of JSON entries that cannot lie about what it holds. Each line is
 * `<checksum> <json>\n`, the checksum being the first 16 hex digits of the SHA-256 of the JSON.
 *
 * - A crash can leave only the last line torn (no newline, or a checksum that does not match): it
 *   is left out when read, and cut off before anything is appended, so a new entry never lands
 *   glued to half of an old one.
 * - A bad line that is not the last cannot come from a crash: reading stops with StoreCorrupt,
 *   naming the file and line, instead of acting on the lines that happen to parse.
 * - Every write is checked for its full length and fsync'd before append resolves; a write that
 *   fails part way (a full disk) is cut back too, so the file ends on a whole entry.
 *
 * Lines of the format before checksums (a bare JSON object) are still read, so a journal left by
 * an earlier version can be recovered.
 */

const sumLength = 16;

function checksum(json: string): string {
  return sha256(json).slice(0, sumLength);
}

export function encodeLine(entry: unknown): string {
  const json = JSON.stringify(entry);
  return `${checksum(json)} ${json}\n`;
}

export interface LogContents<T> {
  entries: T[];
  /** Bytes of the file that hold whole, good entries; what follows is a torn tail. */
  goodLength: number;
  /** The file ended in a torn entry (cut off by the next append). */
  torn: boolean;
}

/** Parses a log's bytes; throws StoreCorrupt for a bad line that is not the last. */
export function parseLog<T>(bytes: Buffer, file: string): LogContents<T> {
  const entries: T[] = [];
  let pos = 0;
  let line = 0;
  while (pos < bytes.length) {
    line++;
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) return { entries, goodLength: pos, torn: true }; // no newline: the write was cut short
    const text = bytes.toString('utf8', pos, nl);
    const entry = parseLine<T>(text);
    if (entry === undefined) {
      // the last line may be torn (written, not yet all of it synced); anything before it may not
      if (nl + 1 >= bytes.length || bytes.subarray(nl + 1).every((b) => b === 0x0a || b === 0)) return { entries, goodLength: pos, torn: true };
      throw new EngineError(
        'StoreCorrupt',
        `journal line ${line} is damaged (its checksum does not match) and is not the last line; it was not written by a crash. Look at the file, then ` +
          `move it aside to proceed`,
        undefined,
        file,
      );
    }
    if (entry !== null) entries.push(entry);
    pos = nl + 1;
  }
  return { entries, goodLength: pos, torn: false };
}

/** undefined: damaged; null: blank. */
function parseLine<T>(text: string): T | undefined | null {
  if (!text.trim()) return null;
  if (text.startsWith('{')) {
    // the format before checksums
    try {
      return JSON.parse(text) as T;
    } catch {
      return undefined;
    }
  }
  const json = text.slice(sumLength + 1);
  if (text[sumLength] !== ' ' || checksum(json) !== text.slice(0, sumLength)) return undefined;
  try {
    return JSON.parse(json) as T;
  } catch {
    return undefined;
  }
}

/** A journal holds a rollback's goals and phases, never a file's content: far below this. */
const journalLimit = (file: string): ReadLimit => ({ limit: 256 * 1024 * 1024, what: `journal ${path.basename(file)}`, regularOnly: true });

export async function readLog<T>(file: string): Promise<LogContents<T>> {
  return parseLog<T>(await readBounded(file, journalLimit(file)), file);
}

/**
 * The log's last entry when the file ends in a whole, good one, read from its tail alone;
 * undefined when it does not (torn, damaged, empty, longer than the tail read), and the caller
 * reads the whole log. For asking many logs whether they ended without parsing every entry.
 */
export async function lastEntry<T>(file: string): Promise<T | undefined> {
  // a symlink, a FIFO (never waited on), a device, anything odd: the whole read says what it is
  const handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK).catch(() => undefined);
  if (!handle) return undefined;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return undefined;
    const size = stat.size;
    const take = Math.min(size, 64 * 1024);
    const tail = Buffer.alloc(take);
    const { bytesRead } = await handle.read(tail, 0, take, size - take);
    if (bytesRead !== take || take === 0 || tail[take - 1] !== 0x0a) return undefined;
    const start = tail.lastIndexOf(0x0a, take - 2);
    if (start < 0 && take < size) return undefined; // the line began before the tail
    return parseLine<T>(tail.toString('utf8', start + 1, take - 1)) ?? undefined;
  } finally {
    await handle.close();
  }
}

/**
 * A log open for appending. Entries appended while a sync is in flight are written and synced
 * together (group commit): repos committing in parallel share one fsync instead of one each.
 */
export class AppendLog<T> {
  private constructor(
    readonly file: string,
    private readonly handle: fs.promises.FileHandle,
    private length: number,
  ) {}

  /** Opens (creating it if need be) and cuts a torn tail back to the last whole entry. */
  static async open<T>(file: string): Promise<AppendLog<T>> {
    const dir = path.dirname(file);
    await fs.promises.mkdir(dir, { recursive: true });
    const handle = await fs.promises.open(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
    try {
      const stat = await handle.stat();
      const limit = journalLimit(file);
      if (!stat.isFile() || stat.size > limit.limit)
        throw new EngineError('StoreCorrupt', `${limit.what}: not a regular file of at most ${limit.limit / 1048576} MB; refused`, undefined, file);
      const bytes = await handle.readFile();
      const { goodLength, torn } = parseLog<T>(bytes, file);
      if (torn) {
        await handle.truncate(goodLength);
        await handle.datasync();
      }
      await fsyncDir(dir);
      return new AppendLog<T>(file, handle, goodLength);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  private queue: { bytes: Buffer; kind: string; sync: boolean; done: (e?: unknown) => void }[] = [];
  private draining = false;

  /**
   * Appends one entry; resolves once it is on disk, rejects (the file cut back) when it could not be.
   * `sync: false` resolves once it is written, unsynced: for an entry whose loss only repeats work
   * that may be repeated (an effect journaled as done is done again); the next synced entry syncs it.
   */
  append(entry: T, options: { sync?: boolean } = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({
        bytes: Buffer.from(encodeLine(entry)),
        kind: String((entry as { t?: unknown }).t ?? 'entry'),
        sync: options.sync ?? true,
        done: (e) => (e ? reject(e) : resolve()),
      });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    while (this.queue.length) {
      const batch = this.queue.splice(0);
      try {
        await this.writeAll(
          Buffer.concat(batch.map((b) => b.bytes)),
          batch.some((b) => b.sync),
        );
        for (const b of batch) faultPoint(`append:${b.kind}`);
        batch.forEach((b) => b.done());
      } catch (e) {
        batch.forEach((b) => b.done(e));
      }
    }
    this.draining = false;
  }

  /** Writes at the end, in as many writes as it takes, then syncs (unless told not to); on failure cuts back to the last whole entry. */
  private async writeAll(bytes: Buffer, sync: boolean): Promise<void> {
    let done = 0;
    try {
      while (done < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, this.length + done);
        if (bytesWritten <= 0) throw Object.assign(new Error('no bytes written to the journal'), { code: 'EIO' });
        done += bytesWritten;
      }
      if (sync) {
        await this.handle.datasync();
        await syncFault();
      }
      this.length += bytes.length;
    } catch (e) {
      await this.handle.truncate(this.length).catch(() => undefined);
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
