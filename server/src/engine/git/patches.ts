import { EngineError } from '../util/errors';
import { GitError, emptyTree, gitStream, splitZ } from './gitRunner';
import { TreeChange, isEmptyTree, parseRaw } from './trees';
import { decodePath, encodePath } from '../util/pathBytes';

/**
 * The one diff producer: the unified diff text of every file that differs between two trees, as
 * git itself writes it (`diff-tree -p --full-index`), one process per repo. A plan's inverse
 * diffs, `campaign diff` and the history panel all show text made here, so the same two trees
 * always read the same, in the CLI and in VS Code.
 *
 * The same process prints the raw records (`--raw -z`) before the patches, in the same order: a
 * file's section is found by its place, and its name is the raw record's exact bytes
 * (util/pathBytes.ts), never read back from git's quoted patch header.
 *
 * One text is not git's own: an undo that undoes exactly its rollback's files turns the rollback's
 * diffs around (`reversePatch`) instead of asking git for the same blobs the other way: those kept
 * with its verify captures in this process, or those of its evidence pack once `patchMakes` proves them.
 */
export interface FilePatch {
  /** What changed, line counts and binary filled in from the text. */
  change: TreeChange;
  /**
   * The file's part of the diff: from its `diff --git` line up to the next file's. Bytes that are
   * not UTF-8 are lone surrogates (util/pathBytes): `encodePath(text)` is git's output, byte for byte.
   */
  text: string;
}

export interface PatchOptions {
  /** Detect renames (`-M`), as a campaign's history reads; a rollback's files are path by path. */
  renames?: boolean;
  /**
   * A folder to put before every path of the text (`a/<under>/x`, `rename from <under>/x`), so a
   * workspace's repos read, and apply, from the folder above them.
   */
  under?: string;
}

/** Every file that differs from `from` to `to`, in git's order (the text reads as git prints it). */
export async function treePatches(repo: string, from: string, to: string, opts: PatchOptions = {}): Promise<FilePatch[]> {
  if (from === to) return [];
  // git knows the empty tree without storing it; the all-zero id stands for it in our records
  [from, to] = [from, to].map((t) => (isEmptyTree(t) ? emptyTree : t));
  const prefixes = opts.under === undefined ? ['--src-prefix=a/', '--dst-prefix=b/'] : [`--src-prefix=a/${opts.under}/`, `--dst-prefix=b/${opts.under}/`];
  const args = ['diff-tree', '-r', '-z', '--raw', '-p', '--full-index', opts.renames ? '-M' : '--no-renames', '--no-commit-id', ...prefixes, from, to];
  const output = new PatchOutput();
  try {
    await gitStream(repo, args, (chunk) => output.push(chunk), { readOnly: true });
  } catch (e) {
    throw e instanceof GitError ? e.toEngineError() : e;
  }
  const { changes, sections } = output.end();
  const patches: FilePatch[] = [];
  let next = 0;
  for (const change of changes) {
    // a type change (file ↔ symlink ↔ submodule) is a deletion and a creation of the same path
    const parts = typeChanged(change) ? 2 : 1;
    const text = sections.slice(next, next + parts).join('');
    next += parts;
    const under = opts.under;
    // the change is this call's own (parseRaw's): filled in place, not copied (a copy a file at 100,000 files)
    lineCounts(text, change);
    patches.push({ change, text: under === undefined ? text : prefixRenameLines(text, under) });
  }
  if (next !== sections.length) {
    throw new EngineError('Internal', `git diff-tree printed ${sections.length} file diffs for ${changes.length} changes of ${from}..${to}`, repo);
  }
  return patches;
}

const sectionMark = Buffer.from('\ndiff --git ');

/**
 * `diff-tree -z --raw -p` output read as it arrives: the raw records, whole, then each file's
 * diff decoded on its own as soon as the next one starts. Nothing holds the whole output (at a
 * hundred thousand files it was tens of MB, held twice, as bytes and as text).
 */
