import { Transform, TransformCallback } from 'stream';

/** The most a message may hold: far above any request the client sends (a preview's params are a few KB). */
export const maxMessageBytes = 64 * 1024 * 1024;
/** The most a message's header part may hold before its blank line. */
export const maxHeaderBytes = 64 * 1024;

const blankLine = Buffer.from('\r\n\r\n');

/**
 * Passes the stdio byte stream to the message reader unchanged, reading just enough of its framing
 * (a header part, then Content-Length bytes of body) to fail with an error, which the reader
 * reports, where the reader would otherwise wait for good: a Content-Length past
 * `maxMessageBytes` (it buffers until the bytes arrive, which they never do), one that is not a
 * byte count, or a header part that never ends. Once framing is lost the stream cannot be
 * resynchronised, so the server exits and the client restarts it.
 */
export class FramingGuard extends Transform {
  /** The header part read so far, while in a header. */
  private header = Buffer.alloc(0);
  /** Body bytes still to pass before the next header. */
  private body = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.body > 0) {
        const n = Math.min(this.body, chunk.length - at);
        this.body -= n;
        at += n;
        continue;
      }
      const before = this.header.length;
      this.header = Buffer.concat([this.header, chunk.subarray(at)]);
      const end = this.header.indexOf(blankLine, Math.max(0, before - blankLine.length + 1));
      if (end < 0) {
        if (this.header.length > maxHeaderBytes) return done(new Error(`a message's header part runs past ${maxHeaderBytes} bytes without its blank line`));
        break;
      }
      const problem = this.bodyLength(this.header.subarray(0, end).toString('ascii'));
      if (typeof problem === 'string') return done(new Error(problem));
      at += end + blankLine.length - before;
      this.body = problem;
      this.header = Buffer.alloc(0);
    }
    done(null, chunk);
  }

  /** The body's length from the header part, or why it cannot be read; a header without one is the reader's to report. */
  private bodyLength(header: string): number | string {
    const line = header.split('\r\n').find((l) => /^content-length[ \t]*:/i.test(l));
    const value = line?.slice(line.indexOf(':') + 1).trim();
    if (value === undefined) return 0;
    if (!/^[0-9]+$/.test(value)) return `Content-Length value must be a number of bytes, not ${JSON.stringify(value.slice(0, 40))}`;
    const length = Number(value);
    if (length > maxMessageBytes) return `Content-Length ${value} is more than the ${maxMessageBytes / (1024 * 1024)} MB a message may hold`;
    return length;
  }
}
