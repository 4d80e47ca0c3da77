import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { canonicalJson, sha256 } from '../../util/canonical';
import { EngineError } from '../../util/errors';
import { decodePath, encodePath } from '../../util/pathBytes';
import { git } from '../../git/gitRunner';
import { repoLayout, resolveRef } from '../../git/repoLayout';
import { resolveId } from '../../store/ids';
import { RepoState, captureRepoState, sameState } from '../../repo/repoState';
import { Store, writeFileAtomic } from '../../store/store';
import { ReadLimit, readBounded } from '../../store/boundedRead';
import type { LeftOut, PlannedFile, RollbackPlan } from '../plan/plan';
import type { RepoRemotes } from '../plan/remotes';
import type { CheckResult, Outcome, PhaseRecord } from '../records';
import { ReviewComment, listReviewComments } from '../../campaign/reviewComments';
import { loadSnapshot } from '../../snapshot/snapshot';
import { ChainCheck, ChainLink, ChainPack, appendToChain, evidenceFiles, verifyChain } from './chain';
import { SignatureCheck, signPack, verifyPackSignature } from './signature';
import { checkRepoCopy, evidenceRef } from './copies';
import { ReportedPack, evidenceReportChunks, reportFileName, splitPatches } from './report';
import { canonicalSha256, jsonMembers, prettyJsonChunks, writeChunksAtomic } from './streaming';

/**
 * The proof a rollback leaves behind, success or failure: who ran it where, what it aimed at,
 * each phase with timings and retries, per repo the before / target / after states, per file the
 * operation and the inverse diff's hash. `digest` covers all of it and the patch file, so an
 * edited byte anywhere is caught by `evidence verify`.
 */

/** One repo's part of a phase, for the report's timeline; `ok: false` when the repo's part failed. */
export interface RepoSpan {
  name: 'prepare' | 'commit' | 'check' | 'verify' | 'compensate';
  startedAt: string;
  ms: number;
  ok: boolean;
}

export interface EvidenceRepo {
  path: string;
  wave: number;
  /** When each phase ran in this repo (absent in packs written before it was recorded, and for phases a recovery redid). */
  timings?: RepoSpan[];
  before: RepoState;
  target: RepoState;
  after: RepoState | null;
  committed: boolean;
  compensated: boolean;
  /** Why the repo was given up (`recover --abandon`): recovery left it as it was. */
  abandoned?: string;
  /** Files another process changed during the transaction (or before recovery), which compensation left as they were. */
  kept?: string[];
  /** The ref the repo's state was pinned under before compensation changed it. */
  pinnedBeforeCompensation?: string;
  files: Omit<PlannedFile, 'patch'>[];
  /** What of the campaign this repo's remotes held when the rollback was planned: a rollback is local, and left it there. */
  remotes?: RepoRemotes;
}

/** A remote step of the rollback: what was pushed where, under which lease, and what the remote said. */
export interface EvidencePush {
  repo: string;
  remote: string;
  /** Where it pushed, credentials stripped. */
  url: string;
  /** begun (never prepared), prepared (never pushed), pushing (may have been), pushed, compensated (put back), abandoned. */
  phase: string;
  updates: {
    ref: string;
    action: string;
    /** The value the remote held before: the lease of the push (null: no such ref). */
    old: string | null;
    /** The value pushed (null: deleted); for a revert, the revert commit. */
    new: string | null;
    /** A revert: the newest commit of each run of campaign commits it undoes. */
    reverts?: string[];
  }[];
  /** What git and the remote printed for the push, credentials stripped. */
  output?: string;
  /** Refs someone else moved since, which compensation left as they were. */
  kept?: string[];
}

export interface EvidencePack {
  format: 1;
  id: string;
  kind: 'rollback' | 'undo';
  undoOf?: string;
  who: { user: string; gitName?: string; gitEmail?: string };
  host: string;
  toolVersion: string;
  command: string[];
  cwd: string;
  startedAt: string;
  endedAt: string;
  target: RollbackPlan['target'];
  mode: RollbackPlan['mode'];
  planHash: string;
  safetySnapshot?: string;
  outcome: Outcome;
  error?: { code: string; message: string; repo?: string; path?: string };
  phases: PhaseRecord[];
  repos: EvidenceRepo[];
  /** The remote steps (a rollback with `--remote`), in the order they were planned. */
  pushes?: EvidencePush[];

