import * as fs from 'fs';

/**
 * Fault injection for the crash and retry tests, read only from the environment; unset in normal
 * use, where every check below is a no-op.
 *
 * `CODECONTEXT_FAULTS` (comma-separated): `crash-after-prepare`, `crash-after-commit=N` (after
 * the Nth repo's commit), `crash-after-push=N` (after the Nth remote's push), `crash-before-verify`, `lock-flaky=P` (each lock attempt fails as if
 * held with probability P), `kill-at=POINT#N` (SIGKILL at the Nth time POINT is reached),
 * `rename-ebusy=P` (a file rename fails with EBUSY with probability P, as on a busy Windows
 * share), `fsync-slow=MS` (every journal sync takes MS longer).
 * `CODECONTEXT_FAULT_TRACE=FILE` appends every point reached, as `POINT#N`, one per line: the
 * crash matrix runs a scenario once with it to learn its points, then kills at each.
 */
function faults(): Map<string, string> {
  const spec = process.env.CODECONTEXT_FAULTS ?? '';
  return new Map(
    spec
      .split(',')
      .filter(Boolean)
      .map((f) => {
        const [k, v] = f.split('=');
        return [k.trim(), (v ?? '').trim()];
      }),
  );
}

/** Kills this process on the spot (no cleanup, no flush) when the named fault is set. */
export function crashPoint(name: 'crash-after-prepare' | 'crash-before-verify' | 'crash-after-commit' | 'crash-after-push', count?: number): void {
  const f = faults();
  if (!f.has(name)) return;
  if (count !== undefined && Number(f.get(name)) !== count) return;
  process.kill(process.pid, 'SIGKILL');
}

/** True when an injected transient lock failure should happen now. */
export function lockFlake(): boolean {
  const p = Number(faults().get('lock-flaky') ?? 0);
  return p > 0 && Math.random() < p;
}

const reached = new Map<string, number>();
let killAt: string | undefined | null = null;

/**
 * A named moment of work where a crash must leave everything recoverable: after each journal or
 * run-log entry is durable (`append:<entry>`), between file operations (`fileop`), between the
 * pins and the manifest of a snapshot (`pin`, `manifest`), between the writes of a checkpoint.
 */
export function faultPoint(point: string): void {
  if (killAt === null) killAt = faults().get('kill-at');
  const trace = process.env.CODECONTEXT_FAULT_TRACE;
  if (killAt === undefined && !trace) return;
  const n = (reached.get(point) ?? 0) + 1;
  reached.set(point, n);
  if (trace) fs.appendFileSync(trace, `${point}#${n}\n`);
  if (killAt === `${point}#${n}`) process.kill(process.pid, 'SIGKILL');
}

/** Throws EBUSY now and then when `rename-ebusy` is set: the stress run's transient rename failure. */
export function renameFault(): void {
  const p = Number(faults().get('rename-ebusy') ?? 0);
  if (p > 0 && Math.random() < p) throw Object.assign(new Error('EBUSY: resource busy or locked, rename (injected)'), { code: 'EBUSY' });
}

/** Waits when `fsync-slow` is set: a disk whose syncs are slow. */
export async function syncFault(): Promise<void> {
  const ms = Number(faults().get('fsync-slow') ?? 0);
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

/**
 * `pause-after-prepare=FILE`: the transaction writes `FILE.waiting` once prepared and waits until
 * FILE exists, so a test can act (push from another clone, kill a server) between prepare and commit;
 * `pause-after-push=FILE`, the same once the first remote's push is in.
 */
export async function pausePoint(name: 'pause-after-prepare' | 'pause-after-push'): Promise<void> {
  const file = faults().get(name);
  if (!file) return;
  fs.writeFileSync(`${file}.waiting`, String(process.pid));
  while (!fs.existsSync(file)) await new Promise((r) => setTimeout(r, 20));
}
