import * as fs from 'fs';
import * as path from 'path';
import { canonicalJson, randomHex, sha256 } from '../util/canonical';
import { treeContent, writeLooseObject } from '../git/looseObjects';
import { EngineError, asEngineError } from '../util/errors';
import { resolveId } from '../store/ids';
import { missingObjects } from '../git/objectReader';
import { readText } from '../util/quickFs';
import { defaultParallelism, mapLimit } from '../util/pool';
import { CancelToken, ProgressSink, phaseCounter } from '../util/progress';
import { RepoState, captureRepoState } from '../repo/repoState';
import { repoLayout } from '../git/repoLayout';
import { Store } from '../store/store';
import { summariesOf } from '../store/summaryCache';
import { toolVersion } from '../util/version';
import { faultPoint } from '../util/faults';
import { withFileLock } from '../store/fileLock';

export interface RepoSnapshot extends RepoState {
  /** Absolute path of the working copy. */
  path: string;
}

/**
 * A snapshot as stored. `id` is the hash of the repos' states alone, so the same content always
 * gives the same id; `seal` is the hash of everything else too, so an edit anywhere is caught.
 */
export interface SnapshotManifest {
  format: 1;
  id: string;
  repos: RepoSnapshot[];
  createdAt: string;
  message?: string;
  campaign?: string;
  /**
   * Notes given later to the same states (a snapshot of unchanged repos is this snapshot again):
   * the user's words are kept here rather than dropped. Oldest first; covered by the seal.
   */
  notes?: SnapshotNote[];
  toolVersion: string;
  seal: string;
}

/** A later note on a snapshot: what `snapshot create -m`, a campaign or a rollback called the same states. */
export interface SnapshotNote {
  message: string;
  at: string;
  campaign?: string;
}

/** What saving a snapshot gives back: the manifest, and whether these states had been saved before. */
export type SavedSnapshot = SnapshotManifest & {
  /** The states were already a snapshot: its id is returned, the new note (if any) added to its `notes`. */
  reused?: boolean;
};

export interface SnapshotSummary {
  id: string;
  createdAt: string;
  message?: string;
  campaign?: string;
  notes?: SnapshotNote[];
  repoCount: number;
  /** False when the manifest no longer matches its id or seal. */
  valid: boolean;
}

const folder = 'snapshots';

export function snapshotRef(id: string): string {
  return `refs/codecontext/snapshots/${id}`;
}

function contentId(repos: readonly RepoSnapshot[]): string {
  return 'snap_' + sha256(canonicalJson({ format: 1, repos })).slice(0, 16);
}

function sealOf(manifest: Omit<SnapshotManifest, 'seal'>): string {
  return sha256(canonicalJson(manifest));
}

export interface CreateSnapshotOptions {
  message?: string;
  campaign?: string;
  parallelism?: number;
  progress?: ProgressSink;
  /** Checked before each repo's capture and once before the first pin: cancelled → nothing written. */
  cancel?: CancelToken;
  /** Filled with each repo's capture time in ms (the time budget's report). */
  timings?: Map<string, number>;
}

/**
 * Captures every repo, then pins the objects of each under `refs/codecontext/snapshots/<id>` and
 * writes the manifest. Capture of every repo happens before any pin, so a refused repo (mid-merge,
 * locked…) leaves no ref and no manifest anywhere.
 */
export async function createSnapshot(store: Store, repoPaths: readonly string[], options: CreateSnapshotOptions = {}): Promise<SavedSnapshot> {
  return saveSnapshot(store, await captureRepos(repoPaths, options), options);
}

