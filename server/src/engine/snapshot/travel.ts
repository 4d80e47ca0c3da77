import * as path from 'path';
import { gitRaw } from '../git/gitRunner';
import { treeContent, writeLooseObject } from '../git/looseObjects';
import { missingObjects } from '../git/objectReader';
import { remoteComplaint, remoteGit, remoteUrl, stripCredentials } from '../git/remoteOps';
import { configuredRemotes, readHead, repoLayout } from '../git/repoLayout';
import { discoverRepos } from '../repo/discovery';
import { Store } from '../store/store';
import { EngineError } from '../util/errors';
import { defaultParallelism, mapLimit } from '../util/pool';
import { RepoSnapshot, SavedSnapshot, SnapshotManifest, checkSnapshotManifest, loadSnapshot, saveSnapshot, snapshotRef } from './snapshot';

/**
 * Snapshots that survive the machine (issue 22, item 5), opt-in. A snapshot's states are pinned in
 * each repo (`refs/codecontext/snapshots/<id>`) and its manifest is in the store: both stay on this
 * machine unless `push` publishes them to each repo's remote (the pin ref, and the export document
 * under `refs/codecontext/manifests/<id>`). `exportSnapshot` / `importSnapshot` move a manifest
 * between stores as a file; `importFromRemotes` finds it on the remotes of the repos under a folder.
 *
 * A manifest names repos by absolute path, and its id is the hash of its states with those paths,
 * so an import on another machine maps each repo onto a repo under the folder given (by remote URL,
 * else by its path below the snapshot's common folder) and saves the same states there as a new
 * snapshot, noting where it came from. An imported manifest is content we did not write: its id
 * and seal are checked, it only ever names repos found under that folder, and it runs nothing.
 */

export const manifestRef = (id: string) => `refs/codecontext/manifests/${id}`;

/** A snapshot as it travels: the manifest as sealed, and where each repo's remotes were. */
export interface SnapshotExport {
  format: 1;
  type: 'codecontext-snapshot';
  manifest: SnapshotManifest;
  /** Per repo of the manifest: its remotes (credentials stripped), to find it again on another machine. */
  origins: { path: string; remotes: { name: string; url: string }[] }[];
}

export async function exportSnapshot(store: Store, given: string): Promise<SnapshotExport> {
  const manifest = await loadSnapshot(store, given);
  const origins = await Promise.all(
    manifest.repos.map(async (r) => {
      const layout = await repoLayout(r.path).catch(() => undefined);
      const names = layout ? configuredRemotes(layout) : [];
      return { path: r.path, remotes: await Promise.all(names.map(async (name) => ({ name, url: await remoteUrl(r.path, name) }))) };
    }),
  );
  return { format: 1, type: 'codecontext-snapshot', manifest, origins };
}

export interface PushedSnapshot {
  repo: string;
  remote?: string;
  url?: string;
  ok: boolean;
  /** Why it was not pushed (no remote, refused, unreachable), in one line. */
  problem?: string;
}

/**
 * Publishes the snapshot to each repo's remote (`remote`, else the one its branch tracks, else
 * `origin`): its pin ref and, under `refs/codecontext/manifests/<id>`, a commit whose tree holds the
 * export document. One atomic push per repo; a repo that cannot be pushed is reported, the others go on.
 */
export async function pushSnapshot(store: Store, given: string, options: { remote?: string; parallelism?: number } = {}): Promise<PushedSnapshot[]> {
  const exported = await exportSnapshot(store, given);
  const id = exported.manifest.id;
  const document = Buffer.from(JSON.stringify(exported, null, 2) + '\n');
  return mapLimit(exported.manifest.repos, options.parallelism ?? defaultParallelism, async (r): Promise<PushedSnapshot> => {
    const layout = await repoLayout(r.path);
    const remotes = configuredRemotes(layout);
    const remote = options.remote ?? (await trackedRemote(r.path)) ?? (remotes.includes('origin') ? 'origin' : remotes[0]);
    if (!remote) return { repo: r.path, ok: false, problem: 'it has no remote' };
    if (!remotes.includes(remote)) return { repo: r.path, remote, ok: false, problem: `it has no remote named ${remote}` };
    const objects = path.join(layout.commonDir, 'objects');
    const blob = writeLooseObject(objects, 'blob', document);
    const tree = writeLooseObject(objects, 'tree', treeContent([['100644', 'snapshot.json', blob]]));
    const who = 'codecontext <codecontext@localhost> 0 +0000';
    const commit = writeLooseObject(objects, 'commit', Buffer.from(`tree ${tree}\nauthor ${who}\ncommitter ${who}\n\ncodecontext snapshot ${id}\n`));
    await gitRaw(r.path, ['update-ref', manifestRef(id), commit]);
    const ref = snapshotRef(id);
    const pushed = await remoteGit(r.path, [
      'push',
      '--atomic',
      '--no-verify',
      '--porcelain',
      '--',
      remote,
      `${ref}:${ref}`,
      `${manifestRef(id)}:${manifestRef(id)}`,
    ]);
    const url = await remoteUrl(r.path, remote);
    if (pushed.exitCode !== 0) return { repo: r.path, remote, url, ok: false, problem: remoteComplaint(pushed, `could not push to ${remote}`) };
    return { repo: r.path, remote, url, ok: true };
  });
}

