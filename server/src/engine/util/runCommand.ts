import { spawn } from 'child_process';
import { OrphanGuard } from './orphanGuard';

/** How a command run in a repo ended: the exit code (127: could not start; 128: killed), the output's end, the time. */
export interface CommandResult {
  exitCode: number;
  /** The last bytes of stdout and stderr together. */
  outputTail: string;
  durationMs: number;
  timedOut: boolean;
}

const tailBytes = 4000;

/**
 * Runs `argv` (no shell) in `cwd` with `$CODECONTEXT_REPO` set, in a process group of its own: a
 * campaign command or a rollback's check. `guard` (a campaign run's) kills the group if we die;
 * `timeoutMs` kills it, group and all, when it runs too long.
 */
export function runCommand(
  cwd: string,
  argv: readonly string[],
  options: { guard?: OrphanGuard; timeoutMs?: number; onSpawn?: (pid: number) => void } = {},
): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let tail = Buffer.alloc(0);
    const keep = (b: Buffer) => {
      tail = Buffer.concat([tail, b]);
      if (tail.length > tailBytes * 2) tail = tail.subarray(tail.length - tailBytes);
    };
    const child = spawn(argv[0], argv.slice(1), {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CODECONTEXT_REPO: cwd },
      ...OrphanGuard.spawnOptions,
    });
    options.guard?.watch(child);
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            try {
              if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
            } catch {
              child.kill('SIGKILL');
            }
          }, options.timeoutMs);
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let spawnError: string | undefined;
    child.on('error', (e) => (spawnError = e.message));
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        exitCode: spawnError ? 127 : (code ?? (signal ? 128 : 1)),
        outputTail: spawnError ? `cannot run ${argv[0]}: ${spawnError}` : tail.subarray(Math.max(0, tail.length - tailBytes)).toString('utf8'),
        durationMs: Date.now() - started,
        timedOut,
      });
    });
  });
}