  /** A partial rollback: the repos and files of the target it left as they were, and why. Absent in packs before it was kept. */
  leftOut?: LeftOut[];
  /** Each rolling check run: repo, command, exit code, duration, the tail of its output. */
  checks?: CheckResult[];
  /** Journal entries after `prepared` that could not be written (a full store): the transaction went on without them. */
  journalProblems?: string[];
  /** The pack written before this one in the store (chain.ts); absent for the first. */
  previous?: ChainLink;
  patches: { file: string; sha256: string };
  /** The pack as a standalone HTML page (report.ts), covered like the patch file: by its hash, under the digest. */
  report?: { file: string; sha256: string };
  digest: string;
}

const folder = 'rollbacks';

/**
 * The most each file of a pack may hold: far above what a rollback of 100,000 files writes. Past it
 * (or a device, or a pipe) the file is refused unread rather than read until node runs out of memory.
 */
export const packLimit = (what: string): ReadLimit => ({ limit: 256 * 1024 * 1024, what, code: 'TamperedManifest', regularOnly: true });
const patchLimit = (what: string): ReadLimit => ({ limit: 512 * 1024 * 1024, what, code: 'TamperedManifest', regularOnly: true });

export const evidenceDir = (store: Store, id: string) => store.path(folder, id);

export async function gitIdentity(repo: string | undefined): Promise<{ gitName?: string; gitEmail?: string }> {
  if (!repo) return {};
  const read = (key: string) =>
    git(repo, ['config', '--get', key], { readOnly: true, okCodes: [1] }).then(
      (v) => v || undefined,
      () => undefined,
    );
  const [gitName, gitEmail] = await Promise.all([read('user.name'), read('user.email')]);
  return { gitName, gitEmail };
}

/**
 * The text of `inverse.patch`: each file's inverse diff after a `# repo: <path>` line naming its
 * repo (no line of a diff starts with `#`, so report.ts's `splitPatches` cuts it back).
 * `rollback --dry-run --diff` prints the same text before a rollback writes it.
 */
export function inversePatchText(repos: PatchedRepos): string {
  return [...patchChunks(repos)].join('');
}

/** Per repo, each planned file's inverse diff: what `inverse.patch` is written from. */
export type PatchedRepos = readonly { path: string; files: readonly { patch: string }[] }[];

function* patchChunks(repos: PatchedRepos): Generator<string> {
  for (const r of repos) for (const f of r.files) yield `# repo: ${r.path}\n${f.patch}`;
}

/**
 * Writes `evidence.json` and `inverse.patch` under the rollback's folder, chained to the store's
 * previous pack, and returns the pack's path. A pack written again for the same rollback (recovery
 * finishing one) takes the place of the first in the chain. `unsigned` says why a pack whose repo
 * has a signing key is not signed (the key is gone, a passphrase no agent holds): the pack stands,
 * its digest checked, and whoever asked for the rollback is told. `patches` is the patch file's
 * text, or each file's diff per repo: then the three files are written and hashed in pieces
 * (streaming.ts), never held whole.
 */
export async function writeEvidence(
  store: Store,
  pack: Omit<EvidencePack, 'digest' | 'patches' | 'previous' | 'report'> & PackComments,
  patches: string | PatchedRepos,
): Promise<{ file: string; unsigned?: string }> {
  const dir = evidenceDir(store, pack.id);
  const patchFile = path.join(dir, 'inverse.patch');
  const file = path.join(dir, `evidence-${pack.id}.json`);
  pack = { ...pack, ...(await undoneStepComments(store, pack)) };
  let signing: { problem?: string } | undefined;
  await appendToChain(store, async (head) => {
    const previous = head?.id === pack.id ? (await readEvidence(file).catch(() => undefined))?.previous : head;
    // each file is complete (renamed into place) before its hash is used; the digest covers the
    // patch's and the page's hashes, not their files: all are synced before the chain moves on
    // the patch's bytes as git wrote them (a line that is not UTF-8 included: util/pathBytes)
    const patchSha = await writeChunksAtomic(patchFile, typeof patches === 'string' ? [patches] : patchChunks(patches), encodePath);
    const rendered = { ...pack, ...(previous ? { previous } : {}), patches: { file: 'inverse.patch', sha256: patchSha } };
    // the page renders everything but its own hash and the digest, which then cover it
    const reportFile = path.join(dir, reportFileName(pack.id));
    const reportSha = await writeReport(reportFile, rendered, patchesPerRepo(rendered, patches));
    const body = { ...rendered, report: { file: reportFileName(pack.id), sha256: reportSha } };
    const digest = canonicalSha256(body);
    await writeChunksAtomic(file, prettyPack(body, digest));
    // a pack written again (recovery) is signed again, or not at all: never left with an old signature
    await Promise.all([`${file}.sig`, `${file}.asc`].map((f) => fs.promises.rm(f, { force: true })));
    signing = await signPack(file, pack.repos[0]?.path);
    return { id: pack.id, digest };
  });
  return { file, ...(signing?.problem ? { unsigned: signing.problem } : {}) };
}

