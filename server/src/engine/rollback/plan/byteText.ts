import { decodePath } from '../../util/pathBytes';

/**
 * A file's bytes as text the diff library can merge, one character per byte (Latin-1), so any
 * bytes come back as they were: UTF-8 would turn every byte of an invalid sequence into U+FFFD
 * and write that back in place of the user's bytes. Line ends (0x0A) are the same byte in either.
 */
export function asText(bytes: Buffer): string {
  return bytes.toString('latin1');
}

/** The bytes of text made by `asText` and merging; undefined when it holds a character no byte stands for. */
export function asBytes(text: string): Buffer | undefined {
  // eslint-disable-next-line no-control-regex
  return /[^\u0000-\u00ff]/.test(text) ? undefined : Buffer.from(text, 'latin1');
}

/**
 * Text made by `asText`, for people: UTF-8 read as UTF-8 (not `cafÃ©`), and each byte that is
 * not part of valid UTF-8 kept as the lone surrogate util/pathBytes uses for it, so nothing is lost.
 */
export function shownText(text: string): string {
  return decodePath(Buffer.from(text, 'latin1'));
}
