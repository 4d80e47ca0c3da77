import * as fs from 'fs';
import * as path from 'path';
import { EngineError } from '../util/errors';
import { git, gitRaw, splitZ } from '../git/gitRunner';
import { gate } from '../util/pool';
import { repoLayout } from '../git/repoLayout';

/** A working copy found under the workspace roots. */
export interface DiscoveredRepo {
  path: string;
  /** `repo`: top level; `nested`: inside another repo's worktree; `submodule`: a registered submodule of `parent`. */
  kind: 'repo' | 'nested' | 'submodule';
  parent?: string;
}

export interface DiscoverOptions {
  /** Folder levels below a root that are searched; the default finds repos in a tree of folders. */
  maxDepth?: number;
}

const discoveryWidth = 4;

/** Folders never searched: git's own data, and dependency trees that are ignored everywhere. */
const neverSearched = new Set(['.git', 'node_modules']);

/**
 * Every git working copy at or below the roots. Ignored folders of a repo are not searched (asked
 * of git once per repo), symlinks are not followed, and a root inside a repo means that repo.
 * Nested repos and submodules are listed as such, so the caller never mixes their files with
 * their parent's.
 */
export async function discoverRepos(roots: readonly string[], options: DiscoverOptions = {}): Promise<DiscoveredRepo[]> {
  const maxDepth = options.maxDepth ?? 6;
  const found = new Map<string, DiscoveredRepo>();
  // A few folders at a time: an unbounded walk fills Node's file threads and the event loop, and
  // the server answers nothing else until the search ends.
  const limited = gate(discoveryWidth);

  const walk = async (dir: string, depth: number, enclosing: { path: string; ignored: Set<string> } | undefined): Promise<void> => {
    let entries: fs.Dirent[];
    try {
      entries = await limited(() => fs.promises.readdir(dir, { withFileTypes: true }));
    } catch {
      return; // unreadable folders are not ours to report
    }
    let context = enclosing;
    if (entries.some((e) => e.name === '.git') && !found.has(dir)) {
      const [repo, ignored] = await limited(() => Promise.all([classify(dir, enclosing?.path), ignoredFolders(dir)]));
      found.set(dir, repo);
      context = { path: dir, ignored };
    }
    if (depth >= maxDepth) return;
    await Promise.all(
      entries
        .filter((e) => e.isDirectory() && !neverSearched.has(e.name))
        .map((e) => path.join(dir, e.name))
        .filter((child) => !context?.ignored.has(child))
        .map((child) => walk(child, depth + 1, context)),
    );
  };

  for (const root of roots) {
    const abs = path.resolve(root);
    const stat = await fs.promises.stat(abs).catch(() => undefined);
    if (!stat?.isDirectory()) throw new EngineError('RepoMissing', 'root folder not found', abs);
    const enclosing = await enclosingRepo(abs);
    // A folder inside a repo means that repo — unless the repo ignores the folder (a build or
    // test folder holding repos of its own), which is then searched by itself.
    const top = enclosing && enclosing !== abs && !(await isIgnored(enclosing, abs)) ? enclosing : abs;
    await walk(top, 0, undefined);
  }
  return [...found.values()].sort((a, b) => a.path.localeCompare(b.path));
}

async function enclosingRepo(dir: string): Promise<string | undefined> {
  for (let d = dir; ; d = path.dirname(d)) {
    if (
      await fs.promises.stat(path.join(d, '.git')).then(
        () => true,
        () => false,
      )
    )
      return d;
    if (path.dirname(d) === d) return undefined;
  }
}

async function isIgnored(repo: string, dir: string): Promise<boolean> {
  const rel = path.relative(repo, dir).split(path.sep).join('/');
  // exit 1 is git's "not ignored"; any other failure is a failure, not an answer
  const { exitCode } = await gitRaw(repo, ['check-ignore', '-q', '--no-index', '--', rel + '/'], { readOnly: true, okCodes: [1] });
  return exitCode === 0;
}

async function classify(dir: string, parent: string | undefined): Promise<DiscoveredRepo> {
  if (!parent) return { path: dir, kind: 'repo' };
  const [layout, parentLayout] = await Promise.all([repoLayout(dir), repoLayout(parent)]);
  const inModules = layout.gitDir.startsWith(path.join(parentLayout.commonDir, 'modules') + path.sep);
  return { path: dir, kind: inModules ? 'submodule' : 'nested', parent };
}

/** Ignored folders of a repo, as absolute paths; one git process. */
export async function ignoredFolders(repo: string): Promise<Set<string>> {
  // a failure here is not "nothing is ignored": walking into node_modules would then find its repos
  const out = await git(repo, ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'], { readOnly: true });
  return new Set(
    splitZ(out)
      .filter((p) => p.endsWith('/'))
      .map((p) => path.join(repo, p.slice(0, -1))),
  );
}
