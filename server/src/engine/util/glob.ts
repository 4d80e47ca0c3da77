import { EngineError } from './errors';

/**
 * Path globs for `--path`: `*` matches within one folder, `**` across folders, `?` one character,
 * `[abc]` / `[a-z]` / `[!x]` one of a set, and `\` makes the next character literal (`a\*b.ts` is
 * only that file). A pattern without a slash matches a base name anywhere (like .gitignore); a
 * leading slash anchors it at the repo root; a folder name matches everything below it.
 *
 * Matched here, not by a regular expression: a backtracking regex takes exponential time on
 * patterns like `a*a*a*…c` against a long name (minutes, and the server stuck with it). Each
 * segment is matched by the two-pointer wildcard walk (one resume point, so O(name × pattern)),
 * and `**` over segments is memoised, so no pattern costs more than segments × segments of that.
 */
export function globMatcher(patterns: readonly string[]): (path: string) => boolean {
  if (patterns.length === 0) return () => true;
  const compiled = patterns.map(compile);
  return (p) => {
    const segments = p.split('/');
    return compiled.some((c) => matchSegments(c, segments));
  };
}

type Token = { kind: 'char'; c: string } | { kind: 'any' } | { kind: 'star' } | { kind: 'set'; negate: boolean; items: (string | [string, string])[] };
type Segment = Token[] | 'globstar';

function compile(pattern: string): Segment[] {
  if (pattern.length > 4096) throw new EngineError('Usage', 'a --path pattern is longer than 4096 characters');
  const anchored = pattern.includes('/');
  const body = pattern.replace(/^\/+/, '').replace(/\/+$/, '');
  if (!body) throw new EngineError('Usage', `--path ${JSON.stringify(pattern)} matches nothing`);
  const segments: Segment[] = body
    .split('/')
    .filter((s) => s !== '')
    .map((s) => (s === '**' ? 'globstar' : tokens(s, pattern)));
  // unanchored: a base name anywhere; either way a folder matches what is below it
  return [...(anchored ? [] : (['globstar'] as Segment[])), ...segments, 'globstar'];
}

function tokens(segment: string, pattern: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '\\') {
      if (i + 1 >= segment.length) throw new EngineError('Usage', `--path ${JSON.stringify(pattern)} ends in a lone backslash`);
      out.push({ kind: 'char', c: segment[++i] });
    } else if (c === '*') {
      if (out.at(-1)?.kind !== 'star') out.push({ kind: 'star' }); // ** inside a segment is one *
    } else if (c === '?') out.push({ kind: 'any' });
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) {
        out.push({ kind: 'char', c }); // no closing bracket: a literal [
        continue;
      }
      let body = segment.slice(i + 1, end);
      const negate = body[0] === '!' || body[0] === '^';
      if (negate) body = body.slice(1);
      const items: (string | [string, string])[] = [];
      for (let k = 0; k < body.length; k++) {
        if (body[k + 1] === '-' && k + 2 < body.length) {
          items.push([body[k], body[k + 2]]);
          k += 2;
        } else items.push(body[k]);
      }
      out.push({ kind: 'set', negate, items });
      i = end;
    } else out.push({ kind: 'char', c });
  }
  return out;
}

function one(t: Token, c: string): boolean {
  if (t.kind === 'char') return t.c === c;
  if (t.kind === 'any') return true;
  if (t.kind === 'set') {
    const hit = t.items.some((it) => (typeof it === 'string' ? it === c : c >= it[0] && c <= it[1]));
    return hit !== t.negate;
  }
  return false;
}

/** One name against one segment's tokens: the greedy walk that resumes after the last `*`. */
function matchSegment(ts: Token[], name: string): boolean {
  let t = 0;
  let n = 0;
  let starT = -1;
  let starN = 0;
  while (n < name.length) {
    if (t < ts.length && ts[t].kind === 'star') {
      starT = t++;
      starN = n;
    } else if (t < ts.length && one(ts[t], name[n])) {
      t++;
      n++;
    } else if (starT >= 0) {
      t = starT + 1;
      n = ++starN;
    } else return false;
  }
  while (t < ts.length && ts[t].kind === 'star') t++;
  return t === ts.length;
}

function matchSegments(pattern: Segment[], names: string[]): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (names.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let r: boolean;
    if (i === pattern.length) r = j === names.length;
    else if (pattern[i] === 'globstar') r = go(i + 1, j) || (j < names.length && go(i, j + 1));
    else r = j < names.length && matchSegment(pattern[i] as Token[], names[j]) && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}