/** The remote the checked-out branch pulls from, if it names one. */
async function trackedRemote(repo: string): Promise<string | undefined> {
  const layout = await repoLayout(repo);
  const head = await readHead(layout);
  if (!head.ref?.startsWith('refs/heads/')) return undefined;
  const branch = head.ref.slice('refs/heads/'.length);
  const r = await gitRaw(repo, ['config', '--get', `branch.${branch}.remote`], { okCodes: [1], readOnly: true });
  const name = r.stdout.toString('utf8').trim();
  return name && name !== '.' ? name : undefined;
}

/** Reads an export document, checking it is one and that its manifest is intact (id and seal). */
export function readExport(text: string, where: string): SnapshotExport {
  let doc: SnapshotExport;
  try {
    doc = JSON.parse(text) as SnapshotExport;
  } catch {
    throw new EngineError('TamperedManifest', `${where} is not a snapshot export (not JSON)`);
  }
  if (!doc || doc.format !== 1 || doc.type !== 'codecontext-snapshot' || !doc.manifest || !Array.isArray(doc.origins)) {
    throw new EngineError('TamperedManifest', `${where} is not a snapshot export`);
  }
  const problem = checkSnapshotManifest(doc.manifest);
  if (problem) throw new EngineError('TamperedManifest', `the snapshot in ${where} was modified: ${problem}`);
  return doc;
}

/** A URL as compared across machines: no credentials, no trailing `/` or `.git`, case of the host ignored. */
function sameRemote(a: string, b: string): boolean {
  const norm = (u: string) =>
    stripCredentials(u)
      .replace(/\/+$/, '')
      .replace(/\.git$/, '')
      .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/]+)/i, (m) => m.toLowerCase());
  return norm(a) === norm(b);
}

/** The folder every repo of the manifest is under. */
function commonFolder(paths: readonly string[]): string {
  let common = path.dirname(paths[0]);
  while (!paths.every((p) => p === common || p.startsWith(common + path.sep))) common = path.dirname(common);
  return common;
}

/**
 * Saves an exported snapshot's states for the repos under `root` that they belong to: each repo of
 * the manifest is matched by remote URL (else by its path below the manifest's common folder), its
 * pin ref fetched from its remote when the objects are not here, and the states saved as a snapshot
 * of this store (a new id: the paths are this machine's). Refuses, changing nothing, when a repo
 * cannot be matched or its objects cannot be had.
 */
