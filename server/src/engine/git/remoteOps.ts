import { spawn } from 'child_process';
import * as path from 'path';
import { EngineError } from '../util/errors';
import { configEntries } from './conversion';
import { environment } from './gitRunner';
import { repoLayout } from './repoLayout';
import { readText } from '../util/quickFs';

/**
 * git talking to a remote: `fetch`, `ls-remote`, `push`. Not through the long-lived shells of
 * gitRunner: a remote can take any time to answer, or none, and a shell waiting on it would hold a
 * slot every local command needs. Each call is a process of its own, in a session of its own (no
 * controlling terminal, so neither git nor ssh can stop to ask for a password: git's prompt is off,
 * and ssh without a terminal fails at once), killed with its children when it outlives its time.
 *
 * Credentials are whatever git is configured with (credential helpers, an ssh agent); we never
 * read, store or print them. Every line we keep of a remote's answer goes through `stripCredentials`.
 */

export const defaultRemoteTimeoutMs = 120_000;

export interface RemoteCallOptions {
  timeoutMs?: number;
}

export interface RemoteResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  timedOut: boolean;
}

let remoteCalls = 0;
/** How many remote git processes this process started (the bench's processes per repo). */
export function remoteCallCount(): number {
  return remoteCalls;
}

/** Runs `git <args>` in `repo` against a remote; resolves with whatever it said, whatever its exit. */
export function remoteGit(repo: string, args: readonly string[], options: RemoteCallOptions = {}): Promise<RemoteResult> {
  const timeoutMs = options.timeoutMs ?? (Number(process.env.CODECONTEXT_REMOTE_TIMEOUT_MS) || defaultRemoteTimeoutMs);
  remoteCalls++;
  return new Promise((resolve) => {
    const child = spawn('git', args as string[], {
      cwd: repo,
      env: { ...environment(), GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let spawnError = '';
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL'); // the group: git, its ssh or remote-http helper
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => (spawnError = String(e)));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: stripCredentials(spawnError || Buffer.concat(err).toString('utf8')),
        exitCode: spawnError ? null : code,
        timedOut,
      });
    });
  });
}

/** A URL without the user name and password it may carry (`https://user:token@host/x` → `https://host/x`). */
export function stripCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1');
}

/**
 * Where `remote` of `repo` pushes, credentials stripped: its `pushurl`, else its `url`; a name git
 * does not know is returned as it is. Read from the repo's own config file when it says (no
 * process); else from every config git reads. For the plan's words and the evidence only: git
 * itself resolves the remote when it pushes.
 */
export async function remoteUrl(repo: string, remote: string): Promise<string> {
  const own = urlInConfigFile(readText(path.join((await repoLayout(repo)).commonDir, 'config')) ?? '', remote);
  if (own !== undefined) return stripCredentials(own);
  const entries = await configEntries(repo);
  const find = (key: string) => entries.filter(([k]) => k === key).map(([, v]) => v ?? '')[0];
  const lower = `remote.${remote.toLowerCase()}`;
  return stripCredentials(find(`${lower}.pushurl`) ?? find(`${lower}.url`) ?? remote);
}

