import { EngineError } from '../util/errors';
import { GitError, emptyTree, gitRaw, splitZ } from './gitRunner';
import { TreeChange, isEmptyTree, parseRaw } from './trees';
import { decodePath } from '../util/pathBytes';

/**
 * The one diff producer: the unified diff text of every file that differs between two trees, as
 * git itself writes it (`diff-tree -p --full-index`), one process per repo. A plan's inverse
 * diffs, `campaign diff` and the history panel all show text made here, so the same two trees
 * always read the same, in the CLI and in VS Code.
 *
 * The same process prints the raw records (`--raw -z`) before the patches, in the same order: a
 * file's section is found by its place, and its name is the raw record's exact bytes
 * (util/pathBytes.ts), never read back from git's quoted patch header.
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
  let out: Buffer;
  try {
    ({ stdout: out } = await gitRaw(repo, args, { readOnly: true }));
  } catch (e) {
    throw e instanceof GitError ? e.toEngineError() : e;
  }
  if (out.length === 0) return [];
  // -z ends each raw field with NUL and the raw part with an empty one; no field is empty
  const boundary = out.indexOf('\0\0');
  const changes = parseRaw(splitZ(out.subarray(0, boundary + 1)));
  // decoded as names are (util/pathBytes): a line that is not UTF-8 keeps its bytes, and encodePath gives them back
  const sections = cutSections(decodePath(out.subarray(boundary + 2)));
  const patches: FilePatch[] = [];
  let next = 0;
  for (const change of changes) {
    // a type change (file ↔ symlink ↔ submodule) is a deletion and a creation of the same path
    const parts = typeChanged(change) ? 2 : 1;
    const text = sections.slice(next, next + parts).join('');
    next += parts;
    const under = opts.under;
    patches.push({ change: { ...change, ...lineCounts(text) }, text: under === undefined ? text : prefixRenameLines(text, under) });
  }
  if (next !== sections.length) {
    throw new EngineError('Internal', `git diff-tree printed ${sections.length} file diffs for ${changes.length} changes of ${from}..${to}`, repo);
  }
  return patches;
}

/** Only header lines can start with "diff --git ": a hunk's lines start with a space, '+', '-' or a backslash. */
function cutSections(text: string): string[] {
  const starts: number[] = [];
  const re = /^diff --git /gm;
  for (let m = re.exec(text); m; m = re.exec(text)) starts.push(m.index);
  return starts.map((start, i) => text.slice(start, starts[i + 1] ?? text.length));
}

function typeChanged(c: TreeChange): boolean {
  const type = (mode: string | null) => (mode === null ? null : mode.slice(0, -4) || '0');
  return c.kind === 'modified' && c.oldMode !== null && c.newMode !== null && type(c.oldMode) !== type(c.newMode);
}

/**
 * Added and removed lines of a file's text: those of its hunks, not its `---`/`+++` header lines.
 * Read in place, line by line: splitting a hundred thousand files' text made a string per line.
 */
function lineCounts(text: string): { added: number; removed: number; binary: boolean } {
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
  return { added, removed, binary };
}

/**
 * `--src-prefix`/`--dst-prefix` do not reach the `rename from`/`copy to`… header lines, which git
 * writes relative to the repo; without the folder there, the diff would not apply from above it
 * (a rename would be looked for beside it). Only header lines can start this way.
 */
function prefixRenameLines(diff: string, under: string): string {
  return diff.replace(/^((?:rename|copy) (?:from|to) )("?)(.*)$/gm, (_, head: string, quote: string, p: string) => `${head}${quote}${under}/${p}`);
}
