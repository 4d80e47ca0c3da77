import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { mayIgnore } from '../../server/src/engine/rollback/plan/ignoreRules';
import { RepoKit, userEnv } from '../helpers/repoKit';

/**
 * A plan asks git which files its rollback would delete are ignored by the target's rules
 * (plan/ignoreRules.ts), and skips the question when `mayIgnore` says no rule could ignore them.
 * That answer must never be "no" where git says "ignored": checked against git itself, rule by
 * rule, on names chosen to sit at every edge of the rules.
 */
describe('mayIgnore: skipping the ignore question only when git would answer "none"', () => {
  const kit = RepoKit.forSuite();

  const rules = [
    '.env',
    'node_modules/',
    '/build',
    'build/',
    '*.log',
    'src/**/gen',
    '**/tmp',
    'a/b/',
    'docs/*.md',
    'Cache',
    '[Tt]humbs.db',
    '[!a]x',
    '[]]y',
    '[^q]z',
    'f?o',
    'trail   ',
    'crlf\r',
    '**',
    'sub/**',
    '*',
    'x*y*z',
    '\\#hash',
    '\\!bang',
    'sp\\ ',
    '[[:digit:]]n',
    'ümlaut',
    'é*',
  ];
  const paths = [
    '.env',
    'app/.env',
    'node_modules/x/index.js',
    'build/out.js',
    'lib/build/out.js',
    'debug.log',
    'deep/er/trace.log',
    'src/a/b/gen/x.ts',
    'src/gen',
    'tmp/x',
    'a/b/c',
    'docs/readme.md',
    'docs/sub/readme.md',
    'cache/x',
    'CACHE',
    'thumbs.db',
    'Thumbs.db',
    'bx',
    'ax',
    ']y',
    'az',
    'foo',
    'fxo',
    'trail',
    'trail  ',
    'crlf',
    'crlf\r',
    'sub/deep/file',
    'xaybz',
    '#hash',
    '!bang',
    'sp ',
    '7n',
    'ümlaut',
    'éclair',
    'src/mod0/added1.ts',
    'plain.txt',
  ];

  it('says "may" wherever git ignores, for every rule and name, with and without core.ignoreCase', function () {
    this.timeout(60000);
    const r = kit.repo(kit.tempDir());
    const asked = paths.join('\0') + '\0';
    let answers = 0;
    // git's only rules here are the one .gitignore: no user or system excludes file
    const env = { ...userEnv(kit.tempDir()), GIT_CONFIG_NOSYSTEM: '1' };
    for (const ignoreCase of ['false', 'true']) {
      r.git('config', 'core.ignoreCase', ignoreCase);
      for (const rule of rules) {
        fs.writeFileSync(path.join(r.dir, '.gitignore'), `${rule}\n`);
        const out = spawnSync('git', ['check-ignore', '--no-index', '-z', '--stdin'], {
          cwd: r.dir,
          input: asked,
          env,
        });
        const ignored = out.stdout.toString('utf8').split('\0').filter(Boolean);
        answers += ignored.length;
        for (const p of ignored) {
          assert.strictEqual(
            mayIgnore([Buffer.from(`${rule}\n`)], [p]),
            true,
            `git ignores ${JSON.stringify(p)} by ${JSON.stringify(rule)} (ignoreCase ${ignoreCase})`,
          );
        }
      }
    }
    // the check asked real questions: most rules ignore something here
    assert.ok(answers > 100, `git ignored ${answers} names in all`);
  });

  it('says "none" for the usual rollback: new source files, rules about other names, comments and negations', () => {
    const text = Buffer.from('# build output\n.env\nnode_modules/\nbuild/\n*.log\n!keep.log\n\n   \n');
    assert.strictEqual(mayIgnore([text], ['src/mod0/added1.ts', 'src/mod0/added2.ts', 'README.md']), false);
    assert.strictEqual(mayIgnore([], ['anything']), false);
    assert.strictEqual(mayIgnore([text], ['src/app.log']), true);
    assert.strictEqual(mayIgnore([text], ['node_modules/x.js']), true);
  });
});