class PatchOutput {
  private raw: Buffer[] = [];
  private rawDone = false;
  private pending = Buffer.alloc(0);
  private incoming: Buffer[] = [];
  private incomingSize = 0;
  readonly sections: string[] = [];

  push(chunk: Buffer): void {
    if (this.rawDone) return this.patchBytes(chunk);
    // -z ends each raw field with NUL and the raw part with an empty one; no field is empty
    const last = this.raw[this.raw.length - 1];
    const across = last !== undefined && last[last.length - 1] === 0 && chunk[0] === 0;
    const at = across ? -1 : chunk.indexOf('\0\0');
    if (!across && at < 0) return void this.raw.push(chunk);
    this.raw.push(chunk.subarray(0, at + 1));
    this.rawDone = true;
    this.patchBytes(chunk.subarray(at + 2));
  }

  end(): { changes: TreeChange[]; sections: string[] } {
    if (!this.rawDone) return { changes: [], sections: [] };
    this.cut(true);
    return { changes: parseRaw(splitZ(Buffer.concat(this.raw))), sections: this.sections };
  }

  private patchBytes(chunk: Buffer): void {
    this.incoming.push(chunk);
    this.incomingSize += chunk.length;
    // cut when as much has come as is pending: one file's huge diff is searched in linear time
    if (this.incomingSize >= this.pending.length) this.cut(false);
  }

  /** Only header lines can start with "diff --git ": a hunk's lines start with a space, '+', '-' or a backslash. */
  private cut(final: boolean): void {
    const buf = Buffer.concat([this.pending, ...this.incoming]);
    // a mark wholly in what was pending was found by the last cut
    const from = Math.max(0, this.pending.length - sectionMark.length + 1);
    this.incoming = [];
    this.incomingSize = 0;
    let start = 0;
    for (let at = buf.indexOf(sectionMark, from); at >= 0; at = buf.indexOf(sectionMark, at + 1)) {
      this.section(buf, start, at + 1);
      start = at + 1;
    }
    this.pending = buf.subarray(start);
    if (final && this.pending.length) this.section(this.pending, 0, this.pending.length);
  }

  /** Text before the first "diff --git " line is no file's (git prints none). */
  private section(buf: Buffer, start: number, end: number): void {
    // decoded as names are (util/pathBytes): a line that is not UTF-8 keeps its bytes, and encodePath gives them back
    const text = decodePath(buf.subarray(start, end));
    if (this.sections.length || text.startsWith('diff --git ')) this.sections.push(text);
  }
}

function typeChanged(c: TreeChange): boolean {
  const type = (mode: string | null) => (mode === null ? null : mode.slice(0, -4) || '0');
  return c.kind === 'modified' && c.oldMode !== null && c.newMode !== null && type(c.oldMode) !== type(c.newMode);
}

/**
 * Added and removed lines of a file's text: those of its hunks, not its `---`/`+++` header lines,
 * and whether git called it binary. Read in place, line by line: splitting a hundred thousand
 * files' text made a string per line.
 */
export function lineCounts(text: string, into: { added: number; removed: number; binary: boolean }): void {
  let added = 0;
  let removed = 0;
  let binary = false;
  let inHunk = false;
  for (let start = 0; start < text.length;) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    const first = text.charCodeAt(start);
    if (text.startsWith('diff --git ', start)) inHunk = false;
    else if (text.startsWith('@@', start)) inHunk = true;
    else if (!inHunk) binary ||= text.startsWith('Binary files ', start) || (end - start === 16 && text.startsWith('GIT binary patch', start));
    else if (first === 0x2b)
      added++; // '+'
    else if (first === 0x2d) removed++; // '-'
    start = end + 1;
  }
  into.added = added;
  into.removed = removed;
  into.binary = binary;
}

/**
 * `--src-prefix`/`--dst-prefix` do not reach the `rename from`/`copy to`… header lines, which git
 * writes relative to the repo; without the folder there, the diff would not apply from above it
 * (a rename would be looked for beside it). Only header lines can start this way.
 */
