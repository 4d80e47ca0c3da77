/**
 * Fault injection for the crash and retry tests, read only from `CODECONTEXT_FAULTS`
 * (comma-separated): `crash-after-prepare`, `crash-after-commit=N` (after the Nth repo's commit),
 * `crash-before-verify`, `lock-flaky=P` (each lock attempt fails as if held with probability P).
 * Unset in normal use, where every check below is a no-op.
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
export function crashPoint(name: 'crash-after-prepare' | 'crash-before-verify' | 'crash-after-commit', count?: number): void {
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
