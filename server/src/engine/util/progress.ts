import { plural } from './words';

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

/**
 * What each phase is doing, in words a user knows: the engine's phase names ("pin", "capture") are
 * its own. A phase not listed here (a new one) reads as "Working".
 */
const phaseWords: Record<string, string> = {
  discover: 'Finding the repos',
  plan: 'Comparing the repos with the target',
  capture: 'Reading the repos',
  pin: 'Saving the snapshot',
  run: 'Running the command',
  prepare: 'Checking the repos before changing them',
  commit: 'Restoring the files',
  verify: 'Checking the result',
};

/**
 * One progress event as a person reads it: "Saving the snapshot (6 of 6 repos)". The repo that just
 * finished is left out on purpose: it changes many times a second and says nothing about what is
 * still to do. The CLI's progress line and the server's `$/progress` messages both say this.
 */
export function progressWords(e: Pick<ProgressEvent, 'phase' | 'done' | 'total'>): string {
  const what = phaseWords[e.phase] ?? 'Working';
  return e.total > 0 ? `${what} (${e.done} of ${plural(e.total, 'repo')})` : what;
}
