import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { environment, gitRaw } from './gitRunner';
import { RepoLayout, repoLayout } from './repoLayout';

/**
 * Whether git could convert a file's bytes between the disk and the object store: clean and
 * smudge filters, line-ending settings, `ident`, `working-tree-encoding`. When it cannot (the
 * usual case), the blobs `git add` writes are the disk bytes, and a capture needs nothing more.
 *
 * Every conversion but `core.autocrlf` needs an attribute, so the question is: does any setting
 * convert, and is there any attributes file git would read for these paths? Config comes from git
 * itself (`git config -l`), so every source counts as git counts it, the user's environment
 * included (`GIT_CONFIG_GLOBAL`, `GIT_CONFIG_COUNT`…, includes): the same logic with or without
 * such variables. Attributes files are looked for on disk, wherever git reads them: any folder
 * holding a path (tracked, untracked or ignored, git reads them all), `info/attributes`,
 * `core.attributesFile` or its default, the system file.
 */

/**
 * True when something in config or attributes could make git store other bytes than the file
 * holds. `paths`: every path of the capture (worktree and index; names as Latin-1 strings of their
 * bytes); `config`: `configEntries` of the repo. Read conservatively: on any doubt, true.
 */
export function bytesMayConvert(layout: RepoLayout, paths: Iterable<string>, config: readonly [string, string | null][]): boolean {
  if (process.env.GIT_ATTR_SOURCE) return true; // attributes from a tree (git 2.40+)
  const folders = pathFolders(paths);
  // one git reads from the index when the file is gone from the disk
  if (folders === 'attributes') return true;
  if (configConverts(config)) return true;
  return attributesFiles(layout, folders).some(exists);
}

/** A path (posix, relative to the worktree) of an attributes file git reads. */
export function isAttributesFile(p: string): boolean {
  return p === '.gitattributes' || p.endsWith('/.gitattributes');
}

/**
 * The folders holding `paths` ('' the root, the others with their '/'), or 'attributes' when a
 * path is a `.gitattributes`. Paths in index order share their folder with the one before, so
 * a folder's ancestors are walked only where the folder changes: at 100,000 paths, slicing every
 * ancestor of every path was the largest Node cost of a capture (issue 24, item 4).
 */
function pathFolders(paths: Iterable<string>): Set<string> | 'attributes' {
  const folders = new Set<string>(['']);
  let last = '';
  for (const p of paths) {
    if (isAttributesFile(p)) return 'attributes';
    const slash = p.lastIndexOf('/');
    if (slash < 0 || (slash + 1 === last.length && p.startsWith(last))) continue;
    last = p.slice(0, slash + 1);
    for (let i = p.indexOf('/'); i >= 0 && i <= slash; i = p.indexOf('/', i + 1)) folders.add(p.slice(0, i + 1));
  }
  return folders;
}

/**
 * Every config entry git reads in `root`, in git's order (later wins): key (lower case, as git
 * prints it) and value (null: a bare key). Asked of git once, then kept while every file the answer
 * came from, and every file that could join it, is unchanged (see `ConfigCache`): a rollback
 * captures each repo three times, an undo three more, and a process each was a third of a capture's.
 */
export async function configEntries(root: string): Promise<[string, string | null][]> {
  const key = `${root}\0${configEnvironment()}`;
  const kept = configCache.get(key);
  if (kept && kept.files.every(([file, sig]) => fileSignature(file) === sig)) return kept.entries;
  const started = Date.now();
  const { stdout } = await gitRaw(root, ['config', '-l', '-z', '--show-origin'], { readOnly: true, okCodes: [1] });
  const entries: [string, string | null][] = [];
  const origins: string[] = [];
  const fields = stdout.toString('utf8').split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [origin, rec] = [fields[i], fields[i + 1]];
    const nl = rec.indexOf('\n');
    entries.push(nl < 0 ? [rec.toLowerCase(), null] : [rec.slice(0, nl).toLowerCase(), rec.slice(nl + 1)]);
    origins.push(origin);
  }
  const files = await configFiles(root, entries, origins);
  if (files) {
    const signed = files.map((f) => [f, fileSignature(f)] as [string, string]);
    // a file changed in the moments around the read could change again with the same signature
    // (timestamps are coarse): kept only once it is older than that, as git treats a racy index
    if (signed.every(([, sig]) => !/^\d/.test(sig) || Number(sig.split(':')[3]) < (started - 2000) * 1e6)) {
      if (configCache.size >= 10000) configCache.clear();
      configCache.set(key, { entries, files: signed });
    }
  }
  return entries;
}

/** A config answer and the signature of each file it depends on (`none`: absent). */
interface ConfigCache {
  entries: [string, string | null][];
  files: [string, string][];
}
const configCache = new Map<string, ConfigCache>();

/**
 * What in git's environment (gitRunner's, taken once: a later change of process.env reaches no git
 * of ours) chooses its config files or adds entries: part of the cache key, worked out once.
 */