export async function importSnapshot(
  store: Store,
  doc: SnapshotExport,
  root: string,
  options: { parallelism?: number; found?: readonly string[] } = {},
): Promise<SavedSnapshot & { importedFrom: string }> {
  // `found`: the repos under root when the caller has looked already (importFromRemotes)
  const here = options.found ?? (await reposUnder(root));
  const urls = new Map(
    await Promise.all(
      here.map(async (p) => {
        const layout = await repoLayout(p);
        return [p, await Promise.all(configuredRemotes(layout).map(async (name) => ({ name, url: await remoteUrl(p, name) })))] as const;
      }),
    ),
  );
  const common = commonFolder(doc.manifest.repos.map((r) => r.path));
  const taken = new Set<string>();
  const mapped: { from: RepoSnapshot; to: string }[] = [];
  for (const r of doc.manifest.repos) {
    const origin = doc.origins.find((o) => o.path === r.path)?.remotes ?? [];
    const byUrl = here.filter((p) => !taken.has(p) && (urls.get(p) ?? []).some((x) => origin.some((o) => sameRemote(o.url, x.url))));
    const byPath = path.join(path.resolve(root), path.relative(common, r.path));
    const to = byUrl.length === 1 ? byUrl[0] : here.includes(byPath) && !taken.has(byPath) ? byPath : undefined;
    if (!to) {
      throw new EngineError(
        'RepoMissing',
        `no repo under ${root} is this snapshot's ${path.relative(common, r.path) || r.path} ` +
          `(${origin.map((o) => o.url).join(', ') || 'no remote'}): clone it there first`,
        r.path,
      );
    }
    taken.add(to);
    mapped.push({ from: r, to });
  }
  const id = doc.manifest.id;
  await mapLimit(mapped, options.parallelism ?? defaultParallelism, async ({ from, to }) => {
    const wanted = [from.index, from.worktree, ...(from.head ? [from.head] : []), ...(from.ignoreRules ? [from.ignoreRules] : [])];
    if (!(await missingObjects(to, wanted)).length) return;
    // the snapshot's objects are on the remote its pin ref was pushed to: fetched under the same ref
    const remotes = urls.get(to) ?? [];
    const origin = doc.origins.find((o) => o.path === from.path)?.remotes ?? [];
    const remote =
      remotes.find((x) => origin.some((o) => sameRemote(o.url, x.url)))?.name ?? remotes.find((x) => x.name === 'origin')?.name ?? remotes[0]?.name;
    if (!remote) throw new EngineError('MissingObject', `the snapshot's objects are not here, and the repo has no remote to fetch them from`, to);
    const ref = snapshotRef(id);
    const r = await remoteGit(to, ['fetch', '--no-write-fetch-head', '--quiet', '--', remote, `+${ref}:${ref}`]);
    if (r.exitCode !== 0)
      throw new EngineError('MissingObject', remoteComplaint(r, `the snapshot's objects are not here, and fetching ${ref} from ${remote} failed`), to);
    const still = await missingObjects(to, wanted);
    if (still.length) throw new EngineError('MissingObject', `${remote} does not have the snapshot's objects (${still[0].slice(0, 12)}…): was it pushed?`, to);
  });
  const saved = await saveSnapshot(
    store,
    mapped.map(({ from, to }) => ({ ...from, path: to })),
    { message: `imported from ${id}${doc.manifest.message ? ` (${doc.manifest.message})` : ''}`, parallelism: options.parallelism },
  );
  return { ...saved, importedFrom: id };
}

/** Finds snapshot `id`'s export document on the remotes of the repos under `root` (`refs/codecontext/manifests/<id>`), then imports it. */
export async function importFromRemotes(
  store: Store,
  id: string,
  root: string,
  options: { parallelism?: number } = {},
): Promise<SavedSnapshot & { importedFrom: string }> {
  if (!/^snap_[0-9a-f]{16}$/.test(id)) throw new EngineError('Usage', `--from-remote takes a whole snapshot id (snap_ and 16 hex digits), not ${id}`);
  const here = await reposUnder(root);
  const tried: string[] = [];
  for (const repo of here) {
    const layout = await repoLayout(repo);
    for (const remote of configuredRemotes(layout)) {
      const ref = manifestRef(id);
      const r = await remoteGit(repo, ['fetch', '--no-write-fetch-head', '--quiet', '--', remote, `+${ref}:${ref}`]);
      if (r.exitCode !== 0) {
        tried.push(`${path.basename(repo)}/${remote}`);
        continue;
      }
      const text = (await gitRaw(repo, ['cat-file', 'blob', `${ref}:snapshot.json`])).stdout.toString('utf8');
      return importSnapshot(store, readExport(text, `${remote} of ${repo}`), root, { ...options, found: here });
    }
  }
  throw new EngineError(
    'UnknownId',
    `no remote of the repos under ${root} has snapshot ${id} (tried ${tried.join(', ') || 'none: no remotes'}); was it pushed (snapshot push)?`,
  );
}

/** The repos at or below `root`; none is a refusal. */
async function reposUnder(root: string): Promise<string[]> {
  const here = (await discoverRepos([path.resolve(root)])).map((d) => d.path);
  if (!here.length) throw new EngineError('NoRepositories', `no git repositories under ${root}`);
  return here;
}
