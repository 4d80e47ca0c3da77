import {
  Campaign,
  StoredChangeRecord,
  activeCampaignsOn,
  checkpointCampaign,
  listCampaignFiles,
  loadCampaign,
  startCampaign,
  stepChangeRecords,
} from '../engine/campaign/campaign';
import { RepoDiffText, campaignDiff, campaignDiffByRepo } from '../engine/campaign/campaignDiff';
import { finishInterruptedRun, runInCampaign } from '../engine/campaign/campaignRun';
import { addReviewComment, deleteReviewComment, listReviewComments } from '../engine/campaign/reviewComments';
import { EngineError } from '../engine/util/errors';
import { discoverRepos } from '../engine/repo/discovery';
import { Store } from '../engine/store/store';
import {
  CampaignChangesParams,
  CampaignChangesRequest,
  CampaignCommentAddParams,
  CampaignCommentAddRequest,
  CampaignCommentDeleteParams,
  CampaignCommentDeleteRequest,
  CampaignCommentsParams,
  CampaignCommentsRequest,
  CampaignDiffParams,
  CampaignDiffRequest,
  CampaignCheckpointParams,
  CampaignDetailParams,
  CampaignOverlapParams,
  CampaignRunParams,
  CampaignStartParams,
  ScopeParams,
  CampaignCheckpointRequest,
  CampaignDetailRequest,
  CampaignListRequest,
  CampaignOverlapRequest,
  CampaignRunRequest,
  CampaignFinishInterruptedParams,
  CampaignFinishInterruptedRequest,
  CampaignStartRequest,
  CampaignSummary,
} from '../protocol';
import { Lru } from './lru';
import { pageOf, pageWindow, resolved, resolvedAll } from './params';
import { Services, handle, mutate } from './services';

/** A step's records never change once written; keyed by store, campaign and step. */
const stepRecords = new Lru<StoredChangeRecord[]>(32);
/** A step's diff of one repo never changes either (both checkpoints are sealed snapshots). */
const repoDiffs = new Lru<RepoDiffText | undefined>(16);

