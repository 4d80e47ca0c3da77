import * as crypto from 'crypto';

/**
 * Canonical JSON: object keys sorted, no whitespace, `undefined` fields dropped. Two values with
 * the same content always give the same bytes, so their hash can serve as an id.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export function sha256(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

export function randomHex(bytes: number): string {
  return crypto.randomBytes(bytes).toString('hex');
}

/**
 * Whether `value` is taken whole: a primitive, or an object or array whose members are primitives
 * or arrays of them (one file's entry, a repo state). Anything larger is walked member by member,
 * so no piece is larger than one such value.
 */
export function smallJson(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  const members = Array.isArray(value) ? (value as unknown[]) : Object.values(value as object);
  return members.every((m) => m === null || typeof m !== 'object' || (Array.isArray(m) && m.every((x) => x === null || typeof x !== 'object')));
}

/**
 * `sha256(canonicalJson(value))`, hashing one small value at a time: a plan or a pack of a hundred
 * thousand files is never held as one string (nor as the hundred thousand pieces it is joined from).
 */
export function canonicalSha256(value: unknown): string {
  const hash = crypto.createHash('sha256');
  let pending: string[] = [];
  let size = 0;
  canonicalTo(value, (s) => {
    pending.push(s);
    size += s.length;
    if (size < 1 << 16) return;
    hash.update(pending.join(''));
    pending = [];
    size = 0;
  });
  hash.update(pending.join(''));
  return hash.digest('hex');
}

function canonicalTo(value: unknown, emit: (s: string) => void): void {
  if (smallJson(value)) {
    emit(canonicalJson(value));
  } else if (Array.isArray(value)) {
    emit('[');
    value.forEach((v, i) => {
      if (i) emit(',');
      canonicalTo(v === undefined ? null : v, emit);
    });
    emit(']');
  } else {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    emit('{');
    keys.forEach((k, i) => {
      emit(`${i ? ',' : ''}${JSON.stringify(k)}:`);
      canonicalTo(o[k], emit);
    });
    emit('}');
  }
}
