import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gitRaw } from './gitRunner';
import { RepoLayout } from './repoLayout';

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
export function bytesMayConvert(layout: RepoLayout, paths: readonly string[], config: readonly [string, string | null][]): boolean {
  if (process.env.GIT_ATTR_SOURCE) return true; // attributes from a tree (git 2.40+)
  // one git reads from the index when the file is gone from the disk
  if (paths.some((p) => p === '.gitattributes' || p.endsWith('/.gitattributes'))) return true;
  if (configConverts(config)) return true;
  return attributesFiles(layout, paths).some(exists);
}

/** Every config entry git reads in `root`, in git's order (later wins): key (lower case, as git prints it) and value (null: a bare key). */
export async function configEntries(root: string): Promise<[string, string | null][]> {
  const { stdout } = await gitRaw(root, ['config', '-l', '-z'], { readOnly: true, okCodes: [1] });
  const out: [string, string | null][] = [];
  for (const rec of stdout.toString('utf8').split('\0')) {
    if (!rec) continue;
    const nl = rec.indexOf('\n');
    out.push(nl < 0 ? [rec.toLowerCase(), null] : [rec.slice(0, nl).toLowerCase(), rec.slice(nl + 1)]);
  }
  return out;
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

/** Every file git could read attributes from for `paths`: one `.gitattributes` per folder they are in, and the repo, user and system files. */
function attributesFiles(layout: RepoLayout, paths: readonly string[]): Buffer[] {
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
  const folders = new Set<string>(['']);
  for (const p of paths) {
    for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) folders.add(p.slice(0, i + 1));
  }
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
