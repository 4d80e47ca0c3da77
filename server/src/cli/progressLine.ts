import { ProgressEvent, progressWords } from '../engine/util/progress';

/**
 * Draws progress on one stderr line when stderr is a terminal, and stays silent otherwise, so
 * piped and --json output are never interleaved with it.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): { sink?: (e: ProgressEvent) => void; done: () => void } {
  if (!stream.isTTY) return { done: () => undefined };
  let drawn = false;
  let last = 0;
  const sink = (e: ProgressEvent) => {
    const now = Date.now();
    if (e.done !== e.total && now - last < 50) return;
    last = now;
    const width = stream.columns ?? 80;
    const text = progressWords(e);
    stream.write(`\r${text.slice(0, width - 1).padEnd(Math.min(width - 1, 60))}`);
    drawn = true;
  };
  return {
    sink,
    done: () => {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
