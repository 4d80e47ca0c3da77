import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { asEngineError } from '../../util/errors';
import { encodePath, fsPath } from '../../util/pathBytes';
import { gitRaw, splitZ } from '../../git/gitRunner';
import { readObjects } from '../../git/objectReader';
import { repoLayout } from '../../git/repoLayout';
import { excludeName, excludesFileName, presentIgnoreRules } from '../../repo/ignoreSources';
import { configEntries } from '../../git/conversion';
import { RepoState } from '../../repo/repoState';
import { buildTree, listTree } from '../../git/trees';
import { FileOp } from './fileOps';

/**
 * Which of `paths` a state's ignore rules ignore, each with the file whose rule does (a
 * `.gitignore` by its path, `.git/info/exclude` or `core.excludesFile`): its tree's `.gitignore` files, with `info/exclude`
 * and `core.excludesFile` as the state recorded them (`rules`, a tree of repo/ignoreSources.ts), or
 * as the repo has them now when `rules` is undefined (a state that recorded none, or one captured
 * before they were recorded). A rollback must not delete what its target ignored: a `.env` that a
 * campaign un-ignored by editing a `.gitignore`, a `local-secrets.txt` by editing `info/exclude`.
 *
 * Git answers the question (`check-ignore --no-index`) against a scratch work tree holding only
 * the tree's `.gitignore` files at their paths, so the rules are git's exactly; recorded rules go
 * in a scratch git dir of their own, so the repo's present ones play no part.
 */
export async function ignoredUnder(repo: string, tree: string, paths: readonly string[], rules?: string): Promise<Map<string, string>> {
  if (paths.length === 0) return new Map();
  let scratch: string | undefined;
  try {
    const [entries, recorded] = await Promise.all([listTree(repo, tree), rules ? listTree(repo, rules) : []]);
    const gitignores = entries.filter((e) => e.type === 'blob' && path.posix.basename(e.path) === '.gitignore');
    const blobs = await readObjects(
      repo,
      [...gitignores, ...recorded].map((r) => r.id),
    );
    const texts = [...gitignores, ...recorded].map((r) => blobs.get(r.id)?.content ?? Buffer.alloc(0));
    if (!rules) texts.push(...presentIgnoreRules(await repoLayout(repo), await configEntries(repo)).map(([, bytes]) => bytes));
    if (!mayIgnore(texts, paths)) return new Map();
    scratch = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'codecontext-ignore-'));
    const work = path.join(scratch, 'work');
    await fs.promises.mkdir(work);
    for (const r of gitignores) {
      const file = fsPath(work, r.path);
      const dir = r.path.includes('/') ? fsPath(work, r.path.slice(0, r.path.lastIndexOf('/'))) : work;
      await fs.promises.mkdir(dir, { recursive: true });
      await fs.promises.writeFile(file, blobs.get(r.id)?.content ?? Buffer.alloc(0));
    }
    const gitDir = rules ? await scratchGitDir(scratch, recorded, blobs) : (await repoLayout(repo)).gitDir;
    // recorded rules stand for core.excludesFile too: a missing file is no rule, as git reads it
    const excludes = rules ? ['-c', `core.excludesFile=${path.join(gitDir, excludesFileName)}`] : [];
    // run from the scratch work tree, so the paths are read relative to it
    const { stdout } = await gitRaw(work, [`--git-dir=${gitDir}`, `--work-tree=${work}`, ...excludes, 'check-ignore', '--no-index', '-v', '-z', '--stdin'], {
      input: Buffer.concat(paths.map((p) => Buffer.concat([encodePath(p), Buffer.from([0])]))),
      okCodes: [1],
      readOnly: true,
    });
    // -v: source, line, pattern, path per match; a match of a negated pattern ("!x") is a path it un-ignores
    const fields = splitZ(stdout);
    const ignored = new Map<string, string>();
    for (let i = 0; i + 3 < fields.length; i += 4) {
      const [source, , pattern, p] = fields.slice(i, i + 4);
      if (pattern.startsWith('!')) continue;
      ignored.set(p, !path.isAbsolute(source) ? source : source === path.join(gitDir, 'info', 'exclude') ? '.git/info/exclude' : 'core.excludesFile');
    }
    return ignored;
  } catch (e) {
    throw asEngineError(e, repo);
  } finally {
    if (scratch) await fs.promises.rm(scratch, { recursive: true, force: true });
  }
}

