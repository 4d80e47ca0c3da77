import * as os from 'os';
import { Campaign, loadCampaign, stepChangeRecords } from './campaign';
import { git, gitRaw } from '../git/gitRunner';
import { randomHex } from '../util/canonical';
import { EngineError } from '../util/errors';
import { withFileLock } from '../store/fileLock';
import { Store } from '../store/store';

/**
 * A reviewer's note on a file (or one line of it) as a campaign step left it. Kept with the campaign
 * in the store (`campaigns/<id>/comments.json`), so the CLI, every window and the evidence pack of
 * a rollback of the campaign see the same notes.
 */
export interface ReviewComment {
  id: string;
  campaign: string;
  step: number;
  /** Absolute repo path, one of the campaign's. */
  repo: string;
  /** Repo-relative path, as the step's change record names it (after a rename). */
  path: string;
  /** 1-based line of the file after the step; absent: a note on the whole file. */
  line?: number;
  body: string;
  author: string;
  at: string;
}

export interface NewReviewComment {
  step: number;
  repo: string;
  path: string;
  line?: number;
  body: string;
  /** Default: the repo's git user.name, else the user of this process. */
  author?: string;
}

const maxBody = 20_000;
const commentsFile = (id: string) => `campaigns/${id}/comments.json`;
const lockFile = (store: Store, id: string) => store.path('campaigns', `${id}.comments.lock`);

/** Every comment of a campaign, oldest first. */
export async function listReviewComments(store: Store, campaign: Pick<Campaign, 'id'>): Promise<ReviewComment[]> {
  const found = await store.readJson<ReviewComment[]>(commentsFile(campaign.id));
  if (found !== undefined && !Array.isArray(found))
    throw new EngineError('StoreCorrupt', `comments file of ${campaign.id} is not a list`, undefined, store.path(commentsFile(campaign.id)));
  return found ?? [];
}

/**
 * Adds a comment after checking it names a file the step changed (by its path after the step, or
 * before a rename) and, for a line, a line the file has after the step. Serialised per campaign by a lock file.
 */
export async function addReviewComment(store: Store, given: string, c: NewReviewComment): Promise<ReviewComment> {
  const campaign = await loadCampaign(store, given);
  const body = c.body.replace(/\s+$/, '');
  if (!body.trim()) throw new EngineError('Usage', 'a review comment needs some text');
  if (body.length > maxBody) throw new EngineError('Usage', `a review comment holds at most ${maxBody} characters (this one has ${body.length})`);
  if (!campaign.repos.includes(c.repo)) throw new EngineError('UnknownId', `not a repo of campaign ${campaign.name} (${campaign.id})`, c.repo);
  if (c.line !== undefined && (!Number.isInteger(c.line) || c.line < 1))
    throw new EngineError('Usage', `a comment's line is a line number (1, 2, …), not ${c.line}`, c.repo, c.path);
  const records = await stepChangeRecords(store, campaign, c.step);
  const record = records.find((r) => r.repo === c.repo && (r.path === c.path || r.oldPath === c.path));
  if (!record) throw new EngineError('UnknownId', `step ${c.step} of ${campaign.name} did not change this file`, c.repo, c.path);
  if (c.line !== undefined) await assertLineAfterStep(c.repo, record, c.line, c.step);
  const author = c.author?.trim() || (await gitUserName(c.repo)) || os.userInfo().username;
  const comment: ReviewComment = {
    id: `cmt_${randomHex(6)}`,
    campaign: campaign.id,
    step: c.step,
    repo: c.repo,
    path: record.path,
    ...(c.line !== undefined ? { line: c.line } : {}),
    body,
    author,
    at: new Date().toISOString(),
  };
  await withFileLock(lockFile(store, campaign.id), async () => {
    const all = await listReviewComments(store, campaign);
    all.push(comment);
    await store.writeJson(commentsFile(campaign.id), all);
  });
  return comment;
}

/** Removes one comment by id; UnknownId when the campaign has none of that id. */
export async function deleteReviewComment(store: Store, given: string, id: string): Promise<void> {
  const campaign = await loadCampaign(store, given);
  await withFileLock(lockFile(store, campaign.id), async () => {
    const all = await listReviewComments(store, campaign);
    const kept = all.filter((c) => c.id !== id);
    if (kept.length === all.length) throw new EngineError('UnknownId', `campaign ${campaign.name} has no comment ${id}`);
    await store.writeJson(commentsFile(campaign.id), kept);
  });
}

/**
 * A comment's line must be one the file has after the step: a line past its end (or on a file the
 * step deleted, or a submodule, which has no lines) would be kept and shown against nothing.
 */
async function assertLineAfterStep(repo: string, record: { path: string; newBlob: string | null; newMode: string | null }, line: number, step: number) {
  const noLines = (why: string) => new EngineError('Usage', `${why}: comment on the whole file (leave out the line)`, repo, record.path);
  if (!record.newBlob || /^0+$/.test(record.newBlob)) throw noLines(`step ${step} deleted this file, so it has no line ${line}`);
  if (record.newMode === '160000') throw noLines(`this is a submodule, which has no line ${line}`);
  const { stdout } = await gitRaw(repo, ['cat-file', 'blob', record.newBlob], { readOnly: true });
  let lines = 0;
  for (let at = stdout.indexOf(10); at >= 0; at = stdout.indexOf(10, at + 1)) lines++;
  if (stdout.length && stdout[stdout.length - 1] !== 10) lines++;
  if (line > lines) {
    const has = lines === 0 ? 'is empty' : `has ${lines} line${lines === 1 ? '' : 's'}`;
    throw new EngineError('Usage', `line ${line} is past the end of the file: after step ${step} it ${has}`, repo, record.path);
  }
}

async function gitUserName(repo: string): Promise<string | undefined> {
  return git(repo, ['config', '--get', 'user.name'], { readOnly: true, okCodes: [1] }).then(
    (v) => v.trim() || undefined,
    () => undefined,
  );
}
