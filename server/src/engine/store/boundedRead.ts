import * as fs from 'fs';
import { EngineError, ErrorCode } from '../util/errors';

/**
 * Every file we read whole is read through here, with a limit: a file larger than any we write, or
 * one that never ends (`/dev/zero`, a pipe nobody closes), would otherwise grow a buffer until node
 * aborts (`std::bad_alloc`, issue 21). The answer is one line naming what was read and the limit.
 */

export interface ReadLimit {
  /** The most bytes the file may hold. */
  limit: number;
  /** What the file is, for the error: "store file", "--repos-from /dev/zero". */
  what: string;
  /** The error's code (default StoreCorrupt: a store file larger than any the store writes is not ours). */
  code?: ErrorCode;
  /**
   * Only a regular file is read (a store's files): a folder, a device or a pipe is refused before a
   * byte is read, and a pipe's open never waits for a writer. Off for inputs the user names, where
   * `<(cmd)` and `/dev/stdin` are pipes.
   */
  regularOnly?: boolean;
}

const chunk = 1 << 20;

export function sizeText(bytes: number): string {
  return bytes >= 1 << 20 ? `${Math.round(bytes / (1 << 20))} MB` : `${Math.round(bytes / 1024)} KB`;
}

function tooLarge(file: string | undefined, r: ReadLimit): EngineError {
  return new EngineError(r.code ?? 'StoreCorrupt', `${r.what}: more than ${sizeText(r.limit)}, the most it may hold; refused`, undefined, file);
}

/** The bytes of `file`, at most `r.limit` of them; larger is refused without reading the rest. Errors of the file system pass through (ENOENT…). */
export async function readBounded(file: string, r: ReadLimit): Promise<Buffer> {
  const flags = r.regularOnly ? fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) : 'r';
  const handle = await fs.promises.open(file, flags);
  try {
    const stat = await handle.stat();
    if (r.regularOnly && !stat.isFile())
      throw new EngineError(
        r.code ?? 'StoreCorrupt',
        `${r.what}: not a regular file (${stat.isDirectory() ? 'a folder' : 'a device or pipe'}); refused`,
        undefined,
        file,
      );
    // a regular file says its size: a huge (or sparse) one is refused before a byte is read
    if (stat.isFile() && stat.size > r.limit) throw tooLarge(file, r);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(chunk, r.limit + 1 - total);
      const buffer = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buffer, 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > r.limit) throw tooLarge(file, r);
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/** `readBounded` as UTF-8 text. */
export async function readBoundedText(file: string, r: ReadLimit): Promise<string> {
  return (await readBounded(file, r)).toString('utf8');
}

/** A stream's bytes (standard input), at most `r.limit`; past it the stream is let go and the read refused. */
export async function readStreamBounded(stream: NodeJS.ReadableStream & { destroy?: () => void }, r: ReadLimit): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const piece of stream) {
    const b = typeof piece === 'string' ? Buffer.from(piece) : (piece as Buffer);
    total += b.length;
    if (total > r.limit) {
      stream.destroy?.();
      throw tooLarge(undefined, r);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks, total);
}
