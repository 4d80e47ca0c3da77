import { execFileSync, spawnSync } from 'child_process';
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

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).replace(/\n$/, '');
}

/** Runs git and returns its exit status and output without throwing. */
export function gitTry(cwd: string, ...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

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
      status: this.git('status', '--porcelain=v1', '--untracked-files=all', '--ignored'),
      files: listFiles(this.dir),
    };
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

  tempDir(prefix = 'cc-test-'): string {
    const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
    this.dirs.push(d);
    return d;
  }

  /** A repo at `dir` (created) with one commit of `files`, unless `files` is null (unborn). */
  repo(dir: string, files: Record<string, string> | null = { 'README.md': '# repo\n' }): TestRepo {
    fs.mkdirSync(dir, { recursive: true });
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'config', 'user.name', 'Test Author');
    git(dir, 'config', 'user.email', 'author@example.com');
    git(dir, 'config', 'commit.gpgsign', 'false');
    git(dir, 'config', 'core.autocrlf', 'false');
    const r = new TestRepo(dir);
    if (files) {
      for (const [rel, content] of Object.entries(files)) r.write(rel, content);
      r.commitAll('initial');
    }
    return r;
  }

  /** `count` repos named repo-00, repo-01… under a new workspace folder. */
  workspace(count: number, files?: Record<string, string>): { root: string; repos: TestRepo[] } {
    const root = this.tempDir('cc-ws-');
    const repos = Array.from({ length: count }, (_, i) => this.repo(path.join(root, `repo-${String(i).padStart(2, '0')}`), files));
    return { root, repos };
  }

  cleanup(): void {
    for (const d of this.dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  }
}

/** Runs the built CLI (`dist/cli.js`) as a user would, with a store of the test's own. */
export function runCli(args: string[], options: { cwd?: string; store: string; env?: NodeJS.ProcessEnv }): { status: number; stdout: string; stderr: string } {
  const cli = path.resolve(__dirname, '../../../dist/cli.js');
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: options.cwd,
    env: { ...gitEnv, CODECONTEXT_HOME: options.store, ...options.env },
    encoding: 'utf8',
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
