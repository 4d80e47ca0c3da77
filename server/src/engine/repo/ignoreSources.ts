import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RepoLayout } from '../git/repoLayout';
import { treeContent, writeLooseObject } from '../git/looseObjects';

/**
 * The ignore rules of a repo that live outside its worktree, and so outside any tree a capture
 * records: `info/exclude` and `core.excludesFile` (by default `$XDG_CONFIG_HOME/git/ignore` or
 * `~/.config/git/ignore`). A campaign can change them (a command that edits `.git/info/exclude`),
 * and a rollback must know what they ignored at its target: the files they ignored then are the
 * user's, not the campaign's, whatever ignores them now.
 */

/** Names of the two files in a recorded rules tree. */
export const excludeName = 'exclude';
export const excludesFileName = 'excludesFile';

/**
 * The rules as they are, written as a tree in the repo's object store (`exclude`, `excludesFile`:
 * each only when it holds a rule). Undefined when neither does: a repo with no such rule records
 * nothing, and its states keep the ids they always had.
 */
export function recordIgnoreRules(layout: RepoLayout, config: readonly [string, string | null][]): string | undefined {
  const objects = path.join(layout.commonDir, 'objects');
  const entries = presentIgnoreRules(layout, config).map(
    ([name, bytes]) => ['100644', name, writeLooseObject(objects, 'blob', bytes)] as [string, string, string],
  );
  return entries.length ? writeLooseObject(objects, 'tree', treeContent(entries)) : undefined;
}

/** The rules files as they are now, by their name in a recorded tree, each only when it holds a rule. */
export function presentIgnoreRules(layout: RepoLayout, config: readonly [string, string | null][]): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  for (const [name, file] of [
    [excludeName, path.join(layout.commonDir, 'info', 'exclude')],
    [excludesFileName, excludesFilePath(layout.root, config)],
  ] as const) {
    const bytes = file === undefined ? undefined : readRules(file);
    if (bytes) out.push([name, bytes]);
  }
  return out;
}

/** The file `core.excludesFile` names as git reads it (the last setting; `~/` is the home folder), or its default. */
function excludesFilePath(root: string, config: readonly [string, string | null][]): string | undefined {
  const set = config.filter(([k]) => k === 'core.excludesfile').pop();
  const home = process.env.HOME || os.homedir();
  if (!set) return path.join(process.env.XDG_CONFIG_HOME || path.join(home, '.config'), 'git', 'ignore');
  const value = set[1];
  if (!value) return undefined;
  if (value === '~' || value.startsWith('~/')) return path.join(home, value.slice(1));
  return path.resolve(root, value);
}

/** A rules file's bytes when it holds at least one rule (not only blank lines and comments). */
function readRules(file: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return undefined; // none, or not a file: git reads no rule from it either
  }
  return bytes
    .toString('latin1')
    .split('\n')
    .some((l) => l.trim() !== '' && !l.startsWith('#'))
    ? bytes
    : undefined;
}
