import { loadCampaign } from '../engine/campaign/campaign';
import { EngineError } from '../engine/util/errors';
import { listTree } from '../engine/git/trees';
import { discoverRepos } from '../engine/repo/discovery';
import { createSnapshot, listSnapshots, loadSnapshot, verifySnapshot } from '../engine/snapshot/snapshot';
import {
  SnapshotCreateRequest,
  SnapshotDetailRequest,
  SnapshotFilesRequest,
  SnapshotListRequest,
  SnapshotVerifyRequest,
  TreeFile,
  SnapshotCreateParams,
  SnapshotDetailParams,
  SnapshotFilesParams,
  SnapshotListParams,
  SnapshotVerifyParams,
} from '../protocol';
import { Lru } from './lru';
import { pushSnapshot } from '../engine/snapshot/travel';
import { pageOf, pageWindow, resolved, resolvedAll } from './params';
import { Services, handle, mutate } from './services';

/** Trees are immutable, so a tree listed once serves every later page of it. */
const trees = new Lru<TreeFile[]>(16);

/**
 * A snapshot's repo paths, by store and id: its id is the hash of its repos' states, so they never
 * change; a snapshot read once is never read again to scope a list.
 */
const repoPaths = new Map<string, Promise<string[]>>();
function reposOf(store: string, id: string, load: () => Promise<{ repos: { path: string }[] }>): Promise<string[]> {
  const key = `${store}\0${id}`;
  let found = repoPaths.get(key);
  if (!found) {
    found = load().then(
      (m) => m.repos.map((r) => r.path),
      () => [],
    );
    repoPaths.set(key, found);
  }
  return found;
}

export function registerSnapshotHandlers(s: Services): void {
  handle(s, SnapshotListRequest, SnapshotListParams, async (p) => {
    const campaign = p.campaign;
    const all = await listSnapshots(s.workspace.store());
    const filed = campaign ? all.filter((x) => x.campaign === campaign) : all;
    if (!p.openFoldersOnly) return { snapshots: filed };
    const store = s.workspace.store();
    const shown = await Promise.all(
      filed.map(async (x) => (!x.valid || s.workspace.touches(await reposOf(store.dir, x.id, () => loadSnapshot(store, x.id))) ? x : undefined)),
    );
    return { snapshots: shown.filter((x) => x !== undefined) };
  });

  handle(s, SnapshotDetailRequest, SnapshotDetailParams, async (p) => loadSnapshot(s.workspace.store(), p.id));

  handle(s, SnapshotVerifyRequest, SnapshotVerifyParams, async (p) => verifySnapshot(s.workspace.store(), p.id, s.workspace.settings.parallelism));

  handle(s, SnapshotCreateRequest, SnapshotCreateParams, async (p, token) => {
    const store = s.workspace.store();
    const explicit = resolvedAll(p.repos);
    const roots = resolvedAll(p.roots);
    const given = p.campaign;
    const message = p.message;
    const campaign = given ? await loadCampaign(store, given) : undefined;
    let repos: string[];
    if (explicit || roots) {
      const found = roots ? await discoverRepos(roots, { maxDepth: s.workspace.settings.discoveryDepth }) : [];
      repos = [...new Set([...(explicit ?? []), ...found.map((r) => r.path)])];
    } else {
      repos = campaign ? campaign.repos : (await s.workspace.repos()).map((r) => r.path);
    }
    const job = { what: 'snapshot create', paths: repos, title: 'Creating snapshot', phases: ['capture', 'pin'] };
    return mutate(s, p, token, job, async (work) => {
      const saved = await createSnapshot(store, repos, {
        campaign: campaign?.id,
        message,
        parallelism: s.workspace.settings.parallelism,
        progress: work.progress,
        cancel: work.cancel,
      });
      // opt-in (the pushSnapshots setting): published so a machine without this store can roll back to it
      if (!s.workspace.settings.pushSnapshots) return saved;
      return { ...saved, pushed: await pushSnapshot(store, saved.id, { parallelism: s.workspace.settings.parallelism }) };
    });
  });

  handle(s, SnapshotFilesRequest, SnapshotFilesParams, async (p) => {
    const repo = resolved(p.repo);
    const which = p.tree ?? 'worktree';
    const snapshot = await loadSnapshot(s.workspace.store(), p.id);
    const state = snapshot.repos.find((r) => r.path === repo);
    if (!state) throw new EngineError('UnknownId', `snapshot ${snapshot.id} has no repo ${repo}`, repo);
    const tree = state[which];
    return pageOf(await trees.get(`${repo}\0${tree}`, () => listTree(repo, tree, true)), pageWindow(p));
  });
}
