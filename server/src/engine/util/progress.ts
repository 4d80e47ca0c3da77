/** How the engine reports long work; the CLI draws it on stderr, the server sends `$/progress`. */
export interface ProgressEvent {
  phase: string;
  done: number;
  total: number;
  repo?: string;
}

export type ProgressSink = (event: ProgressEvent) => void;

/** Checked between units of work; throws `Cancelled` when the caller gave up. */
export interface CancelToken {
  readonly cancelled: boolean;
}

/** Calls `sink` with a running count as each repo of a phase finishes. */
export function phaseCounter(sink: ProgressSink | undefined, phase: string, total: number): (repo?: string) => void {
  let done = 0;
  sink?.({ phase, done, total });
  return (repo) => sink?.({ phase, done: ++done, total, repo });
}
