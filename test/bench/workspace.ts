import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { mapLimit } from '../../server/src/engine/util/pool';
import { gitEnv } from '../helpers/repoKit';

const run = promisify(execFile);
const git = (cwd: string, ...args: string[]) => run('git', args, { cwd, env: gitEnv, maxBuffer: 1 << 26 });

/** A small deterministic generator (mulberry32), so the same options give the same workspace. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const words = ['config', 'logger', 'request', 'handler', 'client', 'session', 'cache', 'retry', 'parse', 'render', 'queue', 'metric'];

function sourceFile(r: () => number, bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const w = words[Math.floor(r() * words.length)];
    const line =
      i % 7 === 0
        ? `export function ${w}${i}(input: string): string {`
        : i % 7 === 6
          ? '}'
          : `  const ${w}${i} = input.length * ${Math.floor(r() * 1000)}; // ${w}`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n') + '\n';
}

export interface Workspace {
  root: string;
  repos: string[];
}

/**
 * `repos` repos of `files` source-like files (1–5 KB), one 200 KB file, one small binary, an
 * untracked and an ignored file each, and a package.json dependency chain between every fifth repo.
 */
export async function generateWorkspace(root: string, repos: number, files: number, parallelism: number): Promise<Workspace> {
  fs.mkdirSync(root, { recursive: true });
  const names = Array.from({ length: repos }, (_, i) => `repo-${String(i).padStart(4, '0')}`);
  await mapLimit(names, parallelism, async (name, i) => {
    const r = rng(i + 1);
    const dir = path.join(root, name);
    const write = (rel: string, data: string | Buffer) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), data);
    };
    for (let f = 0; f < files; f++) write(`src/mod${Math.floor(f / 20)}/file${f}.ts`, sourceFile(r, 1000 + Math.floor(r() * 4000)));
    write('assets/big.txt', sourceFile(r, 200_000));
    write('assets/logo.bin', Buffer.from(Array.from({ length: 512 }, () => Math.floor(r() * 256))));
    const deps = i % 5 === 0 && i + 5 < repos ? { [`@bench/${names[i + 5]}`]: '^1.0.0' } : {};
    write('package.json', JSON.stringify({ name: `@bench/${name}`, version: '1.0.0', dependencies: deps }, null, 2) + '\n');
    write('.gitignore', '.env\nnode_modules/\nbuild/\n');
    await git(root, 'init', '-q', '-b', 'main', dir);
    await git(dir, 'add', '-A');
    await git(dir, 'commit', '-q', '-m', 'initial');
    write('.env', 'SECRET=1\n');
    write('build/out.js', 'built\n');
    write('notes.txt', 'untracked notes\n');
  });
  return { root, repos: names.map((n) => path.join(root, n)) };
}

/**
 * The campaign each repo goes through: 5 files modified, 2 added, 1 deleted, 1 renamed; even
 * repos commit the result, odd ones leave it staged (the first half) and unstaged (the rest).
 */
export async function applyCampaign(ws: Workspace, parallelism: number): Promise<void> {
  await mapLimit(ws.repos, parallelism, async (dir, i) => {
    const src = path.join(dir, 'src/mod0');
    for (let f = 0; f < 5; f++) fs.appendFileSync(path.join(src, `file${f}.ts`), `// campaign edit ${f}\nexport const migrated${f} = true;\n`);
    fs.writeFileSync(path.join(src, 'added1.ts'), 'export const added = 1;\n');
    fs.writeFileSync(path.join(src, 'added2.ts'), 'export const added = 2;\n');
    fs.rmSync(path.join(src, 'file5.ts'));
    fs.renameSync(path.join(src, 'file6.ts'), path.join(src, 'renamed6.ts'));
    fs.appendFileSync(path.join(dir, '.env'), 'CAMPAIGN=1\n');
    if (i % 2 === 0) {
      await git(dir, 'add', '-A');
      await git(dir, 'commit', '-q', '-m', 'campaign');
    } else {
      await git(dir, 'add', 'src/mod0/file0.ts', 'src/mod0/file1.ts', 'src/mod0/added1.ts');
    }
  });
}

/** A repo of `files` small source files, 100 to a folder, committed. */
export async function generateBigRepo(dir: string, files: number): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (let f = 0; f < files; f++) {
    const folder = path.join(dir, 'src', `m${Math.floor(f / 100)}`);
    if (f % 100 === 0) fs.mkdirSync(folder, { recursive: true });
    const body = Array.from({ length: 8 }, (_, i) => `export const value${i} = ${(f * 31 + i) % 997}; // file ${f}\n`).join('');
    fs.writeFileSync(path.join(folder, `f${f}.ts`), body);
  }
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'add', '-A');
  // the automatic gc packs 100,000 loose objects, as a real repo of that size is packed: in the
  // foreground, so it is done before anything is timed (and no gc writes the git dir as it is removed)
  await git(dir, '-c', 'gc.autoDetach=false', 'commit', '-q', '-m', 'initial');
}

/** The campaign edits every file: the first half is committed, the rest left unstaged. */
export async function applyBigCampaign(dir: string, files: number): Promise<void> {
  const edit = (from: number, to: number) => {
    for (let f = from; f < to; f++) fs.appendFileSync(path.join(dir, `src/m${Math.floor(f / 100)}/f${f}.ts`), `export const migrated = ${f};\n`);
  };
  const half = Math.floor(files / 2);
  edit(0, half);
  await git(dir, '-c', 'gc.autoDetach=false', 'commit', '-q', '-a', '-m', 'campaign (first half)');
  edit(half, files);
}
