#!/usr/bin/env node
// `npm run demo [-- DIR]`: builds a workspace of 20 small repos (in a temp folder, or DIR), runs
// `snapshot create --campaign camp_abc123` there (which starts the campaign), runs a codemod across it, shows the log and a diff, previews the
// rollback, runs it,
// and verifies its evidence — the whole job, with the real CLI, as a user would type it.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'dist', 'cli.js');
const codemod = path.join(here, 'demo', 'codemod.mjs');
const base = process.argv[2] ? path.resolve(process.argv[2]) : fs.mkdtempSync(path.join(os.tmpdir(), 'codecontext-demo-'));
const root = path.join(base, 'repos');
const store = path.join(base, 'store');
if (fs.existsSync(root)) {
  console.error(`${root} already exists; give an empty folder`);
  process.exit(2);
}

const names = [
  'logger',
  'common',
  'auth',
  'billing',
  'catalog',
  'checkout',
  'gateway',
  'inventory',
  'mailer',
  'metrics',
  'notifications',
  'orders',
  'payments',
  'pricing',
  'profile',
  'search',
  'shipping',
  'storefront',
  'tax',
  'webhooks',
];
const gitEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Demo',
  GIT_AUTHOR_EMAIL: 'demo@example.com',
  GIT_COMMITTER_NAME: 'Demo',
  GIT_COMMITTER_EMAIL: 'demo@example.com',
};
const git = (cwd, ...args) => execFileSync('git', args, { cwd, env: gitEnv, stdio: 'pipe' });
const write = (file, text, mode) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  if (mode) fs.chmodSync(file, mode);
};

names.forEach((name, i) => {
  const dir = path.join(root, `${String(i).padStart(2, '0')}-${name}`);
  const deps = name === 'logger' ? {} : name === 'common' ? { '@demo/logger': '^1.0.0' } : { '@demo/logger': '^1.0.0', '@demo/common': '^1.0.0' };
  write(path.join(dir, 'package.json'), JSON.stringify({ name: `@demo/${name}`, version: '1.4.0', dependencies: deps }, null, 2) + '\n');
  write(path.join(dir, 'README.md'), `# ${name}\n\nThe ${name} service.\n`);
  write(path.join(dir, '.gitignore'), '.env\nnode_modules/\nbuild/\n');
  write(
    path.join(dir, 'src/index.ts'),
    `import { oldLogger } from '@demo/logger';\n\nexport function start(): void {\n  oldLogger.info('${name} starting');\n}\n`,
  );
  write(path.join(dir, 'src/util.ts'), `export const retries = ${3 + (i % 4)};\n`);
  write(path.join(dir, 'src/legacy.ts'), `// deprecated since 1.2\nexport const legacy = true;\n`);
  write(path.join(dir, 'scripts/release.sh'), '#!/bin/sh\necho releasing\n');
  git(root, 'init', '-q', '-b', 'main', dir);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'initial import');
  // files a rollback must never touch: ignored secrets and dependencies, and a developer's untracked notes
  write(path.join(dir, '.env'), `API_KEY=demo-${name}\n`);
  write(path.join(dir, 'node_modules/left-pad/index.js'), 'module.exports = 1;\n');
  if (i % 5 === 0) write(path.join(dir, 'NOTES.txt'), 'my local notes (untracked)\n');
});

function run(args, { quiet = false, maxLines } = {}) {
  console.log(`\n$ codecontext ${args.map((a) => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  const r = spawnSync(process.execPath, [cli, '--store', store, ...args], { cwd: root, encoding: 'utf8', env: { ...gitEnv } });
  let out = r.stdout.trimEnd();
  if (maxLines && out.split('\n').length > maxLines) {
    const lines = out.split('\n');
    out = [...lines.slice(0, maxLines), `… (${lines.length - maxLines} more lines)`].join('\n');
  }
  if (!quiet && out) console.log(out);
  if (r.stderr.trim()) console.error(r.stderr.trimEnd());
  if (r.status !== 0) {
    console.error(`demo: command failed with exit ${r.status}`);
    process.exit(1);
  }
  return r.stdout.trim();
}

console.log(`Demo workspace: ${root} (${names.length} repos); store: ${store}`);
// the README's first two commands, as typed: a snapshot that starts the campaign, then the rollback to it
const camp = 'camp_abc123';
const snap = run(['snapshot', 'create', '--campaign', camp]).split('\n')[0];
run(['campaign', 'run', camp, '-m', 'codemod: rename oldLogger to newLogger', '--', process.execPath, codemod], { maxLines: 4 });
run(['campaign', 'log', camp]);
run(['campaign', 'diff', camp, '--step', '1'], { maxLines: 40 });
run(['rollback', '--snapshot', snap, '--dry-run'], { maxLines: 30 });
const result = run(['rollback', '--snapshot', snap]);
const rb = /^(rb_[0-9a-f]+)/.exec(result)?.[1];
run(['evidence', 'verify', rb, '--repos']);
const sample = path.join(root, '02-auth');
console.log(
  `\n02-auth after the rollback: HEAD ${git(sample, 'log', '--oneline', '-1').toString().trim()}; .env still says: ` +
    `${fs.readFileSync(path.join(sample, '.env'), 'utf8').trim().split('\n').join(' | ')}`,
);
console.log(
  `\nTry next:\n  node ${path.relative(process.cwd(), cli)} --store ${store} rollback undo ${rb}\n  node ${path.relative(process.cwd(), cli)} --store ` +
    `${store} rollback list`,
);
