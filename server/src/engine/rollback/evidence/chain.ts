import * as fs from 'fs';
import * as path from 'path';
import { withFileLock } from '../../store/fileLock';
import { readBoundedText } from '../../store/boundedRead';
import { Store, writeFileAtomic } from '../../store/store';

/**
 * The store's evidence packs as one chain: every pack records the digest of the pack written
 * before it (`previous`), and `rollbacks/.chain-head.json` names the newest (the head) and the
 * first (the genesis). A digest alone proves a pack was not edited after it was written (unless
 * whoever edited it recomputed the digest); the chain also shows a pack deleted from the middle,
 * replaced by another, or moved out of order, since its successor still names the digest it had;
 * and a pack copied in from another store, which no link of this store's chain reaches.
 */
export interface ChainLink {
  id: string;
  digest: string;
}

/**
 * The head file: the head's link at the top level (as stores written before the genesis was kept
 * read it), and the genesis, absent in those stores until their next pack.
 */
interface ChainState extends ChainLink {
  genesis?: ChainLink;
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
      const state = await readState(store);
      const previous = state && { id: state.id, digest: state.digest };
      const link = await write(previous);
      // the first pack is the genesis, and stays it when it is written again (recovery finishing it)
      const genesis = !state || state.genesis?.id === link.id ? link : state.genesis;
      const next: ChainState = { id: link.id, digest: link.digest, ...(genesis ? { genesis: { id: genesis.id, digest: genesis.digest } } : {}) };
      await writeFileAtomic(headFile(store), JSON.stringify(next) + '\n');
      return link;
    },
    10_000,
    'the evidence chain',
  );
}

const isLink = (l: unknown): l is ChainLink => typeof (l as ChainLink)?.id === 'string' && typeof (l as ChainLink).digest === 'string';

async function readState(store: Store): Promise<ChainState | undefined> {
  try {
    const state = JSON.parse(await readBoundedText(headFile(store), { limit: 64 * 1024, what: 'the evidence chain head', regularOnly: true })) as ChainState;
    if (!isLink(state)) return undefined;
    return { id: state.id, digest: state.digest, ...(isLink(state.genesis) ? { genesis: state.genesis } : {}) };
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
 * the one after it (reordered), a pack whose own digest fails, a first pack that is not the
 * store's genesis, and every pack no link reaches, with a `previous` or without (copied in from
 * another store, whose first pack has none).
 */
export async function verifyChain(store: Store, packs: readonly ChainPack[]): Promise<ChainCheck> {
  const problems: string[] = [];
  const byId = new Map(packs.map((p) => [p.id, p]));
  const state = await readState(store);
  const walked: string[] = [];
  const seen = new Set<string>();
  let link: ChainLink | undefined = state && { id: state.id, digest: state.digest };
  let after: ChainPack | undefined;
  let broken = false;
  if (!state && packs.length) problems.push('the chain head (rollbacks/.chain-head.json) is missing');
  while (link) {
    const pack = byId.get(link.id);
    const from = after ? `${after.id} names` : 'the head names';
    if (!pack) {
      problems.push(`${from} ${link.id} before it, which is gone: deleted from the store`);
      broken = true;
      break;
    }
    if (seen.has(pack.id)) {
      problems.push(`${pack.id} appears twice in the chain: the links were rewritten`);
      broken = true;
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
  const genesis = state?.genesis;
  if (genesis && after && !broken && (after.id !== genesis.id || after.digest !== genesis.digest))
    problems.push(`the chain begins at ${after.id}, but this store's began at ${genesis.id}: the packs before it were cut off, or replaced`);
  for (const p of packs) {
    if (seen.has(p.id)) continue;
    problems.push(
      p.previous
        ? `${p.id} is chained to ${p.previous.id} but no pack after it links to it: put in, or the chain was cut after it`
        : `${p.id} is on no link of this store's chain (and names no pack before it): copied in from another store`,
    );
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