/**
 * False only when no rule in `texts` (ignore files' bytes) could ignore any of `paths`, so the
 * question need not go to git: the usual rollback deletes files no rule names. Conservative, never
 * git's answer itself: a rule's last part, wildcards read loosely and case ignored, is tried against
 * every part of every path (a rule ignores a path when it matches the path or a folder above it,
 * and what matches ends in the rule's last part); a rule it cannot read so (an escape, a `**` at
 * the end) could match anything. Negated rules only un-ignore, and are passed over.
 */
export function mayIgnore(texts: readonly Buffer[], paths: readonly string[]): boolean {
  const lasts: RegExp[] = [];
  for (const text of texts) {
    for (let line of text.toString('latin1').split('\n')) {
      // git trims trailing spaces (and some builds a CR): tried with and without, below
      line = line.replace(/[ \t\r]+$/, '');
      if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
      if (line.includes('\\')) return true;
      const parts = line.split('/').filter((p) => p !== '');
      const last = parts[parts.length - 1];
      if (last === undefined || last === '**') return true;
      const source = globPart(last);
      if (source === undefined) return true;
      lasts.push(new RegExp(`^${source}[ \\t\\r]*$`, 'is'));
    }
  }
  if (lasts.length === 0) return false;
  // names are compared as the Latin-1 strings of their bytes, as the rules were read
  const parts = new Set<string>();
  for (const p of paths) for (const part of encodePath(p).toString('latin1').split('/')) parts.add(part);
  for (const part of parts) for (const re of lasts) if (re.test(part)) return true;
  return false;
}

/** A regex source matching at least what one part of a wildmatch pattern matches; undefined when a bracket cannot be read so. */
function globPart(part: string): string | undefined {
  let out = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i];
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      // `[!…]`, `[^…]`, and a `]` first in the class is one of its characters
      let from = i + 1;
      if (part[from] === '!' || part[from] === '^') from++;
      if (part[from] === ']') from++;
      const close = part.indexOf(']', from);
      // unclosed, or a class within (`[[:alpha:]]`): read as anything
      if (close < 0 || part.slice(i + 1, close).includes('[')) return undefined;
      out += '[^/]';
      i = close;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return out;
}

/** A git dir with nothing but what git needs to call it one, and the recorded rules: `info/exclude`, and the excludes file beside it. */
async function scratchGitDir(
  scratch: string,
  recorded: readonly { path: string; id: string }[],
  blobs: ReadonlyMap<string, { content: Buffer } | undefined>,
): Promise<string> {
  const gitDir = path.join(scratch, 'git');
  await fs.promises.mkdir(path.join(gitDir, 'info'), { recursive: true });
  await fs.promises.mkdir(path.join(gitDir, 'objects'));
  await fs.promises.mkdir(path.join(gitDir, 'refs'));
  await fs.promises.writeFile(path.join(gitDir, 'HEAD'), 'ref: refs/heads/main\n');
  for (const r of recorded) {
    const to = r.path === excludeName ? path.join(gitDir, 'info', 'exclude') : r.path === excludesFileName ? path.join(gitDir, excludesFileName) : undefined;
    if (to) await fs.promises.writeFile(to, blobs.get(r.id)?.content ?? Buffer.alloc(0));
  }
  return gitDir;
}

/**
 * The files `ops` would delete that the target's ignore rules ignore (its `.gitignore` files, its
 * recorded `info/exclude` and `core.excludesFile`), and the goal that keeps them: one the rules
 * after the rollback (the goal's `.gitignore` files, the repo's other rules as they are now) still
 * do not ignore would show in the next capture, so the goal's worktree holds it as it is now.
 */
export async function keptIgnored(
  repo: string,
  ops: readonly FileOp[],
  target: RepoState,
  goal: RepoState,
  worktreeIndex: string,
): Promise<{ paths: Map<string, string>; goal: RepoState } | undefined> {
  const deletes = ops.filter((o) => o.action === 'delete');
  if (deletes.length === 0) return undefined;
  const paths = await ignoredUnder(
    repo,
    target.worktree,
    deletes.map((o) => o.path),
    target.ignoreRules,
  );
  if (paths.size === 0) return undefined;
  const hidden = await ignoredUnder(repo, goal.worktree, [...paths.keys()]);
  const seen = deletes.filter((o) => paths.has(o.path) && !hidden.has(o.path));
  if (seen.length === 0) return { paths, goal };
  const worktree = await buildTree(
    repo,
    worktreeIndex,
    { tree: goal.worktree },
    seen.map((o) => ({ path: o.path, entry: { mode: o.fromMode!, id: o.fromBlob! } })),
  );
  return { paths, goal: { ...goal, worktree } };
}
