import { ChildProcess, spawn } from 'child_process';

/**
 * Commands a campaign run starts must not outlive it: a `kill -9` of codecontext would leave them
 * editing repos with nobody recording what they do. Each command runs in a process group of its
 * own, and a small watchdog process holds a pipe from us: when the pipe closes without a goodbye
 * (we died), it kills every group still running, SIGTERM then SIGKILL.
 *
 * The watchdog is plain Node started from our own executable (inside VS Code, Electron run as
 * Node), so nothing is installed for it.
 */
const watchdogScript = `
const groups = new Set();
let buf = '';
let clean = false;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    const [op, pid] = line.split(' ');
    if (op === '+') groups.add(Number(pid));
    else if (op === '-') groups.delete(Number(pid));
    else if (op === 'bye') clean = true;
  }
});
process.stdin.on('end', () => {
  if (clean || groups.size === 0) process.exit(0);
  const kill = (sig) => { for (const g of groups) { try { process.kill(-g, sig); } catch {} } };
  kill('SIGTERM');
  setTimeout(() => { kill('SIGKILL'); process.exit(0); }, 2000);
});
`;

export class OrphanGuard {
  private readonly watchdog: ChildProcess | undefined;

  constructor() {
    try {
      this.watchdog = spawn(process.execPath, ['-e', watchdogScript], {
        stdio: ['pipe', 'ignore', 'ignore'],
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        detached: true, // its own group: a Ctrl-C to ours must not take it before it acts
      });
      this.watchdog.on('error', () => undefined);
      this.watchdog.stdin?.on('error', () => undefined);
      this.watchdog.unref();
    } catch {
      this.watchdog = undefined; // without a watchdog, the run log still lets recovery stop them
    }
  }

  /** Spawn options that put a command in a group of its own, which `watch` then covers. */
  static readonly spawnOptions = { detached: true } as const;

  watch(child: ChildProcess): void {
    if (child.pid === undefined) return;
    this.watchdog?.stdin?.write(`+ ${child.pid}\n`);
    child.once('close', () => this.watchdog?.stdin?.write(`- ${child.pid}\n`));
  }

  /** Every command has ended: the watchdog goes without killing anything. */
  close(): void {
    this.watchdog?.stdin?.end('bye\n');
  }
}

/** Kills process groups left by a run that was killed before its watchdog could (recovery's fallback). */
export function killGroups(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}
