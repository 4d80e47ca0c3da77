import { isUtf8 } from 'buffer';
import * as path from 'path';

/**
 * File names are bytes, not text: git stores whatever bytes a name has, and a name that is not
 * UTF-8 (Latin-1 from an old system, a stray byte) must come back as exactly those bytes. The
 * engine carries names as strings that keep every byte: valid UTF-8 decodes as usual, and each
 * byte of an invalid sequence becomes a lone surrogate U+DC80–U+DCFF (what Python calls
 * surrogateescape). No valid UTF-8 name decodes to a lone surrogate, so the two never mix up,
 * and JSON keeps lone surrogates as `\udcXX`. `encodePath` gives the bytes back; `fsPath` is the
 * name to hand to `fs`; `showPath` is the name for people, with odd bytes as `\xNN`.
 */

const rawByte = /[\udc80-\udcff]/;
const anySurrogate = /[\ud800-\udfff]/;

export function decodePath(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const n = validSequence(bytes, i);
    if (n > 0) {
      out += bytes.toString('utf8', i, i + n);
      i += n;
    } else {
      out += String.fromCharCode(0xdc00 + bytes[i]);
      i++;
    }
  }
  return out;
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there starts none. */
function validSequence(b: Buffer, i: number): number {
  const c = b[i];
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k] >= lo && b[i + k] <= hi;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0; // not a UTF-16 surrogate
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

export function encodePath(name: string): Buffer {
  if (!anySurrogate.test(name)) return Buffer.from(name, 'utf8');
  const parts: Buffer[] = [];
  let text = '';
  for (const ch of name) {
    const code = ch.charCodeAt(0);
    if (ch.length === 1 && code >= 0xdc80 && code <= 0xdcff) {
      if (text) parts.push(Buffer.from(text, 'utf8'));
      text = '';
      parts.push(Buffer.from([code - 0xdc00]));
    } else {
      text += ch;
    }
  }
  if (text) parts.push(Buffer.from(text, 'utf8'));
  return Buffer.concat(parts);
}

/** True when the name holds bytes that are not UTF-8 (and must reach `fs` as a Buffer). */
export function hasRawBytes(name: string): boolean {
  return rawByte.test(name);
}

/** `root` joined with the repo-relative `rel`, as a string when it is plain text, else as bytes. */
export function fsPath(root: string, rel: string): string | Buffer {
  if (!hasRawBytes(rel)) return rel ? path.join(root, rel) : root;
  return Buffer.concat([Buffer.from(root.endsWith(path.sep) ? root : root + path.sep, 'utf8'), encodePath(rel)]);
}

/** A name for a terminal or a message: odd bytes as `\xNN`, control characters escaped, so one name is one line. */
export function showPath(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\udc80-\udcff]|[\x00-\x1f\x7f]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code >= 0xdc80) return `\\x${(code - 0xdc00).toString(16)}`;
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    return `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

/** A name as git writes it in a patch header: as it is, or quoted with C escapes (odd bytes in octal) when it needs them. */
export function quotePatchName(name: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[\udc80-\udcff\x00-\x1f\x7f"\\]/.test(name)) return name;
  let out = '';
  for (const c of name) {
    const code = c.charCodeAt(0);
    if (c.length === 1 && code >= 0xdc80 && code <= 0xdcff) out += `\\${(code - 0xdc00).toString(8).padStart(3, '0')}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '"' || c === '\\') out += `\\${c}`;
    else if (code < 0x20 || code === 0x7f) out += `\\${code.toString(8).padStart(3, '0')}`;
    else out += c;
  }
  return `"${out}"`;
}
