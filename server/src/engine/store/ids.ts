import { EngineError } from '../util/errors';
import { Store } from './store';

export type IdKind = 'snap' | 'camp' | 'rb';

/**
 * Resolves a full id or a unique prefix of one (`snap_1a2b` for `snap_1a2b…`) among the files of
 * a store folder named `<id>.json`.
 */
export async function resolveId(store: Store, folder: string, kind: IdKind, given: string): Promise<string> {
  const wanted = given.startsWith(`${kind}_`) ? given : `${kind}_${given}`;
  if (!/^[a-z]+_[0-9a-f]+$/.test(wanted)) {
    throw new EngineError('UnknownId', `not a ${kind}_ id: ${given}`);
  }
  const ids = (await store.list(folder, '.json')).map((n) => n.slice(0, -'.json'.length));
  if (ids.includes(wanted)) return wanted;
  const matches = ids.filter((id) => id.startsWith(wanted));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) throw new EngineError('AmbiguousId', `${given} matches ${matches.length} ids: ${matches.slice(0, 3).join(', ')}…`);
  throw new EngineError('UnknownId', `no such ${kindName(kind)}: ${given}`);
}

function kindName(kind: IdKind): string {
  return kind === 'snap' ? 'snapshot' : kind === 'camp' ? 'campaign' : 'rollback';
}