export function registerCampaignHandlers(s: Services): void {
  const ctx = () => ({ store: s.workspace.store(), parallelism: s.workspace.settings.parallelism });

  handle(s, CampaignListRequest, ScopeParams, async (p) => {
    const { campaigns, invalid } = await listCampaignFiles(s.workspace.store());
    const shown = p.openFoldersOnly ? campaigns.filter((c) => s.workspace.touches(c.repos)) : campaigns;
    return { campaigns: shown.map(summary), invalid };
  });

  handle(s, CampaignDetailRequest, CampaignDetailParams, async (p) => loadCampaign(s.workspace.store(), p.id));

  handle(s, CampaignStartRequest, CampaignStartParams, async (p, token) => {
    const name = p.name;
    const roots = resolvedAll(p.roots) ?? [...s.workspace.roots];
    if (roots.length === 0) throw new EngineError('NoRepositories', 'the workspace has no folders: open a folder or pass roots');
    const job = { what: `campaign start ${name}`, paths: roots, title: `Starting campaign ${name}`, phases: ['capture', 'pin'] };
    return mutate(s, p, token, job, (work) =>
      startCampaign({ ...ctx(), progress: work.progress, cancel: work.cancel }, name, roots, s.workspace.settings.discoveryDepth),
    );
  });

  handle(s, CampaignOverlapRequest, CampaignOverlapParams, async (p) => {
    const roots = resolvedAll(p.roots);
    const found = roots ? await discoverRepos(roots, { maxDepth: s.workspace.settings.discoveryDepth }) : await s.workspace.repos();
    const repos = found.map((r) => r.path);
    return { repos, campaigns: await activeCampaignsOn(s.workspace.store(), repos) };
  });

  handle(s, CampaignCheckpointRequest, CampaignCheckpointParams, async (p, token) => {
    const message = p.message;
    const campaign = await loadCampaign(s.workspace.store(), p.campaign);
    const job = { what: `campaign checkpoint ${campaign.id}`, paths: campaign.repos, title: `Checkpoint of ${campaign.name}`, phases: ['capture', 'pin'] };
    const { step, changes } = await mutate(s, p, token, job, async (work) => {
      await finishInterruptedRun(ctx(), campaign.id); // a killed run's step first, as it was
      return checkpointCampaign({ ...ctx(), progress: work.progress, cancel: work.cancel }, campaign.id, { message });
    });
    return { campaign: campaign.id, step, changeCount: changes.length };
  });

  handle(s, CampaignFinishInterruptedRequest, CampaignFinishInterruptedParams, async (p, token) => {
    const campaign = await loadCampaign(s.workspace.store(), p.campaign);
    const job = { what: `campaign ${campaign.id}: an interrupted run`, paths: campaign.repos, title: `${campaign.name}: an interrupted run`, phases: [] };
    const step = await mutate(s, p, token, job, () => finishInterruptedRun(ctx(), campaign.id));
    return step ? { step } : {};
  });

  handle(s, CampaignRunRequest, CampaignRunParams, async (p, token) => {
    const { command, message } = p;
    const repos = resolvedAll(p.repos);
    const campaign = await loadCampaign(s.workspace.store(), p.campaign);
    const job = {
      what: `campaign run ${campaign.id}`,
      paths: repos ?? campaign.repos,
      title: `${campaign.name}: ${command.join(' ')}`,
      phases: ['run', 'capture', 'pin'],
    };
    const { step, changes, failed } = await mutate(s, p, token, job, (work) =>
      runInCampaign({ ...ctx(), progress: work.progress, cancel: work.cancel }, campaign.id, command, { message, ...(repos ? { repos } : {}) }),
    );
    return { campaign: campaign.id, step, changeCount: changes.length, failed };
  });

  handle(s, CampaignChangesRequest, CampaignChangesParams, async (p) => {
    const step = p.step;
    const only = resolved(p.repo);
    const store = s.workspace.store();
    const campaign = await loadCampaign(store, p.campaign);
    const steps = step === undefined ? campaign.steps.map((x) => x.n) : [step];
    const all = (await Promise.all(steps.map((n) => recordsOf(store, campaign, n)))).flat();
    const counts = new Map<string, number>();
    for (const r of all) counts.set(r.repo, (counts.get(r.repo) ?? 0) + 1);
    const items = only ? all.filter((r) => r.repo === only) : all;
    return { ...pageOf(items, pageWindow(p)), repos: [...counts].map(([r, count]) => ({ repo: r, count })).sort((a, b) => a.repo.localeCompare(b.repo)) };
  });

  handle(s, CampaignDiffRequest, CampaignDiffParams, async (p) => {
    const { step, path: file } = p;
    const repo = resolved(p.repo);
    if (file !== undefined && repo === undefined) throw new EngineError('Usage', 'path goes with repo');
    const store = s.workspace.store();
    const campaign = await loadCampaign(store, p.campaign);
    const result = { campaign: campaign.id, step: step ?? null };
    if (repo === undefined) return { ...result, diff: await campaignDiff(store, campaign, step, s.workspace.settings.parallelism) };
    if (!campaign.repos.includes(repo)) throw new EngineError('UnknownId', `not a repo of campaign ${campaign.name} (${campaign.id})`, repo);
    const key = `${store.dir}\0${campaign.id}\0${step ?? 'all'}\0${campaign.steps.length}\0${repo}`;
    const part = await repoDiffs.get(key, async () => (await campaignDiffByRepo(store, campaign, step, 1, repo))[0]);
    if (file === undefined) return { ...result, diff: part?.text ?? '' };
    const mine = (part?.files ?? []).filter((f) => f.change.path === file || f.change.oldPath === file);
    return { ...result, diff: mine.map((f) => f.text).join('') };
  });

  handle(s, CampaignCommentsRequest, CampaignCommentsParams, async (p) => {
    const campaign = await loadCampaign(s.workspace.store(), p.campaign);
    const comments = await listReviewComments(s.workspace.store(), campaign);
    return { comments: p.step === undefined ? comments : comments.filter((c) => c.step === p.step) };
  });

  handle(s, CampaignCommentAddRequest, CampaignCommentAddParams, async (p) => {
    const { campaign, step, path, line, body, author } = p;
    return addReviewComment(s.workspace.store(), campaign, { step, repo: resolved(p.repo), path, line, body, author });
  });

  handle(s, CampaignCommentDeleteRequest, CampaignCommentDeleteParams, async (p) => {
    await deleteReviewComment(s.workspace.store(), p.campaign, p.id);
    return {};
  });
}

function recordsOf(store: Store, campaign: Campaign, n: number): Promise<StoredChangeRecord[]> {
  // stepChangeRecords checks that the step exists; the cache key holds the store so two stores never mix
  return stepRecords.get(`${store.dir}\0${campaign.id}\0${n}`, async () => {
    const records = await stepChangeRecords(store, campaign, n);
    return [...records].sort((a, b) => (a.repo === b.repo ? (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) : a.repo < b.repo ? -1 : 1));
  });
}

function summary(c: Campaign): CampaignSummary {
  return {
    id: c.id,
    name: c.name,
    roots: c.roots,
    createdAt: c.createdAt,
    baseline: c.baseline,
    status: c.status,
    repoCount: c.repos.length,
    stepCount: c.steps.length,
    ...(c.steps.length ? { lastStepAt: c.steps[c.steps.length - 1].at } : {}),
  };
}
