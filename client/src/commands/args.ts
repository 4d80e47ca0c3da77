/**
 * How commands read their arguments. A command runs from the palette (no argument), a tree's context
 * menu (the node: its `snapshot`, `campaign`, `step`, `rollback` fields), or a test or another command
 * (an id string, then an options object such as `{ confirm: false }`).
 */

type Field = 'snapshot' | 'campaign' | 'rollback';
const prefixes: Record<Field, string> = { snapshot: 'snap_', campaign: 'camp_', rollback: 'rb_' };

/** The id of `field` carried by `arg`: a string with the right prefix, or an object's field of that name. */
export function idArg(arg: unknown, field: Field): string | undefined {
  if (typeof arg === 'string') return arg.startsWith(prefixes[field]) || (field === 'campaign' && !/^(snap|rb)_/.test(arg)) ? arg || undefined : undefined;
  if (arg && typeof arg === 'object') {
    const v = (arg as Record<string, unknown>)[field];
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

/** A 1-based step carried by a step node or `{ step }`. */
export function stepArg(arg: unknown): number | undefined {
  const v = arg && typeof arg === 'object' ? (arg as Record<string, unknown>).step : undefined;
  return typeof v === 'number' && v > 0 ? v : undefined;
}

/** The options object among the arguments (the last plain object that is not a tree node). */
export function optionsArg<T extends object>(args: readonly unknown[]): Partial<T> {
  for (let i = args.length - 1; i >= 0; i--) {
    const a = args[i];
    if (a && typeof a === 'object' && !('kind' in a) && !Array.isArray(a)) return a as Partial<T>;
  }
  return {};
}
