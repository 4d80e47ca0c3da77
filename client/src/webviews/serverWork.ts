import { getClient, onDidChangeRunning } from '../serverClient';

/**
 * Resolves once the server runs (at once if it does), so a panel opened while the extension is still
 * starting loads instead of failing; after `timeoutMs` it resolves anyway and the caller's request
 * reports "the server is not running".
 */
export function whenServerRunning(timeoutMs = 30_000): Promise<void> {
  if (getClient()) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      listening.dispose();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    const listening = onDidChangeRunning((running) => running && done());
  });
}
