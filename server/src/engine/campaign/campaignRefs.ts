import { configuredRemotes, readHead, readRefs, repoLayout } from '../git/repoLayout';
import { EngineError } from '../util/errors';
import { Store } from '../store/store';

/**
 * The refs of a campaign's repos at one checkpoint: which branches and tags the campaign created,
 * and where the remote-tracking branches stood, are told from these. Kept in the campaign's own
 * store files, never in a snapshot's states: a snapshot's id is the hash of its states, and
 * remote-tracking refs move with every fetch, so the same worktree would stop being the same state.
 */
export interface CheckpointRefs {
  format: 1;
  /** 0 is the baseline; n is the checkpoint after step n. */
  checkpoint: number;
  /**
   * Per repo (absolute path): `HEAD` (its commit), and every `refs/heads/*`, `refs/tags/*` and
   * `refs/remotes/*` with the object it names (a tag object for an annotated tag). A repo that
   * could not be read is absent.
   */
  repos: Record<string, Record<string, string>>;
  /** Per repo, the remotes its config names (`refs/remotes/<remote>/<branch>`: where the remote's name ends). */
  remotes?: Record<string, string[]>;
}

/** What a campaign records of each repo's refs. */
export const recordedPrefixes = ['refs/heads/', 'refs/tags/', 'refs/remotes/'] as const;

const refsFile = (id: string, checkpoint: number) => `campaigns/${id}/refs-${String(checkpoint).padStart(4, '0')}.json`;

/**
 * Reads every repo's refs from the filesystem (no git process) and writes them as checkpoint
 * `checkpoint` of campaign `id`. Written before the campaign file names the checkpoint: a crash
 * between leaves a file no step names, which the next checkpoint of that number replaces.
 */
export async function recordCheckpointRefs(store: Store, id: string, checkpoint: number, repos: readonly string[]): Promise<void> {
  const record: CheckpointRefs = { format: 1, checkpoint, repos: {}, remotes: {} };
  for (const repo of repos) {
    try {
      const layout = await repoLayout(repo);
      const head = await readHead(layout);
      const refs = readRefs(layout, recordedPrefixes);
      record.repos[repo] = { ...(head.head ? { HEAD: head.head } : {}), ...Object.fromEntries([...refs].sort(([a], [b]) => (a < b ? -1 : 1))) };
      const remotes = configuredRemotes(layout);
      if (remotes.length) record.remotes![repo] = remotes;
    } catch (e) {
      // a repo gone since its capture: the checkpoint records it as the capture did (unreachable), not its refs
      if (!(e instanceof EngineError)) throw e;
    }
  }
  await store.writeJson(refsFile(id, checkpoint), record);
}

/** The refs recorded at a checkpoint, or undefined for a campaign recorded before refs were (or a file not readable as one). */
export async function loadCheckpointRefs(store: Store, id: string, checkpoint: number): Promise<CheckpointRefs | undefined> {
  const found = await store.readJson<CheckpointRefs>(refsFile(id, checkpoint)).catch(() => undefined);
  if (!found || found.format !== 1 || found.checkpoint !== checkpoint || typeof found.repos !== 'object' || found.repos === null) return undefined;
  return found;
}
