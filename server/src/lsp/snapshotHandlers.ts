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
} from '../protocol';
import { Lru } from './lru';
import { pageOf } from './params';
import { Services, handle, mutate } from './services';

/** Trees are immutable, so a tree listed once serves every later page of it. */
const trees = new Lru<TreeFile[]>(16);

export function registerSnapshotHandlers(s: Services): void {
  handle(s, SnapshotListRequest, async (p) => {
    const campaign = p.optString('campaign');
    const all = await listSnapshots(s.workspace.store());
    return { snapshots: campaign ? all.filter((x) => x.campaign === campaign) : all };
  });

  handle(s, SnapshotDetailRequest, async (p) => loadSnapshot(s.workspace.store(), p.string('id')));

  handle(s, SnapshotVerifyRequest, async (p) => verifySnapshot(s.workspace.store(), p.string('id'), s.workspace.settings.parallelism));

  handle(s, SnapshotCreateRequest, async (p, token) => {
    const store = s.workspace.store();
    const explicit = p.optAbsPaths('repos');
    const roots = p.optAbsPaths('roots');
    const given = p.optString('campaign');
    const message = p.optString('message');
    const campaign = given ? await loadCampaign(store, given) : undefined;
    let repos: string[];
    if (explicit || roots) {
      const found = roots ? await discoverRepos(roots, { maxDepth: s.workspace.settings.discoveryDepth }) : [];
      repos = [...new Set([...(explicit ?? []), ...found.map((r) => r.path)])];
    } else {
      repos = campaign ? campaign.repos : (await s.workspace.repos()).map((r) => r.path);
    }
    const job = { what: 'snapshot create', paths: repos, title: 'Creating snapshot', phases: ['capture', 'pin'] };
    return mutate(s, p, token, job, (work) =>
      createSnapshot(store, repos, { campaign: campaign?.id, message, parallelism: s.workspace.settings.parallelism, progress: work.progress, cancel: work.cancel }),
    );
  });

  handle(s, SnapshotFilesRequest, async (p) => {
    const id = p.string('id');
    const repo = p.absPath('repo');
    const which = p.oneOf('tree', ['worktree', 'index'] as const, 'worktree');
    const page = p.page();
    const snapshot = await loadSnapshot(s.workspace.store(), id);
    const state = snapshot.repos.find((r) => r.path === repo);
    if (!state) throw new EngineError('UnknownId', `snapshot ${snapshot.id} has no repo ${repo}`, repo);
    const tree = state[which];
    return pageOf(await trees.get(`${repo}\0${tree}`, () => listTree(repo, tree, true)), page);
  });
}
