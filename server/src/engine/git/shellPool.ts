import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import * as crypto from 'crypto';

/**
 * Long-lived shells that start git for us. Node starts every child process on its main thread,
 * where each start costs milliseconds; a small shell that is already running forks git for a
 * fraction of that, and several shells fork in parallel on separate cores (`npm run bench` shows it:
 * its floorSpawn row, one spawn per command, against its floor row, started through these shells).
 *
 * Each shell runs one command at a time. Its script ends every command with a line carrying the
 * exit code and a random marker, on stdout and on stderr, so the raw bytes git printed are
 * handed back unchanged; stdin always comes from a pipe we fill or from /dev/null, never from the
 * shell's own script.
 */

export interface ShellJob {
  cwd: string;
  args: readonly string[];
  /** Extra variables for this command only. */
  env: Record<string, string>;
  input?: Buffer;
  /**
   * Takes stdout as it arrives, for output as large as the repo: the result's stdout is then
   * empty. Must not throw.
   */
  onData?: (chunk: Buffer) => void;
}

export interface ShellResult {
  stdout: Buffer;
  stderr: string;
  /** null when the shell itself died under the command. */
  exitCode: number | null;
}

/** Inputs above this go to a process of their own: a shell literal that long is slow to parse. */
export const maxShellInput = 256 * 1024;

interface Pending {
  job: ShellJob;
  resolve: (r: ShellResult) => void;
}

class Shell {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly marker = crypto.randomBytes(12).toString('hex');
  private readonly outEnd: Buffer;
  private readonly errEnd: Buffer;
  private out = new Collector();
  private err = new Collector();
  private current: Pending | undefined;
  dead = false;

  constructor(
    env: NodeJS.ProcessEnv,
    private readonly onIdle: (shell: Shell) => void,
  ) {
    this.outEnd = Buffer.from(` ${this.marker}\n`);
    this.errEnd = Buffer.from(`\n${this.marker}\n`);
    this.child = spawn('/bin/sh', [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (b: Buffer) => {
      this.out.push(b, this.current?.job.onData);
      this.settleIfDone();
    });
    this.child.stderr.on('data', (b: Buffer) => {
      this.err.push(b);
      this.settleIfDone();
    });
    this.child.stdin.on('error', () => undefined);
    this.child.on('error', () => this.die());
    this.child.on('close', () => this.die());
    this.ref(false);
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  run(pending: Pending): void {
    this.current = pending;
    this.ref(true);
    const { job } = pending;
    const env = Object.entries(job.env)
      .map(([k, v]) => `${k}=${quote(v)} `)
      .join('');
    const stdin = job.input && job.input.length > 0 ? `printf ${formatLiteral(job.input)} | ` : '';
    const redirect = stdin ? '' : ' </dev/null';
    const command = `${env}git ${job.args.map(quote).join(' ')}${redirect}`;
    // `cd -P` so git sees the physical path, as it would with a spawn's cwd
    this.child.stdin.write(`cd -P -- ${quote(job.cwd)} && ${stdin}${command}\n` + `printf '\\n%d ${this.marker}\\n' $?; printf '\\n${this.marker}\\n' >&2\n`);
  }

  private settleIfDone(): void {
    if (!this.current || !this.out.endsWith(this.outEnd) || !this.err.endsWith(this.errEnd)) return;
    const outAll = this.out.take();
    const errAll = this.err.take();
    // stdout ends "\n<code> <marker>\n"; the "\n" before the code is ours, not git's
    const codeStart = outAll.lastIndexOf(0x0a, outAll.length - this.outEnd.length - 1);
    const exitCode = Number(outAll.subarray(codeStart + 1, outAll.length - this.outEnd.length).toString());
    let stdout = outAll.subarray(0, codeStart);
    const stderr = errAll.subarray(0, errAll.length - this.errEnd.length).toString('utf8');
    const { resolve, job } = this.current;
    if (job.onData) {
      if (stdout.length > 0) job.onData(stdout);
      stdout = Buffer.alloc(0);
    }
    this.current = undefined;
    this.idle();
    resolve({ stdout, stderr, exitCode });
  }

  private die(): void {
    if (this.dead) return;
    this.dead = true;
    const pending = this.current;
    this.current = undefined;
    pending?.resolve({ stdout: Buffer.alloc(0), stderr: 'the git shell exited', exitCode: null });
    this.onIdle(this);
  }

  private idle(): void {
    this.ref(false);
    this.onIdle(this);
  }

  /** An idle shell must not keep the process alive; a busy one must, or a CLI would exit mid-command. */
  private ref(on: boolean): void {
    for (const handle of [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as unknown as { ref(): void; unref(): void }[]) {
      if (on) handle.ref();
      else handle.unref();
    }
  }
}

/**
 * Bytes of one stream, with a cheap check of how they end. Streamed (`onData`), it hands on all
 * but the last bytes as they come, holding back enough that the end line (exit code and marker)
 * is never handed on: `take` returns what was held.
 */
class Collector {
  private chunks: Buffer[] = [];
  private tail = Buffer.alloc(0);

  push(b: Buffer, onData?: (chunk: Buffer) => void): void {
    this.tail = Buffer.concat([this.tail, b]).subarray(-64);
    if (!onData) {
      this.chunks.push(b);
      return;
    }
    const held = this.chunks.length ? Buffer.concat([...this.chunks, b]) : b;
    // 64: more than "\n<exit code> <marker>\n"
    if (held.length <= 64) {
      this.chunks = [held];
      return;
    }
    onData(held.subarray(0, held.length - 64));
    // a copy: a slice would keep the whole chunk alive
    this.chunks = [Buffer.from(held.subarray(held.length - 64))];
  }

  endsWith(end: Buffer): boolean {
    return this.tail.length >= end.length && this.tail.subarray(this.tail.length - end.length).equals(end);
  }

  take(): Buffer {
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    this.tail = Buffer.alloc(0);
    return all;
  }
}

/** A pool of shells, at most `size`, made on demand; jobs wait in order for a free one. */
export class ShellPool {
  private readonly shells: Shell[] = [];
  private readonly queue: Pending[] = [];

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly size: number,
  ) {}

  run(job: ShellJob): Promise<ShellResult> {
    return new Promise((resolve) => {
      this.queue.push({ job, resolve });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (let i = this.shells.length - 1; i >= 0; i--) if (this.shells[i].dead) this.shells.splice(i, 1);
    while (this.queue.length > 0) {
      let shell = this.shells.find((s) => !s.busy);
      if (!shell) {
        if (this.shells.length >= this.size) return;
        shell = new Shell(this.env, () => this.dispatch());
        this.shells.push(shell);
        if (shell.dead) continue;
      }
      shell.run(this.queue.shift()!);
    }
  }
}

/** A word for the shell: single quotes, with each `'` closed, escaped and reopened. */
function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A printf format that prints exactly `bytes`: every byte outside plain ASCII as an octal escape. */
function formatLiteral(bytes: Buffer): string {
  // one pass of a regex over the bytes as Latin-1 text: no string or array per byte (an input of
  // 256 KB, a batch of object ids, once made ~8 MB of garbage)
  const escaped = bytes.toString('latin1').replace(/[^\x20-\x7e]|['\\%]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
  // a leading "-" would read as an option
  return `'${escaped.startsWith('-') ? '\\055' + escaped.slice(1) : escaped}'`;
}