function configEnvironment(): string {
  return (envKey ??= Object.entries(environment())
    .filter(([k]) => k.startsWith('GIT_') || k === 'HOME' || k === 'XDG_CONFIG_HOME')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('\0'));
}
let envKey: string | undefined;

/**
 * Every file git's answer in `root` depends on: the files the entries came from, every file git
 * would read were it there (system, user, repo, worktree), and every include's target. Undefined
 * when the answer could change with no file changing: an include conditioned on the branch or on
 * another repo's config.
 */
async function configFiles(root: string, entries: readonly [string, string | null][], origins: readonly string[]): Promise<string[] | undefined> {
  const layout = await repoLayout(root).catch(() => undefined);
  const env = environment();
  const home = env.HOME || os.homedir();
  const files = new Set<string>([
    '/etc/gitconfig',
    '/usr/local/etc/gitconfig',
    path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'git', 'config'),
    path.join(home, '.gitconfig'),
    ...['GIT_CONFIG_SYSTEM', 'GIT_CONFIG_GLOBAL'].flatMap((k) => (env[k] ? [path.resolve(env[k]!)] : [])),
    ...(layout ? [path.join(layout.commonDir, 'config'), path.join(layout.gitDir, 'config.worktree'), path.join(layout.commonDir, 'config.worktree')] : []),
  ]);
  if (!layout) return undefined; // not a repo now: nothing worth keeping
  for (let i = 0; i < entries.length; i++) {
    const origin = origins[i];
    if (origin.startsWith('file:')) files.add(path.resolve(root, origin.slice(5)));
    const [k, v] = entries[i];
    const include = /^include(?:if\.(.*))?\.path$/.exec(k);
    if (!include) continue;
    if (include[1] !== undefined && !/^gitdir(?:\/i)?:/.test(include[1])) return undefined;
    if (!v || !origin.startsWith('file:')) return undefined;
    const target = v === '~' || v.startsWith('~/') ? path.join(home, v.slice(1)) : path.resolve(path.dirname(path.resolve(root, origin.slice(5))), v);
    files.add(target);
  }
  return [...files];
}

/** A file's identity and last change as stat gives them, following symlinks as git does; `none` when there is nothing to read. */
function fileSignature(file: string): string {
  try {
    const st = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
    return st ? `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.dev}` : 'none';
  } catch (e) {
    // a folder in the way (ENOTDIR), no permission…: whatever it is, a change of it is a change
    return `error:${(e as NodeJS.ErrnoException).code}`;
  }
}

const falsy = ['false', 'no', 'off', '0', ''];

/**
 * True when the settings (in git's order) could convert bytes or name attributes: autocrlf on,
 * any eol, any filter, an attributes file named, attributes from a tree, symlinks off.
 */
export function configConverts(entries: readonly [string, string | null][]): boolean {
  const last = new Map<string, string | null>();
  for (const [k, v] of entries) {
    if (k.startsWith('filter.') || k.startsWith('attr.')) return true;
    last.set(k, v);
  }
  const on = (k: string) => last.has(k) && !falsy.includes((last.get(k) ?? 'true').trim().toLowerCase());
  if (on('core.autocrlf')) return true;
  if (last.has('core.symlinks') && !on('core.symlinks')) return true;
  return ['core.eol', 'core.attributesfile', 'core.checkroundtripencoding'].some((k) => last.has(k));
}

/** Every file git could read attributes from: one `.gitattributes` per folder (pathFolders), and the repo, user and system files. */
function attributesFiles(layout: RepoLayout, folders: ReadonlySet<string>): Buffer[] {
  const home = process.env.HOME || os.homedir();
  const files = [
    path.join(layout.commonDir, 'info', 'attributes'),
    path.join(layout.gitDir, 'info', 'attributes'),
    // core.attributesFile's default (an explicit one is a setting, above), under either base
    ...(process.env.XDG_CONFIG_HOME ? [path.join(process.env.XDG_CONFIG_HOME, 'git', 'attributes')] : []),
    path.join(home, '.config', 'git', 'attributes'),
    // the system file is $(prefix)/etc/gitattributes: the usual prefixes
    '/etc/gitattributes',
    '/usr/local/etc/gitattributes',
  ].map((f) => Buffer.from(f));
  // names are bytes: a Buffer path, so a folder whose name is not UTF-8 is looked in too
  const root = Buffer.from(layout.root + path.sep);
  for (const f of folders) files.push(Buffer.concat([root, Buffer.from(`${f}.gitattributes`, 'latin1')]));
  return files;
}

/** Anything at the name, even a broken symlink or a folder: doubt counts as there. */
function exists(file: Buffer): boolean {
  try {
    // no exception for a missing file: thousands of folders are looked in, and throwing costs more than the look
    return fs.lstatSync(file, { throwIfNoEntry: false }) !== undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOTDIR';
  }
}