/** `pushurl`, else `url`, of `[remote "<name>"]` in a config file's text (undefined: not there, or written in a way this does not read). */
function urlInConfigFile(text: string, remote: string): string | undefined {
  let inside = false;
  const found: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const section = /^\[\s*([^\s\]"]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]/.exec(line);
    if (section) {
      inside = section[1].toLowerCase() === 'remote' && section[2]?.replace(/\\(.)/g, '$1') === remote;
      continue;
    }
    if (!inside) continue;
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*=\s*(.*)$/.exec(line);
    // a quoted value, an escape or a continued line: git's own reading is asked instead
    if (!kv || /["\\;#]/.test(kv[2])) {
      if (kv && /^(url|pushurl)$/i.test(kv[1])) return undefined;
      continue;
    }
    const key = kv[1].toLowerCase();
    if (key === 'url' || key === 'pushurl') found[key] = kv[2].trim();
  }
  return found.pushurl ?? found.url;
}

/** git's complaint in one line, without its `fatal:` prefix. */
export function remoteComplaint(r: RemoteResult, what: string): string {
  if (r.timedOut) return `${what}: no answer within ${Math.round((Number(process.env.CODECONTEXT_REMOTE_TIMEOUT_MS) || defaultRemoteTimeoutMs) / 1000)} s`;
  const line =
    r.stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !/^(To|From) /.test(l))
      .find((l) => /^(fatal|error|remote: error|ssh:|! )/.test(l)) ??
    r.stderr.split('\n').find((l) => l.trim() !== '') ??
    `exit ${r.exitCode}`;
  return `${what}: ${line.replace(/^(fatal|error): /, '').trim()}`;
}

/** The values of `refs` on `remote` as it answers now (absent: it has no such ref). */
export async function lsRemote(repo: string, remote: string, refs: readonly string[]): Promise<Map<string, string>> {
  const r = await remoteGit(repo, ['ls-remote', '--refs', '--', remote, ...refs]);
  if (r.exitCode !== 0) throw new EngineError('RemoteFailed', remoteComplaint(r, `could not list ${remote}`), repo);
  const found = new Map<string, string>();
  const wanted = new Set(refs);
  for (const line of r.stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const ref = line.slice(tab + 1);
    // ls-remote matches patterns by their tail: only the exact names asked count
    if (wanted.has(ref)) found.set(ref, line.slice(0, tab));
  }
  return found;
}

/** One ref update of a push: `to` null deletes it; `lease` is the value the remote must hold (null: must not have it). */
export interface RefUpdate {
  ref: string;
  lease: string | null;
  to: string | null;
}

export interface PushResult {
  ok: boolean;
  /** Per ref, git's flag and summary as `--porcelain` said it (`!` rejected, `=` up to date, … ). */
  refs: { ref: string; flag: string; summary: string }[];
  /** What git and the remote printed, credentials stripped, for the evidence. */
  output: string;
  /** Why it failed, in one line. */
  reason?: string;
}

/**
 * One `git push --atomic` of `updates` to `remote`: all or none, each under its own lease
 * (`--force-with-lease=<ref>:<expected>`, so a ref someone else moved is never overwritten). The
 * repo's own pre-push hook does not run (`--no-verify`): its content is not ours to run. Remote
 * hooks (pre-receive, update) run on the server, as for any push, and can refuse it.
 */
export async function pushAtomic(repo: string, remote: string, updates: readonly RefUpdate[], options: { dryRun?: boolean } = {}): Promise<PushResult> {
  const args = ['push', '--atomic', '--porcelain', '--no-verify', ...(options.dryRun ? ['--dry-run'] : [])];
  for (const u of updates) args.push(`--force-with-lease=${u.ref}:${u.lease ?? ''}`);
  args.push('--', remote, ...updates.map((u) => `${u.to ?? ''}:${u.ref}`));
  const r = await remoteGit(repo, args);
  const refs: PushResult['refs'] = [];
  for (const line of r.stdout.split('\n')) {
    // porcelain: <flag> \t <from>:<to> \t <summary> (<reason>)
    const m = /^(.)\t([^\t]*)\t(.*)$/.exec(line);
    if (!m) continue;
    const to = m[2].slice(m[2].lastIndexOf(':') + 1);
    refs.push({ ref: to, flag: m[1], summary: m[3] });
  }
  const output = stripCredentials([r.stdout.trim(), r.stderr.trim()].filter(Boolean).join('\n'));
  const ok = r.exitCode === 0 && refs.length > 0 && refs.every((x) => x.flag !== '!');
  if (ok) return { ok, refs, output };
  const rejected = refs.find((x) => x.flag === '!' && !/atomic push failed/.test(x.summary)) ?? refs.find((x) => x.flag === '!');
  const reason = rejected ? rejectionWords(rejected) : remoteComplaint(r, `push to ${remote} failed`);
  return { ok, refs, output, reason: remoteHookLine(r.stdout + r.stderr, r.stderr) ?? reason };
}

/** git's `[rejected] (stale info)` and the like, as a person would say it. */
function rejectionWords(x: { ref: string; summary: string }): string {
  if (/stale info/.test(x.summary))
    return `${x.ref} was moved by someone else since the plan; its lease refused the push (a push of theirs is never overwritten)`;
  if (/fetch first|non-fast-forward/.test(x.summary)) return `${x.ref} is ahead of what the plan saw (${x.summary})`;
  return `${x.ref}: ${x.summary}`;
}

/** The first line a remote hook printed (`remote: …`) when the push was declined by one. */
function remoteHookLine(all: string, stderr: string): string | undefined {
  if (!/hook declined|pre-receive hook|update hook/.test(all)) return undefined;
  const said = stderr
    .split('\n')
    .filter((l) => l.startsWith('remote: '))
    .map((l) => l.slice('remote: '.length).trim())
    .find((l) => l !== '');
  return `the remote's hook refused the push${said ? `: ${said}` : ''}`;
}

/** `git fetch --prune` of one remote; throws a one-line RemoteFailed. */
export async function fetchRemote(repo: string, remote: string): Promise<void> {
  const r = await remoteGit(repo, ['fetch', '--prune', '--quiet', '--no-write-fetch-head', '--', remote]);
  if (r.exitCode !== 0) throw new EngineError('RemoteFailed', remoteComplaint(r, `could not fetch ${remote}`), repo);
}