/** `JSON.stringify({ ...body, digest }, null, 2) + '\n'`, in pieces. */
function* prettyPack(body: Omit<EvidencePack, 'digest'>, digest: string): Generator<string> {
  yield* prettyJsonChunks({ ...body, digest });
  yield '\n';
}

/** Each file's diff, per repo of the pack: cut from the patch text, or taken as the caller gave them. */
function patchesPerRepo(pack: ReportedPack, patches: string | PatchedRepos): ((string | undefined)[] | undefined)[] {
  if (typeof patches === 'string') return splitPatches(pack, patches);
  const byRepo = new Map(patches.map((r) => [r.path, r.files.map((f) => f.patch)]));
  return pack.repos.map((r) => byRepo.get(r.path));
}

/** Writes the pack's HTML report and returns its hash; a page that cannot be rendered says so instead of failing the rollback's record. */
async function writeReport(file: string, pack: ReportedPack, patches: readonly ((string | undefined)[] | undefined)[]): Promise<string> {
  try {
    return await writeChunksAtomic(file, evidenceReportChunks(pack, patches));
  } catch (e) {
    const why = String((e as Error).message).replace(/[&<>"']/g, '');
    const head = `<!DOCTYPE html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'"><title>${pack.id}</title>`;
    const html = `${head}<p>The report of ${pack.id} could not be rendered (${why}); evidence-${pack.id}.json is the record.</p>\n`;
    await writeFileAtomic(file, html);
    return sha256(html);
  }
}

/** The patch text beside a pack ('' when the file is gone: verify says so). */
export async function readEvidencePatch(file: string, pack: EvidencePack): Promise<string> {
  const patchFile = path.join(path.dirname(file), pack.patches?.file ?? 'inverse.patch');
  return readBounded(patchFile, patchLimit('patch file')).then(decodePath, () => '');
}

/**
 * Each repo's files of a pack with their diffs, cut from its patch file as the report cuts it
 * (`splitPatches`), each text matching its file's `diffHash`; undefined when the two do not add up.
 * What a store file says: a caller proves each text before it trusts it (an undo: plan.ts `reversedFiles`).
 */
export async function packedFiles(file: string): Promise<Map<string, PlannedFile[]> | undefined> {
  const pack = await readEvidence(file);
  const cut = splitPatches(pack, await readEvidencePatch(file, pack));
  const files = new Map<string, PlannedFile[]>();
  for (const [i, r] of pack.repos.entries()) {
    const texts = cut[i];
    const withText = r.files.map((f, k) => ({ ...f, patch: texts[k] ?? '' }));
    if (withText.some((f) => sha256(encodePath(f.patch)) !== f.diffHash)) return undefined;
    files.set(r.path, withText);
  }
  return files;
}

/** Every pack of the store checked as a chain (chain.ts). */
export async function verifyEvidenceChain(store: Store): Promise<ChainCheck> {
  return verifyChain(store, await chainPacks(store, true));
}

/**
 * The rollbacks whose packs this store's chain reaches, by the links alone (no digest recomputed):
 * `rollback list` marks the others, such as a rollback copied in from another store.
 */
export async function chainedRollbacks(store: Store): Promise<Set<string>> {
  return new Set((await verifyChain(store, await chainPacks(store, false))).walked);
}

async function chainPacks(store: Store, checkDigests: boolean): Promise<ChainPack[]> {
  const packs: ChainPack[] = [];
  for (const file of await evidenceFiles(store)) {
    const pack = await readEvidence(file).catch(() => undefined);
    if (!pack) continue;
    const { digest, ...body } = pack;
    const intact = !checkDigests || sha256(canonicalJson(body)) === digest;
    packs.push({ id: pack.id, digest, startedAt: pack.startedAt, previous: pack.previous, intact });
  }
  return packs;
}

/** Finds an evidence file by rollback id (or prefix) or by path. */
export async function locateEvidence(store: Store, given: string): Promise<string> {
  if (given.endsWith('.json') || given.includes(path.sep)) {
    const abs = path.resolve(given);
    if (!fs.existsSync(abs)) throw new EngineError('UnknownId', 'no such evidence file', undefined, abs);
    // only a pack is read by path: a file of another name is refused without being opened
    if (!/^evidence-rb_[0-9a-f]+\.json$/.test(path.basename(abs)) || !fs.statSync(abs).isFile()) {
      throw new EngineError('Usage', 'not an evidence pack (packs are named evidence-rb_<id>.json); give a rollback id or a pack file', undefined, abs);
    }
    return abs;
  }
  const id = await resolveId(store, folder, 'rb', given);
  return path.join(evidenceDir(store, id), `evidence-${id}.json`);
}

export async function readEvidence(file: string): Promise<EvidencePack> {
  try {
    const pack = JSON.parse((await readBounded(file, packLimit('evidence pack'))).toString('utf8')) as EvidencePack;
    // never echo what a file holds that is not a pack
    if (pack?.format !== 1 || typeof pack.id !== 'string' || typeof pack.digest !== 'string' || !Array.isArray(pack.repos))
      throw new Error('not an evidence pack');
    return pack;
  } catch (e) {
    // a parse error quotes the text it failed on: said plainly instead
    const why = e instanceof SyntaxError ? 'not valid JSON' : (e as Error).message;
    throw new EngineError('TamperedManifest', `evidence is unreadable: ${why}`, undefined, file);
  }
}

/**
 * The rolling checks a pack lists, read without parsing the rest of it: an undo needs only these,
 * and a pack of 100,000 files parsed whole was a few hundred MB of heap (issue 21, item 12). The
 * pack is refused as `readEvidence` refuses it (not JSON, or no format 1, id, digest and repos);
 * only its top-level members are found, and only the ones looked at are parsed.
 */
export async function readEvidenceChecks(file: string): Promise<CheckResult[]> {
  const bytes = await readBounded(file, packLimit('evidence pack'));
  let members: Map<string, [number, number]>;
  try {
    members = jsonMembers(bytes);
  } catch {
    throw new EngineError('TamperedManifest', 'evidence is unreadable: not valid JSON', undefined, file);
  }
  const value = (key: string): unknown => {
    const at = members.get(key);
    return at && JSON.parse(bytes.toString('utf8', at[0], at[1]));
  };
  const repos = members.get('repos');
  if (value('format') !== 1 || typeof value('id') !== 'string' || typeof value('digest') !== 'string' || !repos || bytes[repos[0]] !== 0x5b) {
    throw new EngineError('TamperedManifest', 'evidence is unreadable: not an evidence pack', undefined, file);
  }
  const checks = value('checks');
  return Array.isArray(checks) ? (checks as CheckResult[]) : [];
}

export interface EvidenceCheck {
  file: string;
  ok: boolean;
  problems: string[];
  signature: SignatureCheck;
  repos?: { path: string; ok: boolean; problem?: string }[];
}

/**
 * Recomputes the digest (and the patch file's hash); with `checkRepos` (the store the pack is
 * in), also that each repo is still in its recorded end state. Git runs only in the folders the
 * pack's safety snapshot in that store holds: a pack names its folders, and a forged one could name
 * one whose own config (core.fsmonitor, a filter) runs a program the moment git looks there.
 */
export async function verifyEvidence(file: string, checkRepos: Store | false = false, allowedSigners?: string): Promise<EvidenceCheck> {
  const pack = await readEvidence(file);
  const problems: string[] = [];
  // trust anchors come from the user's configuration, never from a folder the pack names
  const signature = await verifyPackSignature(file, allowedSigners);
  if (signature.state === 'bad') problems.push(`signature: ${signature.problem}`);
  const { digest, ...body } = pack;
  if (sha256(canonicalJson(body)) !== digest) problems.push('digest mismatch: the evidence was modified after it was written');
  const patchFile = path.join(path.dirname(file), pack.patches?.file ?? 'inverse.patch');
  const patchText = await readPart(patchFile, patchLimit('patch file'));
  if (typeof patchText === 'string') problems.push(patchText);
  else if (!patchText) problems.push(`patch file is missing: ${patchFile}`);
  else if (sha256(patchText) !== pack.patches.sha256) problems.push('patch file was modified after it was written');
  if (pack.report) {
    const reportFile = path.join(path.dirname(file), path.basename(pack.report.file));
    const html = await readPart(reportFile, packLimit('HTML report'));
    if (typeof html === 'string') problems.push(html);
    else if (!html) problems.push(`report file is missing: ${reportFile}`);
    else if (sha256(html) !== pack.report.sha256) problems.push(`the HTML report was modified after it was written: ${reportFile}`);
  }
  let repos: EvidenceCheck['repos'];
  if (checkRepos) {
    const packBytes = await readBounded(file, packLimit('evidence pack'));
    const known = await safetyRepos(checkRepos, pack.safetySnapshot);
    const unknown = (pack.repos ?? []).filter((r) => !known.has(r.path));
    const looked = (pack.repos ?? []).filter((r) => known.has(r.path));
    // a pack from before repos kept copies has none anywhere, and is not faulted for it
    const copies = await hasAnyCopy(looked, pack.id);
    repos = await Promise.all(
      looked.map(async (r) => {
        const expected = r.after ?? r.before;
        try {
          const copy = copies && !r.abandoned ? await checkRepoCopy(r.path, pack.id, packBytes) : undefined;
          if (copy) return { path: r.path, ok: false, problem: copy };
          const now = await captureRepoState(r.path);
          return sameState(now, expected) ? { path: r.path, ok: true } : { path: r.path, ok: false, problem: 'changed since the rollback ended' };
        } catch (e) {
          return { path: r.path, ok: false, problem: (e as Error).message };
        }
      }),
    );
    const why = pack.safetySnapshot ? `not a repo of its safety snapshot ${pack.safetySnapshot} in this store` : 'the pack names no safety snapshot';
    repos.push(...unknown.map((r) => ({ path: r.path, ok: false, problem: `not looked at: ${why}` })));
  }
  return { file, ok: problems.length === 0 && (repos ?? []).every((r) => r.ok), problems, signature, repos };
}

/** The folders a pack's safety snapshot holds, read from the store (its id is its content): the only ones verify runs git in. */
async function safetyRepos(store: Store, safety: string | undefined): Promise<Set<string>> {
  if (typeof safety !== 'string') return new Set();
  const snap = await loadSnapshot(store, safety).catch(() => undefined);
  return new Set(snap?.repos.map((r) => r.path) ?? []);
}

/** A file beside the pack: its bytes, undefined when it cannot be read, or why it was refused (too large, not a file). */
async function readPart(file: string, limit: ReadLimit): Promise<Buffer | string | undefined> {
  return readBounded(file, limit).catch((e: unknown) => (e instanceof EngineError ? `${e.message}: ${file}` : undefined));
}

export function whoami(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** Whether any repo of the pack keeps a copy: a pack older than copies has none anywhere, and is not faulted for it. */
async function hasAnyCopy(repos: readonly EvidenceRepo[], rb: string): Promise<boolean> {
  for (const r of repos) {
    try {
      if (await resolveRef(await repoLayout(r.path), evidenceRef(rb))) return true;
    } catch {
      // a repo that is gone keeps nothing
    }
  }
  return false;
}

/**
 * The pack's `comments` (read by report.ts's `commentsOf`, which checks each entry): a campaign
 * target's review comments on the steps the rollback undoes (after the target checkpoint), oldest first.
 */
export interface PackComments {
  comments?: PackComment[];
}

/**
 * A reviewer's note (campaign/reviewComments.ts) as the pack keeps it: `text` is the comment's body;
 * `repo` is absolute, `path` repo-relative, `line` 1-based in the file after the step.
 */
export type PackComment = Omit<ReviewComment, 'body'> & { text: string };

/** The reviewers' notes on the steps a campaign rollback undoes; none when they cannot be read (the pack is written regardless). */
async function undoneStepComments(store: Store, pack: Pick<EvidencePack, 'target'> & PackComments): Promise<PackComments> {
  if (pack.comments || !pack.target.campaign) return {};
  const all = await listReviewComments(store, { id: pack.target.campaign }).catch(() => []);
  const comments = all
    .filter((c) => c.step > (pack.target.checkpoint ?? 0))
    .map((c) => {
      const line = c.line !== undefined ? { line: c.line } : {};
      return { id: c.id, campaign: c.campaign, step: c.step, repo: c.repo, path: c.path, ...line, author: c.author, text: c.body, at: c.at };
    });
  return comments.length ? { comments } : {};
}