/** Every repo's state (sorted by path, deduplicated), nothing written: what createSnapshot saves. */
export async function captureRepos(repoPaths: readonly string[], options: CreateSnapshotOptions = {}): Promise<RepoSnapshot[]> {
  if (repoPaths.length === 0) throw new EngineError('NoRepositories', 'no git repositories to snapshot');
  const paths = [...new Set(repoPaths)].sort();
  const parallelism = options.parallelism ?? defaultParallelism;
  const captured = phaseCounter(options.progress, 'capture', paths.length);
  const repos = await mapLimit(largestFirst(paths), parallelism, async (p) => {
    throwIfCancelled(options.cancel);
    const started = Date.now();
    const state = await captureRepoState(p);
    options.timings?.set(p, Date.now() - started);
    captured(p);
    return { path: p, ...state };
  });
  return repos.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The repos in the order their captures should start: the largest index first, so a repo of
 * 100,000 files beside small ones runs while they do instead of after them (its capture is most of
 * the wall time, issue 24, item 4). The size is a guess from one stat of `.git/index` (0 when the
 * git dir is elsewhere or there is no index): only the order depends on it.
 */
function largestFirst(paths: readonly string[]): string[] {
  const indexSize = (p: string): number => {
    try {
      return fs.statSync(path.join(p, '.git', 'index'), { throwIfNoEntry: false })?.size ?? 0;
    } catch {
      return 0; // .git is a file (a linked worktree) or unreadable: the capture will say what is wrong
    }
  };
  const size = new Map(paths.map((p) => [p, indexSize(p)]));
  return [...paths].sort((a, b) => size.get(b)! - size.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Pins already-captured states and writes their manifest (content-addressed: the same states give
 * the same id, and an intact manifest of that id is reused). Used by createSnapshot and by a
 * rollback's prepare phase, which captures under its own locks.
 */
export async function saveSnapshot(store: Store, captured: readonly RepoSnapshot[], options: CreateSnapshotOptions = {}): Promise<SavedSnapshot> {
  const repos = [...captured].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  throwIfCancelled(options.cancel);
  const id = contentId(repos);
  const existing = await readManifest(store, id).catch(() => undefined);
  const pinned = phaseCounter(options.progress, 'pin', repos.length);
  const made: string[] = [];
  await mapLimit(repos, options.parallelism ?? defaultParallelism, async (r) => {
    const ref = await pinState(r, id);
    if (ref) made.push(ref);
    faultPoint('pin');
    pinned(r.path);
  });
  if (existing && checkManifest(existing) === undefined) return { ...(await noteOn(store, existing, options)), reused: true };
  const body: Omit<SnapshotManifest, 'seal'> = {
    format: 1,
    id,
    repos,
    createdAt: new Date().toISOString(),
    message: options.message,
    campaign: options.campaign,
    toolVersion,
  };
  const manifest: SnapshotManifest = { ...body, seal: sealOf(body) };
  faultPoint('manifest');
  try {
    await store.writeJson(`${folder}/${id}.json`, manifest);
  } catch (e) {
    // no manifest, no snapshot: the pins made for it go too, rather than stay behind unexplained
    for (const ref of made) fs.rmSync(ref, { force: true });
    const err = asEngineError(e);
    throw new EngineError(err.code, `the store cannot be written (${err.message}); no snapshot was made`, undefined, err.path ?? store.dir, { cause: e });
  }
  return manifest;
}

/**
 * The same states saved again under other words: the existing snapshot keeps its id (content
 * addressing) and gains the words as a note, so "before lunch" can be found by that name. Words it
 * already carries add nothing. Re-read and resealed under a lock: two writers never lose a note.
 */
async function noteOn(store: Store, found: SnapshotManifest, options: CreateSnapshotOptions): Promise<SnapshotManifest> {
  const message = options.message?.trim();
  if (!message && !options.campaign) return found;
  return withFileLock(store.path(folder, `${found.id}.lock`), async () => {
    const m = await readManifest(store, found.id).catch(() => found);
    if (checkManifest(m) !== undefined) return found;
    const said = [{ message: m.message, campaign: m.campaign }, ...(m.notes ?? [])];
    if (said.some((n) => (n.message ?? '') === (message ?? '') && (!options.campaign || n.campaign === options.campaign))) return m;
    const note: SnapshotNote = {
      message: message || `filed under ${options.campaign}`,
      at: new Date().toISOString(),
      ...(options.campaign ? { campaign: options.campaign } : {}),
    };
    const { seal: _seal, ...rest } = m;
    const body: Omit<SnapshotManifest, 'seal'> = { ...rest, notes: [...(m.notes ?? []), note] };
    const updated: SnapshotManifest = { ...body, seal: sealOf(body) };
    await store.writeJson(`${folder}/${m.id}.json`, updated);
    return updated;
  });
}

/** Every name a snapshot goes by: its message, then its later notes. */
export function snapshotNames(s: Pick<SnapshotManifest, 'message' | 'notes'>): string[] {
  return [s.message, ...(s.notes ?? []).map((n) => n.message)].filter((m): m is string => !!m);
}

function throwIfCancelled(cancel: CancelToken | undefined): void {
  if (cancel?.cancelled) throw new EngineError('Cancelled', 'cancelled before anything was written');
}

/**
 * Pins a state so gc never drops it and `git log refs/codecontext/snapshots/<id>` shows it: a
 * commit (parent: HEAD; fixed identity and date, so the same state gives the same commit) whose
 * tree holds `index/` and `worktree/`. The two objects and the loose ref are written directly in
 * git's own formats — three process starts saved per repo, the largest share of a snapshot's time.
 */
/** Pins a snapshot's state; returns the ref file when it made a new one. */
async function pinState(repo: RepoSnapshot, id: string): Promise<string | undefined> {
  return pinStateAt(repo, snapshotRef(id), `codecontext snapshot ${id}`);
}

/**
 * Makes a repo state unreachable by gc no more: a commit whose tree holds the index and worktree
 * trees (its parent the head), under `ref`. What compensation and recovery capture before they
 * change a repo is pinned this way, in the repo itself, so it needs no room in the store.
 */
export async function pinStateAt(repo: RepoSnapshot, ref: string, message: string): Promise<string | undefined> {
  const layout = await repoLayout(repo.path);
  const objects = path.join(layout.commonDir, 'objects');
  const tree = writeLooseObject(
    objects,
    'tree',
    treeContent([
      ['40000', 'index', repo.index],
      // the ignore rules outside the worktree (repo/ignoreSources.ts), kept from gc like the rest
      ...(repo.ignoreRules ? [['40000', 'ignore-rules', repo.ignoreRules] as [string, string, string]] : []),
      ['40000', 'worktree', repo.worktree],
    ]),
  );
  const who = 'codecontext <codecontext@localhost> 0 +0000';
  const commitText = `tree ${tree}\n${repo.head ? `parent ${repo.head}\n` : ''}author ${who}\ncommitter ${who}\n\n${message}\n`;
  const commit = writeLooseObject(objects, 'commit', Buffer.from(commitText));
  const refFile = path.join(layout.commonDir, ...ref.split('/'));
  // the same states pinned again (a rollback's safety snapshot, repeated): the ref already says it
  const before = readText(refFile);
  if (before === `${commit}\n`) return undefined;
  fs.mkdirSync(path.dirname(refFile), { recursive: true });
  const temp = `${refFile}.${randomHex(4)}.tmp`;
  fs.writeFileSync(temp, `${commit}\n`);
  fs.renameSync(temp, refFile);
  return before === undefined ? refFile : undefined;
}

async function readManifest(store: Store, id: string): Promise<SnapshotManifest> {
  const manifest = await store.readJson<SnapshotManifest>(`${folder}/${id}.json`).catch((e) => {
    // A manifest edited into invalid JSON was tampered with like any other edit.
    if (e instanceof EngineError && e.code === 'StoreCorrupt' && /not valid JSON/.test(e.message)) {
      throw new EngineError('TamperedManifest', 'snapshot manifest was modified: it is no longer valid JSON', undefined, store.path(folder, `${id}.json`));
    }
    throw e;
  });
  if (!manifest) throw new EngineError('UnknownId', `no such snapshot: ${id}`);
  return manifest;
}

/** Why a manifest from elsewhere (an export, a remote) cannot be trusted, or undefined when its id and seal match its content. */
export function checkSnapshotManifest(m: SnapshotManifest): string | undefined {
  return checkManifest(m);
}

/** Why a manifest cannot be trusted, or undefined when its id and seal match its content. */
function checkManifest(m: SnapshotManifest): string | undefined {
  if (!m || m.format !== 1 || !Array.isArray(m.repos)) return 'not a snapshot manifest';
  // whatever the seal says (anyone who can write the store can reseal): each repo once, by an absolute, normalised path
  const seen = new Set<string>();
  for (const r of m.repos) {
    if (typeof r?.path !== 'string' || !path.isAbsolute(r.path) || path.normalize(r.path) !== r.path)
      return `it names a repo that is not an absolute path: ${JSON.stringify(r?.path)}`;
    if (seen.has(r.path)) return `it names ${r.path} twice`;
    seen.add(r.path);
  }
  const { seal, ...body } = m;
  if (contentId(m.repos) !== m.id) return `its content no longer matches its id ${m.id}`;
  if (sealOf(body) !== seal) return 'its content no longer matches its seal';
  return undefined;
}

/**
 * Loads a snapshot by id or unique prefix. Every use of a snapshot goes through here, so an edited
 * manifest is rejected everywhere with the same error.
 */
export async function loadSnapshot(store: Store, given: string): Promise<SnapshotManifest> {
  const id = await resolveId(store, folder, 'snap', given);
  const manifest = await readManifest(store, id);
  const problem = checkManifest(manifest);
  if (problem || manifest.id !== id) {
    throw new EngineError(
      'TamperedManifest',
      `snapshot manifest was modified: ${problem ?? 'its file name does not match its id'}`,
      undefined,
      store.path(folder, `${id}.json`),
    );
  }
  return manifest;
}

/** Every snapshot of the store, newest first; a manifest read again only when its file changed. */
export async function listSnapshots(store: Store): Promise<SnapshotSummary[]> {
  const listed = await summariesOf(store, folder, '.json', async (name): Promise<SnapshotSummary> => {
    const m = await store.readJson<SnapshotManifest>(`${folder}/${name}`).catch(() => undefined);
    const id = name.slice(0, -'.json'.length);
    return {
      id,
      createdAt: m?.createdAt ?? '',
      message: m?.message,
      campaign: m?.campaign,
      ...(Array.isArray(m?.notes) && m.notes.length ? { notes: m.notes } : {}),
      repoCount: Array.isArray(m?.repos) ? m.repos.length : 0,
      valid: !!m && checkManifest(m) === undefined && m.id === id,
    };
  });
  return listed.map((x) => x.summary).sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
}

export interface RepoVerification {
  path: string;
  ok: boolean;
  problems: string[];
}

export interface SnapshotVerification {
  id: string;
  ok: boolean;
  repos: RepoVerification[];
}

/** Checks the manifest (id and seal) and that every repo still holds every object and the pin ref. */
export async function verifySnapshot(store: Store, given: string, parallelism = defaultParallelism): Promise<SnapshotVerification> {
  const manifest = await loadSnapshot(store, given);
  const repos = await mapLimit(manifest.repos, parallelism, async (r): Promise<RepoVerification> => {
    try {
      await repoLayout(r.path);
    } catch (e) {
      return { path: r.path, ok: false, problems: [(e as Error).message] };
    }
    const wanted = [r.index, r.worktree, ...(r.head ? [r.head] : []), snapshotRef(manifest.id)];
    const missing = await missingObjects(r.path, wanted);
    const problems = missing.map((m) => (m.startsWith('refs/') ? `pin ref ${m} is missing` : `object ${m} is missing`));
    return { path: r.path, ok: problems.length === 0, problems };
  });
  return { id: manifest.id, ok: repos.every((r) => r.ok), repos };
}
