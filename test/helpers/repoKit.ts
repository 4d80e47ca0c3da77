import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * The one way tests make real git repos: a temp folder, `git init -b main`, a fixed identity and
 * fixed dates (so hashes are deterministic), no system config, no signing. Call `cleanup()` in an
 * `afterEach`; every folder made through a kit is removed there.
 */

export const gitEnv: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@example.com',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
  LC_ALL: 'C',
};
for (const k of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE']) delete gitEnv[k];

/**
 * The environment of a user's own shell, for tests of behaviour that depends on it: `gitEnv`
 * without any `GIT_CONFIG_*` variable (users set none, and the engine must not behave otherwise
 * when they are absent), with `home` as HOME, so `~/.gitconfig` and `~/.config/git/…` are the
 * test's own files. Pass it as `baseEnv` to `runCli`.
 */
export function userEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...gitEnv, HOME: home };
  for (const k of Object.keys(env)) if (k.startsWith('GIT_CONFIG')) delete env[k];
  delete env.XDG_CONFIG_HOME;
  return env;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).replace(/\n$/, '');
}

/** Runs git and returns its exit status and output without throwing. */
export function gitTry(cwd: string, ...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' });
  if (r.pid) spawnedPids.add(r.pid);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Every CLI process this test run started: leftovers are checked for these alone, since another
 * test run on the same machine kills processes of its own (and /dev/shm is machine-wide).
 */
export const spawnedPids = new Set<number>();

export class TestRepo {
  constructor(readonly dir: string) {}

  git(...args: string[]): string {
    return git(this.dir, ...args);
  }

  file(rel: string): string {
    return path.join(this.dir, rel);
  }

  write(rel: string, content: string | Buffer, mode?: number): this {
    const p = this.file(rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
    if (mode !== undefined) fs.chmodSync(p, mode);
    return this;
  }

  read(rel: string): Buffer {
    return fs.readFileSync(this.file(rel));
  }

  exists(rel: string): boolean {
    return fs.existsSync(this.file(rel)) || isSymlink(this.file(rel));
  }

  remove(rel: string): this {
    fs.rmSync(this.file(rel), { recursive: true, force: true });
    return this;
  }

  symlink(rel: string, target: string): this {
    const p = this.file(rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.rmSync(p, { force: true });
    fs.symlinkSync(target, p);
    return this;
  }

  commitAll(message = 'commit'): string {
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this.head();
  }

  /**
   * Commits exactly `files` (already written) on the current branch with `git fast-import`, which
   * writes one pack instead of a loose object per file, then `reset` refreshes the index from them.
   * Same result as `add` + `commit`, much faster for thousands of files.
   */
  commitFiles(files: Record<string, string>, message: string, onUnbornMain = false): void {
    const parent = onUnbornMain ? '' : gitTry(this.dir, 'rev-parse', '-q', '--verify', 'HEAD').stdout.trim();
    const ref = onUnbornMain ? 'refs/heads/main' : gitTry(this.dir, 'symbolic-ref', '-q', 'HEAD').stdout.trim() || 'HEAD';
    const data = (b: Buffer) => [Buffer.from(`data ${b.length}\n`), b, Buffer.from('\n')];
    const quote = (p: string) => (/^"|[\n"\\]/.test(p) ? JSON.stringify(p) : p);
    const stamp = `Test Author <author@example.com> ${Date.parse(gitEnv.GIT_COMMITTER_DATE!) / 1000} +0000`;
    const parts: Buffer[] = [Buffer.from(`commit ${ref}\nauthor ${stamp}\ncommitter ${stamp}\n`), ...data(Buffer.from(message + '\n'))];
    if (parent) parts.push(Buffer.from(`from ${parent}\n`));
    for (const [rel, content] of Object.entries(files)) {
      parts.push(Buffer.from(`M 100644 inline ${quote(rel)}\n`), ...data(Buffer.from(content)));
    }
    execFileSync('git', ['fast-import', '--quiet'], { cwd: this.dir, env: gitEnv, input: Buffer.concat(parts) });
    this.git('reset', '-q');
  }

  head(): string {
    return this.git('rev-parse', 'HEAD');
  }

  /** Everything a user would compare: HEAD, branch, staged entries, status, and every file's bytes and mode. */
  fingerprint(): RepoFingerprint {
    const head = gitTry(this.dir, 'rev-parse', '-q', '--verify', 'HEAD').stdout.trim() || null;
    const branch = gitTry(this.dir, 'symbolic-ref', '-q', 'HEAD').stdout.trim() || null;
    return {
      head,
      branch,
      staged: this.git('ls-files', '-s'),
      // GIT_OPTIONAL_LOCKS=0: looking must not refresh (rewrite) the index it is looking at.
      status: execFileSync('git', ['status', '--porcelain=v1', '--untracked-files=all', '--ignored'], {
        cwd: this.dir,
        env: { ...gitEnv, GIT_OPTIONAL_LOCKS: '0' },
        encoding: 'utf8',
      }).replace(/\n$/, ''),
      files: listFiles(this.dir),
    };
  }

  /** The bytes of `.git/index` (undefined when there is none), to prove a read left it alone. */
  indexBytes(): Buffer | undefined {
    const p = path.join(this.dir, '.git', 'index');
    return fs.existsSync(p) ? fs.readFileSync(p) : undefined;
  }

  /** `git for-each-ref` lines (object, type, name), leaving out refs under `refs/codecontext/`. */
  userRefs(): string[] {
    return this.git('for-each-ref', '--format=%(objectname) %(objecttype) %(refname)')
      .split('\n')
      .filter((l) => l && !l.includes(' refs/codecontext/'));
  }

  /** Refs under `refs/codecontext/`. */
  codecontextRefs(): string[] {
    return this.git('for-each-ref', '--format=%(refname)', 'refs/codecontext/').split('\n').filter(Boolean);
  }

  /**
   * What a recorded tree holds, read back from git (`ls-tree -r`, then one `cat-file --batch` for
   * every blob) in the form of `fingerprint().files`, so the two compare directly: bytes, the
   * executable bit, symlink targets. Gitlinks (nested repos) are left out.
   */
  filesOf(tree: string): Record<string, string> {
    const entries = execFileSync('git', ['ls-tree', '-r', '-z', tree], { cwd: this.dir, env: gitEnv, maxBuffer: 1 << 30 })
      .toString('utf8')
      .split('\0')
      .filter(Boolean)
      .map((line) => {
        const [meta, rel] = [line.slice(0, line.indexOf('\t')), line.slice(line.indexOf('\t') + 1)];
        const [mode, type, id] = meta.split(' ');
        return { mode, type, id, rel };
      })
      .filter((e) => e.type === 'blob');
    const batch = execFileSync('git', ['cat-file', '--batch'], {
      cwd: this.dir,
      env: gitEnv,
      input: entries.map((e) => e.id).join('\n') + '\n',
      maxBuffer: 1 << 30,
    });
    const out: Record<string, string> = {};
    let pos = 0;
    for (const e of entries) {
      const nl = batch.indexOf(0x0a, pos);
      const size = Number(batch.subarray(pos, nl).toString('utf8').split(' ')[2]);
      const content = batch.subarray(nl + 1, nl + 1 + size);
      pos = nl + 1 + size + 1;
      out[e.rel] = e.mode === '120000' ? `link:${content.toString('utf8')}` : `${e.mode === '100755' ? 'x' : '-'}:${content.toString('base64')}`;
    }
    return out;
  }

  /** `git ls-files -s` of a throwaway index read from `tree`: compares with `fingerprint().staged`. */
  stagedOf(tree: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-index-'));
    try {
      const env = { ...gitEnv, GIT_INDEX_FILE: path.join(dir, 'index') };
      execFileSync('git', ['read-tree', tree], { cwd: this.dir, env });
      return execFileSync('git', ['ls-files', '-s'], { cwd: this.dir, env, encoding: 'utf8' }).replace(/\n$/, '');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** `git write-tree` of the real index, run on a copy so the index file itself is not rewritten. */
  indexTree(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-index-'));
    try {
      const copy = path.join(dir, 'index');
      const real = path.join(this.dir, '.git', 'index');
      if (fs.existsSync(real)) fs.copyFileSync(real, copy);
      return execFileSync('git', ['write-tree'], { cwd: this.dir, env: { ...gitEnv, GIT_INDEX_FILE: copy }, encoding: 'utf8' }).trim();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Leaves the repo mid-merge with a conflict in `file` (MERGE_HEAD set, unmerged entries). */
  conflictedMerge(file = 'README.md'): this {
    const base = this.git('symbolic-ref', '--short', 'HEAD');
    this.git('checkout', '-q', '-b', 'theirs');
    this.write(file, 'theirs\n').commitAll('theirs');
    this.git('checkout', '-q', base);
    this.write(file, 'ours\n').commitAll('ours');
    const r = gitTry(this.dir, 'merge', 'theirs');
    if (r.status === 0) throw new Error('expected a conflict');
    return this;
  }
}

export interface RepoFingerprint {
  head: string | null;
  branch: string | null;
  staged: string;
  status: string;
  files: Record<string, string>;
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Every file below `dir` except `.git`: path → "mode:content-or-link-target" (content as base64). */
export function listFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name === '.git') continue;
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      const st = fs.lstatSync(p);
      if (st.isSymbolicLink()) out[rel] = `link:${fs.readlinkSync(p)}`;
      else if (st.isDirectory()) walk(p);
      else out[rel] = `${(st.mode & 0o111) !== 0 ? 'x' : '-'}:${fs.readFileSync(p).toString('base64')}`;
    }
  };
  walk(dir);
  return out;
}

/** Makes temp folders and repos for one test and removes them all in `cleanup()`. */
export class RepoKit {
  private readonly dirs: string[] = [];

  /** A kit whose folders go after each test of the calling `describe`. */
  static forSuite(): RepoKit {
    const kit = new RepoKit();
    afterEach(() => kit.cleanup());
    return kit;
  }

  tempDir(prefix = 'cc-test-'): string {
    const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
    this.dirs.push(d);
    return d;
  }

  /** A repo at `dir` (created) with one commit of `files`, unless `files` is null (unborn). */
  repo(dir: string, files: Record<string, string> | null = { 'README.md': '# repo\n' }): TestRepo {
    fs.mkdirSync(dir, { recursive: true });
    git(dir, 'init', '-q', '-b', 'main');
    // The same as four `git config` calls, in one write: process starts dominate a test's time.
    fs.appendFileSync(
      path.join(dir, '.git', 'config'),
      '[user]\n\tname = Test Author\n\temail = author@example.com\n[commit]\n\tgpgsign = false\n[core]\n\tautocrlf = false\n',
    );
    const r = new TestRepo(dir);
    if (files) {
      for (const [rel, content] of Object.entries(files)) r.write(rel, content);
      r.commitFiles(files, 'initial', true);
    }
    return r;
  }

  /** `count` repos named repo-00, repo-01… under a new workspace folder, and an empty store folder beside it. */
  workspace(count: number, files?: Record<string, string>): { root: string; repos: TestRepo[]; store: string } {
    const root = this.tempDir('cc-ws-');
    const repos = Array.from({ length: count }, (_, i) => this.repo(path.join(root, `repo-${String(i).padStart(2, '0')}`), files));
    return { root, repos, store: this.tempDir('cc-store-') };
  }

  /**
   * `count` copies of `template` (files, modes, symlinks and `.git` alike) named repo-00… under a
   * new workspace folder: many identical repos for the price of one made with git.
   */
  copies(template: TestRepo, count: number): { root: string; repos: TestRepo[] } {
    const root = this.tempDir('cc-ws-');
    const repos = Array.from({ length: count }, (_, i) => {
      const dir = path.join(root, `repo-${String(i).padStart(2, '0')}`);
      fs.cpSync(template.dir, dir, { recursive: true, verbatimSymlinks: true, filter: (src) => !src.endsWith('.sample') });
      return new TestRepo(dir);
    });
    return { root, repos };
  }

  /** Registers `child` (a repo with a commit) as a submodule of `parent` at `at`, and commits that. */
  submodule(parent: TestRepo, child: TestRepo, at: string): TestRepo {
    parent.git('-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', child.dir, at);
    parent.git('commit', '-q', '-m', `add submodule ${at}`);
    return new TestRepo(parent.file(at));
  }

  cleanup(): void {
    for (const d of this.dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  }
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI (`dist/cli.js`) as a user would, with a store of the test's own. The
 * environment is `gitEnv` (or `baseEnv`, e.g. `userEnv(home)`, in its place) with `env` on top.
 */
export function runCli(
  args: string[],
  options: { cwd?: string; store: string; env?: NodeJS.ProcessEnv; baseEnv?: NodeJS.ProcessEnv },
): { status: number; stdout: string; stderr: string } {
  const cli = path.resolve(__dirname, '../../../dist/cli.js');
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: options.cwd,
    env: { ...(options.baseEnv ?? gitEnv), CODECONTEXT_HOME: options.store, ...options.env },
    encoding: 'utf8',
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A repo state with every kind of file a rollback must get back exactly: text, an executable, a
 * symlink, binary bytes, a file in a folder, a staged change (index ≠ HEAD ≠ worktree), an
 * untracked file, and an ignored one. `changeEveryKind` then changes it in every way a campaign can.
 */
export function seedEveryKind(repo: TestRepo): TestRepo {
  repo
    .write('a.txt', Array.from({ length: 30 }, (_, i) => `line ${i + 1}\n`).join(''))
    .write('notes.txt', 'notes\n')
    .write('tool.sh', '#!/bin/sh\necho tool\n', 0o644)
    .write('run.sh', '#!/bin/sh\necho run\n', 0o755)
    .write('img.bin', Buffer.from([0, 1, 2, 3, 0xff, 0, 0x89, 0x50]))
    .write('dir/old.txt', 'a file that moves\n'.repeat(4))
    .write('gone.txt', 'deleted by the campaign\n')
    .write('staged.txt', 'v1\n')
    .write('.gitignore', '*.log\n')
    .symlink('link', 'a.txt')
    .commitAll('seed');
  repo.write('staged.txt', 'v2\n').git('add', 'staged.txt');
  return repo.write('staged.txt', 'v3\n').write('scratch.txt', 'untracked\n').write('app.log', 'ignored v1\n');
}

/** Modify, add, delete, rename, chmod, symlink retarget and binary change; an ignored file changes too. */
export function changeEveryKind(repo: TestRepo, commit: boolean): TestRepo {
  const a = repo.read('a.txt').toString('utf8').replace('line 2\n', 'line 2 changed by the campaign\n');
  repo
    .write('a.txt', a)
    .write('new.txt', 'added by the campaign\n')
    .write('newdir/made.txt', 'added in a new folder\n')
    .remove('gone.txt')
    .write('dir/new.txt', repo.read('dir/old.txt'))
    .remove('dir/old.txt')
    .symlink('link', 'run.sh')
    .write('img.bin', Buffer.from([0, 9, 8, 7, 0xfe, 0, 0x89, 0x51, 0]))
    .write('app.log', 'ignored v2\n');
  fs.chmodSync(repo.file('tool.sh'), 0o755);
  if (commit) repo.commitAll('campaign');
  return repo;
}

/** `fingerprint()` of each repo, by folder. */
export function fingerprints(repos: readonly TestRepo[]): Record<string, RepoFingerprint> {
  return Object.fromEntries(repos.map((r) => [r.dir, r.fingerprint()]));
}

/**
 * `runCli` without blocking, so independent invocations (every command's --help…) can run side
 * by side: Node's start-up is most of each one's time.
 */
export function runCliAsync(
  args: string[],
  options: { cwd?: string; store: string; env?: NodeJS.ProcessEnv; onStart?: (child: ChildProcess) => void },
): Promise<CliResult> {
  const cli = path.resolve(__dirname, '../../../dist/cli.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: options.cwd,
      env: { ...gitEnv, CODECONTEXT_HOME: options.store, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid) spawnedPids.add(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
    options.onStart?.(child); // e.g. a crash test that kills it
  });
}
