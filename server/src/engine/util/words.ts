/**
 * Counts in English, for every line a person reads (the CLI's text, the engine's error messages, the
 * server's progress): "1 file", "2 files", never "1 files" or "file(s)". The client has its own copy
 * (client/src/views/format.ts): it never imports the engine.
 */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
