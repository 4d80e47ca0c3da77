import * as fs from 'fs';

/** Whether a process of this host runs: signal 0 checks without sending anything (EPERM: it runs, as another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When a process started, as Linux counts it (clock ticks since boot, /proc/<pid>/stat field 22),
 * or undefined where that cannot be read. A pid is reused once its process is gone: a name that
 * carries both (our temporary files) tells its owner from a later process with the same pid.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    // the command name (field 2) is in parentheses and may hold spaces or ')': count from the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return /^\d+$/.test(fields[19] ?? '') ? fields[19] : undefined;
  } catch {
    return undefined;
  }
}

let ownTag: string | undefined;
/** This process in a file name: `<pid>` and, where it can be read, `-t<start time>` (see `processStartTime`). */
export function processTag(): string {
  if (ownTag === undefined) {
    const start = processStartTime(process.pid);
    ownTag = start ? `${process.pid}-t${start}` : String(process.pid);
  }
  return ownTag;
}

/**
 * Whether the process that named a file `<prefix><pid>[-t<start>]-…` still runs: its pid alive and,
 * when the name carries a start time, the process with that pid the same one (not a later process
 * the pid was given to).
 */
export function ownerAlive(pid: number, start: string | undefined): boolean {
  if (!isAlive(pid)) return false;
  if (start === undefined) return true;
  const now = processStartTime(pid);
  return now === undefined || now === start;
}