function prefixRenameLines(diff: string, under: string): string {
  return diff.replace(/^((?:rename|copy) (?:from|to) )("?)(.*)$/gm, (_, head: string, quote: string, p: string) => `${head}${quote}${under}/${p}`);
}

/**
 * One file's part of `treePatches` (a → b, a/ and b/ prefixes, no renames) turned into b → a without
 * git: for an undo, whose rollback diffed the same two blobs the other way (issue 24, item 2). The
 * header's sides swap (modes, a file made ↔ removed, the index line), each hunk's ranges swap, and
 * removed and added lines trade places, the removed first as git writes them. The hunks are counted
 * against their ranges as they are read. A part this does not know how to turn (a type change's two
 * parts, a binary file made or removed, a rename, a header line it does not know) gives undefined, and
 * the caller asks git. The text applies exactly; where several pairings of lines are equally short it
 * may pair them otherwise than git's own b → a would.
 */
export function reversePatch(text: string): string | undefined {
  if (!text.startsWith('diff --git ') || !text.endsWith('\n')) return undefined;
  const lines = text.slice(0, -1).split('\n');
  const out = [lines[0]];
  let made = false;
  let removed = false;
  let i = 1;
  for (; i < lines.length && !lines[i].startsWith('@@ '); i++) {
    const l = lines[i];
    let m: RegExpExecArray | null;
    if ((m = /^old mode (\d+)$/.exec(l))) {
      const to = /^new mode (\d+)$/.exec(lines[i + 1] ?? '');
      if (!to) return undefined;
      out.push(`old mode ${to[1]}`, `new mode ${m[1]}`);
      i++;
    } else if ((m = /^new file mode (\d+)$/.exec(l))) {
      out.push(`deleted file mode ${m[1]}`);
      made = true;
    } else if ((m = /^deleted file mode (\d+)$/.exec(l))) {
      out.push(`new file mode ${m[1]}`);
      removed = true;
    } else if ((m = /^index ([0-9a-f]+)\.\.([0-9a-f]+)( \d+)?$/.exec(l))) {
      out.push(`index ${m[2]}..${m[1]}${m[3] ?? ''}`);
    } else if (l.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')) {
      const [from, to] = [l.slice(4), lines[i + 1].slice(4)];
      if (made || removed) {
        // the file's name moves to the other side: a/x ↔ b/x, quoted or not
        const named = made ? (from === '/dev/null' ? otherSide(to, 'b', 'a') : undefined) : to === '/dev/null' ? otherSide(from, 'a', 'b') : undefined;
        if (named === undefined) return undefined;
        out.push(...(made ? [`--- ${named}`, '+++ /dev/null'] : ['--- /dev/null', `+++ ${named}`]));
      } else out.push(l, lines[i + 1]);
      i++;
    } else if (l.startsWith('Binary files ') && !made && !removed) {
      out.push(l);
    } else return undefined; // a second part (a type change), rename or copy lines, a binary patch: git's to write
  }
  while (i < lines.length) {
    const h = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/.exec(lines[i]);
    if (!h) return undefined;
    const [oldCount, newCount] = [h[2] === undefined ? 1 : Number(h[2]), h[4] === undefined ? 1 : Number(h[4])];
    out.push(`@@ -${h[3]}${h[4] === undefined ? '' : `,${h[4]}`} +${h[1]}${h[2] === undefined ? '' : `,${h[2]}`} @@${h[5]}`);
    let [olds, news] = [0, 0];
    // a change's lines: what it removes now (git's added) and what it adds (git's removed), each
    // line with the "\ No newline at end of file" that may follow it
    let take: string[] = [];
    let give: string[] = [];
    let last: string[] = out;
    const flush = () => {
      out.push(...take, ...give);
      take = [];
      give = [];
    };
    for (i++; i < lines.length && !lines[i].startsWith('@@ '); i++) {
      const l = lines[i];
      const c = l.charCodeAt(0);
      if (c === 0x2b /* + */) {
        take.push(`-${l.slice(1)}`);
        last = take;
        news++;
      } else if (c === 0x2d /* - */) {
        give.push(`+${l.slice(1)}`);
        last = give;
        olds++;
      } else if (c === 0x5c /* \ */) {
        last.push(l);
      } else if (c === 0x20 /* space */ || l === '') {
        // a context line (empty where diff.suppressBlankEmpty is set)
        flush();
        out.push(l);
        last = out;
        olds++;
        news++;
      } else return undefined;
    }
    flush();
    if (olds !== oldCount || news !== newCount) return undefined;
  }
  return `${out.join('\n')}\n`;
}

/** `b/x` as `a/x` (or `"b/x"` as `"a/x"`): the same name on the other side of a diff. */
function otherSide(name: string, from: string, to: string): string | undefined {
  if (name.startsWith(`${from}/`)) return `${to}${name.slice(1)}`;
  if (name.startsWith(`"${from}/`)) return `"${to}${name.slice(2)}`;
  return undefined;
}

/**
 * Whether `text` (one file's part, as `treePatches` writes it) is exactly the change from the blob
 * `fromId` to the blob `toId` (null: no file), their contents given where the text has hunks: its
 * index line names both, and its hunks, applied to the one's bytes, give the other's, byte for byte.
 * A binary part ("Binary files … differ") claims nothing but its index line. What turned around text
 * read from a store file (an evidence pack) must pass before an undo shows it as its own.
 */
export function patchMakes(text: string, fromId: string | null, toId: string | null, contents: () => { from?: Buffer; to?: Buffer } | undefined): boolean {
  const lines = encodePath(text).toString('latin1').split('\n');
  if (lines.pop() !== '') return false;
  const first = lines.findIndex((l) => l.startsWith('@@ '));
  // the same blob: a mode change, which has no index line and no hunks
  if (fromId === toId) return first < 0 && !lines.some((l) => l.startsWith('index '));
  const zero = '0'.repeat(40);
  const index = lines.find((l) => l.startsWith('index '));
  const ids = index && /^index ([0-9a-f]{40})\.\.([0-9a-f]{40})(?: \d+)?$/.exec(index);
  if (!ids || ids[1] !== (fromId ?? zero) || ids[2] !== (toId ?? zero)) return false;
  if (lines.some((l) => l.startsWith('Binary files '))) return first < 0;
  const given = contents();
  if (!given || (fromId !== null && !given.from) || (toId !== null && !given.to)) return false;
  const from = given.from?.toString('latin1') ?? '';
  const to = given.to?.toString('latin1') ?? '';
  if (first < 0) return from === to;
  // the source's lines, each with its newline (the last may have none)
  const source = from.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const out: string[] = [];
  let at = 0;
  for (let i = first; i < lines.length;) {
    const h = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@/.exec(lines[i]);
    if (!h) return false;
    // a hunk that removes nothing names the line it comes after
    const start = h[2] === '0' ? Number(h[1]) : Number(h[1]) - 1;
    if (start < at || start > source.length) return false;
    out.push(...source.slice(at, start));
    at = start;
    for (i++; i < lines.length && !lines[i].startsWith('@@ '); i++) {
      const l = lines[i];
      if (l.startsWith('\\')) continue;
      const whole = lines[i + 1]?.startsWith('\\') ? l.slice(1) : `${l.slice(1)}\n`;
      if (l === '' || l.startsWith(' ')) {
        if (source[at++] !== (l === '' ? '\n' : whole)) return false;
        out.push(l === '' ? '\n' : whole);
      } else if (l.startsWith('-')) {
        if (source[at++] !== whole) return false;
      } else if (l.startsWith('+')) out.push(whole);
      else return false;
    }
  }
  out.push(...source.slice(at));
  return out.join('') === to;
}
