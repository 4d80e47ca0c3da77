import * as fs from 'fs';
import * as path from 'path';
import { withFileLock } from '../../store/fileLock';
import { Store, writeFileAtomic } from '../../store/store';

/**
 * The store's evidence packs as one chain: every pack records the digest of the pack written
 * before it (`previous`), and `rollbacks/.chain-head.json` names the newest. A digest alone proves
 * a pack was not edited after it was written (unless whoever edited it recomputed the digest);
 * the chain also shows a pack deleted from the middle, replaced by another, or moved out of order,
 * since its successor still names the digest it had.
 */
export interface ChainLink {
  id: string;
  digest: string;
}

const headFile = (store: Store) => store.path('rollbacks', '.chain-head.json');
const lockFile = (store: Store) => store.path('rollbacks', '.chain.lock');

/**
 * Runs `write` with the current head as the new pack's `previous` (undefined for the first), then
 * makes the new pack the head. Serialised, so two rollbacks finishing at once cannot both claim the
 * same predecessor. `write` returns the link of the pack it wrote.
 */
export async function appendToChain(store: Store, write: (previous: ChainLink | undefined) => Promise<ChainLink>): Promise<ChainLink> {
  await fs.promises.mkdir(store.path('rollbacks'), { recursive: true });
  return withFileLock(
    lockFile(store),
    async () => {
      const previous = await readHead(store);
      const link = await write(previous);
      await writeFileAtomic(headFile(store), JSON.stringify(link) + '\n');
      return link;
    },
    10_000,
    'the evidence chain',
  );
}

async function readHead(store: Store): Promise<ChainLink | undefined> {
  try {
    const head = JSON.parse(await fs.promises.readFile(headFile(store), 'utf8')) as ChainLink;
    return typeof head?.id === 'string' && typeof head.digest === 'string' ? head : undefined;
  } catch {
    return undefined;
  }
}

export interface ChainPack {
  id: string;
  digest: string;
  startedAt: string;
  previous?: ChainLink;
  /** The pack's own digest checks out. */
  intact: boolean;
}

export interface ChainCheck {
  ok: boolean;
  /** Packs on the chain, newest first. */
  walked: string[];
  problems: string[];
}

/**
 * Walks the chain from the head back to its first pack, naming every break: a link to a pack that
 * is gone (deleted) or whose digest is not the one linked (replaced or edited), a pack older than
 * the one after it (reordered), a pack whose own digest fails, and a chained pack no link reaches.
 */
export async function verifyChain(store: Store, packs: readonly ChainPack[]): Promise<ChainCheck> {
  const problems: string[] = [];
  const byId = new Map(packs.map((p) => [p.id, p]));
  const head = await readHead(store);
  const walked: string[] = [];
  const seen = new Set<string>();
  let link = head;
  let after: ChainPack | undefined;
  if (!head && packs.some((p) => p.previous)) problems.push('the chain head (rollbacks/.chain-head.json) is missing');
  while (link) {
    const pack = byId.get(link.id);
    const from = after ? `${after.id} names` : 'the head names';
    if (!pack) {
      problems.push(`${from} ${link.id} before it, which is gone: deleted from the store`);
      break;
    }
    if (seen.has(pack.id)) {
      problems.push(`${pack.id} appears twice in the chain: the links were rewritten`);
      break;
    }
    seen.add(pack.id);
    walked.push(pack.id);
    if (pack.digest !== link.digest)
      problems.push(`${from} ${link.id} with digest ${link.digest.slice(0, 12)}, but it has ${pack.digest.slice(0, 12)}: replaced or edited`);
    if (!pack.intact) problems.push(`${pack.id}: its digest does not match its content: edited after it was written`);
    if (after && pack.startedAt > after.startedAt) problems.push(`${pack.id} started after ${after.id}, which names it as its predecessor: reordered`);
    after = pack;
    link = pack.previous;
  }
  for (const p of packs) {
    if (!seen.has(p.id) && p.previous)
      problems.push(`${p.id} is chained to ${p.previous.id} but no pack after it links to it: put in, or the chain was cut after it`);
  }
  return { ok: problems.length === 0, walked, problems };
}

/** Every evidence pack file of the store. */
export async function evidenceFiles(store: Store): Promise<string[]> {
  const dir = store.path('rollbacks');
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^rb_[0-9a-f]+$/.test(n))
    .map((n) => path.join(dir, n, `evidence-${n}.json`))
    .filter((f) => fs.existsSync(f));
}
