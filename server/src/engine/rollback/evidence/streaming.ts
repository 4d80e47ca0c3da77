import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { canonicalSha256, randomHex, smallJson } from '../../util/canonical';
import { publishAtomic } from '../../store/store';

export { canonicalSha256 };

/**
 * A pack's large files written in pieces: a rollback of a hundred thousand files has a patch file,
 * a page and a JSON list of that many entries, and building each as one string (and again for its
 * hash, and again indented) is what held gigabytes. Each writer here gives the same bytes, and the
 * same hash, as its whole-string counterpart: `canonicalSha256(v)` is `sha256(canonicalJson(v))`,
 * `prettyJsonChunks(v)` joined is `JSON.stringify(v, null, 2)`.
 */

/** Bytes gathered before a write: few system calls, little held. */
const writeBatch = 1 << 20;

/**
 * Writes the pieces to `file` as `writeFileAtomic` does (temporary file, fsync, rename, fsync of
 * the folder) and returns the sha256 of the bytes written. A piece that throws leaves no file.
 */
export async function writeChunksAtomic(
  file: string,
  chunks: Iterable<string>,
  encode: (text: string) => Buffer = (t) => Buffer.from(t, 'utf8'),
): Promise<string> {
  const dir = path.dirname(file);
  await fs.promises.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${randomHex(4)}.tmp`);
  const hash = crypto.createHash('sha256');
  const handle = await fs.promises.open(temp, 'w');
  try {
    let pending: string[] = [];
    let size = 0;
    const flush = async () => {
      const bytes = encode(pending.join(''));
      pending = [];
      size = 0;
      hash.update(bytes);
      await handle.write(bytes);
    };
    for (const c of chunks) {
      pending.push(c);
      size += c.length;
      if (size >= writeBatch) await flush();
    }
    await flush();
    await handle.sync();
  } catch (e) {
    await handle.close();
    await fs.promises.rm(temp, { force: true });
    throw e;
  }
  await handle.close();
  await publishAtomic(temp, file);
  return hash.digest('hex');
}

/**
 * `JSON.stringify(value, null, 2)` in pieces: what `smallJson` takes whole is stringified whole and
 * indented to its depth, the rest walked. For JSON data: plain objects, arrays, strings, numbers,
 * booleans and null (no `toJSON`).
 */
export function* prettyJsonChunks(value: unknown, indent = ''): Generator<string> {
  const inner = indent + '  ';
  if (smallJson(value)) {
    yield indented(value, indent);
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      yield `${i ? ',' : '['}\n${inner}`;
      yield* prettyJsonChunks(v === undefined || typeof v === 'function' || typeof v === 'symbol' ? null : v, inner);
    }
    yield `\n${indent}]`;
  } else {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined && typeof o[k] !== 'function' && typeof o[k] !== 'symbol');
    if (keys.length === 0) return void (yield '{}');
    for (const [i, k] of keys.entries()) {
      yield `${i ? ',' : '{'}\n${inner}${JSON.stringify(k)}: `;
      yield* prettyJsonChunks(o[k], inner);
    }
    yield `\n${indent}}`;
  }
}

/** One value as `JSON.stringify(v, null, 2)` gives it, its lines indented to `indent`: JSON text has no raw newline but between tokens. */
function indented(value: unknown, indent: string): string {
  const text = JSON.stringify(value === undefined || typeof value === 'function' || typeof value === 'symbol' ? null : value, null, 2);
  return indent ? text.replace(/\n/g, `\n${indent}`) : text;
}

/**
 * Where each member of a JSON object's text starts and ends, found without parsing the members
 * (a pack's `repos` of 100,000 files is skipped, not built); throws on text that is not one object.
 */
export function jsonMembers(bytes: Buffer): Map<string, [number, number]> {
  const members = new Map<string, [number, number]>();
  const space = (i: number) => {
    while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
    return i;
  };
  const expect = (i: number, byte: number) => {
    if (bytes[i] !== byte) throw new Error(`expected ${String.fromCharCode(byte)} at ${i}`);
    return i + 1;
  };
  // the end of the string starting at i (bytes of a UTF-8 character are never a quote or a backslash)
  const stringEnd = (i: number) => {
    for (let j = expect(i, 0x22); j < bytes.length; j++) {
      if (bytes[j] === 0x5c) j++;
      else if (bytes[j] === 0x22) return j + 1;
    }
    throw new Error('unterminated string');
  };
  const valueEnd = (i: number) => {
    const first = bytes[i];
    if (first === 0x22) return stringEnd(i);
    if (first !== 0x7b && first !== 0x5b) {
      let j = i;
      while (j < bytes.length && !',}] \n\r\t'.includes(String.fromCharCode(bytes[j]))) j++;
      if (j === i) throw new Error(`no value at ${i}`);
      return j;
    }
    let depth = 0;
    for (let j = i; j < bytes.length;) {
      const b = bytes[j];
      if (b === 0x22) {
        j = stringEnd(j);
        continue;
      }
      if (b === 0x7b || b === 0x5b) depth++;
      else if (b === 0x7d || b === 0x5d) depth--;
      j++;
      if (depth === 0) return j;
    }
    throw new Error('unterminated value');
  };
  let i = expect(space(0), 0x7b);
  i = space(i);
  if (bytes[i] === 0x7d) i++;
  else {
    for (;;) {
      const keyEnd = stringEnd(i);
      const key = JSON.parse(bytes.toString('utf8', i, keyEnd)) as string;
      const start = space(expect(space(keyEnd), 0x3a));
      const end = valueEnd(start);
      members.set(key, [start, end]);
      i = space(end);
      if (bytes[i] === 0x2c) i = space(i + 1);
      else {
        i = expect(i, 0x7d);
        break;
      }
    }
  }
  if (space(i) !== bytes.length) throw new Error('text after the object');
  return members;
}
