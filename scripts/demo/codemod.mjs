#!/usr/bin/env node
// The demo's "automated change": what a codemod bot does to one repo (run by `campaign run` in
// each repo folder). Renames a logger API, bumps the version, drops a deprecated file, moves a
// file, makes a script executable, and in half the repos commits the result.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const repo = process.cwd();
const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
for (const file of walk(path.join(repo, 'src'))) {
  const text = fs.readFileSync(file, 'utf8');
  if (text.includes('oldLogger')) fs.writeFileSync(file, text.replaceAll('oldLogger', 'newLogger'));
}
const pkgFile = path.join(repo, 'package.json');
const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
pkg.version = '2.0.0';
fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + '\n');
fs.writeFileSync(path.join(repo, 'MIGRATION.md'), '# Migration\n\n`oldLogger` is now `newLogger`.\n');
fs.rmSync(path.join(repo, 'src/legacy.ts'), { force: true });
if (fs.existsSync(path.join(repo, 'src/util.ts'))) fs.renameSync(path.join(repo, 'src/util.ts'), path.join(repo, 'src/helpers.ts'));
fs.chmodSync(path.join(repo, 'scripts/release.sh'), 0o755);
// the bot also touches the ignored .env; the rollback must leave ignored files alone
fs.appendFileSync(path.join(repo, '.env'), 'BOT_WAS_HERE=1\n');
const index = Number(path.basename(repo).match(/^(\d+)/)?.[1] ?? 0);
if (index % 2 === 0) {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'codemod-bot',
    GIT_AUTHOR_EMAIL: 'bot@example.com',
    GIT_COMMITTER_NAME: 'codemod-bot',
    GIT_COMMITTER_EMAIL: 'bot@example.com',
  };
  execFileSync('git', ['add', '-A'], { env });
  execFileSync('git', ['commit', '-q', '-m', 'chore: rename oldLogger to newLogger'], { env });
}
console.log(`codemod applied in ${path.basename(repo)}`);
