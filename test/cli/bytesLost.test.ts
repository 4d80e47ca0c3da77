import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { RepoKit, TestRepo, gitEnv, runCli, userEnv } from '../helpers/repoKit';

/**
 * Bytes lost without anyone tampering (issue 21, items 1–3), as a user meets them: the built CLI,
 * real repos, and the bytes on disk compared with Buffer.equals.
 */

const b = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

/** Twelve lines `line1`…`line12` (LF unless `eol`), with `lines` put in place of some (1-based). */
function lines(replace: Record<number, Buffer> = {}, eol = '\n', finalEol = true): Buffer {
  const out: Buffer[] = [];
  for (let i = 1; i <= 12; i++) {
    out.push(replace[i] ?? Buffer.from(`line${i}`));
    if (i < 12 || finalEol) out.push(Buffer.from(eol));
  }
  return Buffer.concat(out);
}

describe('bytes lost without tampering (CLI)', function () {
  const kit = RepoKit.forSuite();

  /** A repo holding `f.txt` = `original`, a campaign that made it `campaign`, then a user who made it `user`. */
  function campaignThenUser(
    original: Buffer,
    campaign: Buffer,
    user: Buffer,
  ): { repo: TestRepo; store: string; cli: (...args: string[]) => ReturnType<typeof runCli> } {
    const { root, repos, store } = kit.workspace(1);
    const repo = repos[0];
    repo.write('f.txt', original).commitAll('original');
    const cli = (...args: string[]) => runCli(args, { store, cwd: root });
    const started = cli('campaign', 'start', 'c', '--root', root);
    assert.strictEqual(started.status, 0, started.stderr);
    repo.write('f.txt', campaign);
    const step = cli('campaign', 'checkpoint', 'c');
    assert.strictEqual(step.status, 0, step.stderr);
    repo.write('f.txt', user);
    return { repo, store, cli };
  }

  describe('1. replay keeps every byte it did not undo', function () {
    const cases: { name: string; original: Buffer; campaign: Buffer; user: Buffer; expected: Buffer }[] = [];
    const variant = (name: string, replace: Record<number, Buffer>, eol = '\n', finalEol = true) => {
      const original = lines(replace, eol, finalEol);
      cases.push({
        name,
        original,
        // the campaign edits line 10, the user line 1: replay must give back the original with the user's line 1
        campaign: lines({ ...replace, 10: b('LINE10 by the campaign') }, eol, finalEol),
        user: lines({ ...replace, 1: b('USER1'), 10: b('LINE10 by the campaign') }, eol, finalEol),
        expected: lines({ ...replace, 1: b('USER1') }, eol, finalEol),
      });
    };
    variant('a Latin-1 0xE9 on an untouched line (the instance)', { 2: b('caf', [0xe9]) });
    variant('invalid UTF-8 sequences on untouched lines', {
      2: b('a', [0xc3, 0x28], 'b'),
      3: b([0xe2, 0x28, 0xa1]),
      4: b([0xf0, 0x28, 0x8c, 0xbc]),
      5: b([0xed, 0xa0, 0x80], ' a UTF-16 surrogate in UTF-8'),
      6: b([0xc0, 0xaf], ' overlong'),
      7: b([0xff, 0xfe, 0xfd]),
    });
    variant('a lone 0x80', { 2: b([0x80]) });
    variant('CRLF line ends and Latin-1 bytes', { 2: b('caf', [0xe9]), 11: b([0xe8, 0xe0]) }, '\r\n');
    variant('no final newline, a Latin-1 byte on the last line', { 2: b([0xe9]), 12: b('end ', [0xe9]) }, '\n', false);
    variant('valid UTF-8 beside invalid bytes', { 2: b('caf\xc3\xa9 ', [0xe9]), 3: b('\xe2\x82\xac') });
    cases.push({
      name: 'the line the campaign changed held bytes that are not UTF-8, before and after',
      original: lines({ 2: b('caf', [0xe9]), 10: b('x', [0xe9, 0x80]) }),
      campaign: lines({ 2: b('caf', [0xe9]), 10: b('X', [0xc9, 0x81]) }),
      user: lines({ 1: b('USER1'), 2: b('caf', [0xe9]), 10: b('X', [0xc9, 0x81]) }),
      expected: lines({ 1: b('USER1'), 2: b('caf', [0xe9]), 10: b('x', [0xe9, 0x80]) }),
    });
    cases.push({
      name: 'no final newline, the campaign changed the last line',
      original: lines({ 12: b('end ', [0xe9]) }, '\n', false),
      campaign: lines({ 12: b('END ', [0xc9]) }, '\n', false),
      user: lines({ 1: b('USER1'), 12: b('END ', [0xc9]) }, '\n', false),
      expected: lines({ 1: b('USER1'), 12: b('end ', [0xe9]) }, '\n', false),
    });

    for (const c of cases) {
      it(`${c.name}: rollback --mode replay writes the user's edit and the original bytes, nothing else`, function () {
        const { repo, cli } = campaignThenUser(c.original, c.campaign, c.user);
        const r = cli('rollback', '--campaign', 'c', '--mode', 'replay');
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /committed/);
        const now = repo.read('f.txt');
        assert.ok(now.equals(c.expected), `on disk:\n${now.toString('hex')}\nexpected:\n${c.expected.toString('hex')}`);
      });
    }

    it('the user turned the line ends to CRLF since: a conflict, never lines rewritten with other line ends', function () {
      const user = lines({ 1: b('USER1'), 2: b('caf', [0xe9]), 10: b('LINE10') }, '\r\n');
      const { repo, cli } = campaignThenUser(lines({ 2: b('caf', [0xe9]) }), lines({ 2: b('caf', [0xe9]), 10: b('LINE10') }), user);
      const r = cli('rollback', '--campaign', 'c', '--mode', 'replay');
      assert.strictEqual(r.status, 1, r.stdout + r.stderr);
      assert.ok(repo.read('f.txt').equals(user));
    });

    it("a conflict's hunk reads UTF-8 as UTF-8, and keeps a byte that is not UTF-8", function () {
      const utf8 = (t: string) => Buffer.from(t, 'utf8');
      const { cli } = campaignThenUser(lines({ 2: utf8('café') }), lines({ 2: b(utf8('CAFÉ').toString('latin1'), [0xe9]) }), lines({ 2: utf8('mine') }));
      const r = cli('--json', 'rollback', '--campaign', 'c', '--mode', 'replay', '--dry-run');
      assert.strictEqual(r.status, 1, r.stderr); // a plan with a conflict
      const plan = JSON.parse(r.stdout) as { repos: { conflicts: { hunk?: string }[] }[] };
      assert.match(plan.repos[0].conflicts[0].hunk ?? '', /^-CAFÉ\udce9$/m);
      assert.match(plan.repos[0].conflicts[0].hunk ?? '', /^\+café$/m);
    });

    it('the inverse diff keeps every byte: --dry-run --diff prints it, git apply takes it back, inverse.patch holds it', function () {
      const original = lines({ 2: b('caf', [0xe9]), 10: b('x', [0xe9, 0x80, 0xff]) });
      const after = lines({ 2: b('caf', [0xe9]), 10: b('X', [0xc9]) });
      const { repo, cli, store } = campaignThenUser(original, after, after);
      const cliPath = path.resolve(__dirname, '../../../dist/cli.js');
      const printed = execFileSync(process.execPath, [cliPath, 'rollback', '--campaign', 'c', '--dry-run', '--diff'], {
        cwd: repo.dir,
        env: { ...gitEnv, CODECONTEXT_HOME: store },
      });
      const patch = printed.subarray(printed.indexOf('# repo: '));
      const hunk = b('-X', [0xc9], '\n+x', [0xe9, 0x80, 0xff], '\n');
      assert.ok(patch.includes(hunk), patch.toString('latin1'));
      const patchFile = path.join(kit.tempDir(), 'inverse.patch');
      fs.writeFileSync(patchFile, patch);
      repo.git('apply', patchFile);
      assert.ok(repo.read('f.txt').equals(original), 'git apply of the printed inverse gives the original bytes back');
      repo.write('f.txt', after);
      const rb = /^(rb_[0-9a-f]+): committed/.exec(cli('rollback', '--campaign', 'c').stdout)?.[1];
      assert.ok(rb);
      const kept = fs.readFileSync(path.join(store, 'rollbacks', rb, 'inverse.patch'));
      assert.ok(kept.includes(hunk), kept.toString('latin1'));
      assert.ok(kept.equals(patch), 'the evidence keeps what --diff printed, byte for byte');
      const verified = cli('evidence', 'verify', rb);
      assert.strictEqual(verified.status, 0, verified.stdout + verified.stderr);
    });

    const utf16 = (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
    const text16 = (first: string, tenth: string) => utf16(lines({ 1: Buffer.from(first), 10: Buffer.from(tenth) }).toString('latin1'));

    it('UTF-16 text with a BOM, edited since: a conflict, and the file is left byte for byte', function () {
      const user = text16('USER1', 'LINE10');
      const { repo, cli } = campaignThenUser(text16('line1', 'line10'), text16('line1', 'LINE10'), user);
      const r = cli('rollback', '--campaign', 'c', '--mode', 'replay');
      assert.strictEqual(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /f\.txt/);
      assert.ok(repo.read('f.txt').equals(user));
    });

    it('UTF-16 text with a BOM, not edited since: the original bytes come back', function () {
      const original = text16('line1', 'line10');
      const { repo, cli } = campaignThenUser(original, text16('line1', 'LINE10'), text16('line1', 'LINE10'));
      const r = cli('rollback', '--campaign', 'c', '--mode', 'replay');
      assert.strictEqual(r.status, 0, r.stdout + r.stderr);
      assert.ok(repo.read('f.txt').equals(original));
    });

    it("the preview's drift lines tell a changed byte that is not UTF-8 from the one it replaced", function () {
      const original = lines({ 2: b('caf', [0xe9]) });
      const { cli } = campaignThenUser(original, lines({ 2: b('caf', [0xe9]), 10: b('LINE10') }), lines({ 2: b('caf', [0xe8]), 10: b('LINE10') }));
      const r = cli('--json', 'rollback', '--campaign', 'c', '--dry-run');
      assert.strictEqual(r.status, 0, r.stderr);
      const plan = JSON.parse(r.stdout) as { repos: { files: { path: string; driftLines?: number[] }[] }[] };
      assert.deepStrictEqual(plan.repos[0].files.find((f) => f.path === 'f.txt')?.driftLines, [2]);
    });
  });

  describe('2. whatever could make git convert bytes, a capture keeps the bytes on disk', function () {
    interface Variant {
      name: string;
      /** Sets the repo and the user's home up; the repo's own `core.autocrlf = false` is removed first. */
      setup: (repo: TestRepo, home: string) => void;
      file?: string;
      content?: Buffer;
      /** Added to the environment of every command. */
      env?: (home: string) => NodeJS.ProcessEnv;
      /** Only in an environment with GIT_CONFIG_* variables (the variant is one). */
      withVariablesOnly?: boolean;
    }
    const attributes = (repo: TestRepo, rel: string, text: string) => repo.write(rel, text);
    const homeFile = (home: string, rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(home, rel)), { recursive: true });
      fs.writeFileSync(path.join(home, rel), text);
    };
    const variants: Variant[] = [
      {
        name: 'an ignored .gitattributes (info/exclude) saying *.txt text (the instance)',
        setup: (r) => {
          fs.appendFileSync(r.file('.git/info/exclude'), '.gitattributes\n');
          attributes(r, '.gitattributes', '*.txt text\n');
        },
      },
      {
        name: 'an ignored .gitattributes in a subfolder (.gitignore)',
        setup: (r) => {
          r.write('.gitignore', '.gitattributes\n').commitAll('ignore attributes');
          attributes(r, 'sub/.gitattributes', '*.txt text\n');
        },
        file: 'sub/deeper/crlf.txt',
      },
      { name: 'an untracked .gitattributes', setup: (r) => attributes(r, '.gitattributes', '*.txt text\n') },
      { name: 'a tracked .gitattributes', setup: (r) => attributes(r, '.gitattributes', '*.txt text\n').commitAll('attributes') },
      { name: '.git/info/attributes', setup: (r) => attributes(r, '.git/info/attributes', '*.txt text\n') },
      {
        name: 'core.attributesFile in ~/.gitconfig',
        setup: (_r, home) => {
          homeFile(home, 'attrs', '*.txt text\n');
          homeFile(home, '.gitconfig', `[core]\n\tattributesFile = ${path.join(home, 'attrs')}\n`);
        },
      },
      { name: 'the default ~/.config/git/attributes', setup: (_r, home) => homeFile(home, '.config/git/attributes', '*.txt text\n') },
      {
        name: '$XDG_CONFIG_HOME/git/attributes',
        setup: (_r, home) => homeFile(home, 'xdg/git/attributes', '*.txt text\n'),
        env: (home) => ({ XDG_CONFIG_HOME: path.join(home, 'xdg') }),
      },
      { name: 'core.autocrlf = true in ~/.gitconfig', setup: (_r, home) => homeFile(home, '.gitconfig', '[core]\n\tautocrlf = true\n') },
      {
        name: 'core.autocrlf = input through an include of ~/.gitconfig',
        setup: (_r, home) => {
          homeFile(home, 'more.conf', '[core]\n\tautocrlf = input\n');
          homeFile(home, '.gitconfig', `[include]\n\tpath = ${path.join(home, 'more.conf')}\n`);
        },
      },
      {
        name: 'a clean filter named by an ignored .gitattributes',
        setup: (r, home) => {
          fs.appendFileSync(r.file('.git/info/exclude'), '.gitattributes\n');
          attributes(r, '.gitattributes', '*.txt filter=strip\n');
          homeFile(home, '.gitconfig', '[filter "strip"]\n\tclean = sed /secret/d\n\tsmudge = cat\n');
        },
        content: Buffer.from('keep\nsecret\nkeep\n'),
      },
      {
        name: 'ident in an ignored .gitattributes',
        setup: (r) => {
          fs.appendFileSync(r.file('.git/info/exclude'), '.gitattributes\n');
          attributes(r, '.gitattributes', '*.txt ident\n');
        },
        content: Buffer.from('$Id: 0123456789abcdef $\n'),
      },
      {
        name: 'working-tree-encoding in an ignored .gitattributes',
        setup: (r) => {
          fs.appendFileSync(r.file('.git/info/exclude'), '.gitattributes\n');
          attributes(r, '.gitattributes', '*.txt working-tree-encoding=UTF-16\n');
        },
        content: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a\nb\n', 'utf16le')]),
      },
      {
        name: 'core.autocrlf = true in $GIT_CONFIG_GLOBAL',
        setup: (_r, home) => homeFile(home, 'global.conf', '[core]\n\tautocrlf = true\n'),
        env: (home) => ({ GIT_CONFIG_GLOBAL: path.join(home, 'global.conf') }),
        withVariablesOnly: true,
      },
      {
        name: 'core.autocrlf = true in GIT_CONFIG_COUNT/KEY/VALUE',
        setup: () => undefined,
        env: () => ({ GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.autocrlf', GIT_CONFIG_VALUE_0: 'true' }),
        withVariablesOnly: true,
      },
    ];
    const environments: { name: string; env: (home: string) => NodeJS.ProcessEnv; variables: boolean }[] = [
      { name: 'no GIT_CONFIG_* variables (as users have)', env: (home) => userEnv(home), variables: false },
      { name: 'GIT_CONFIG_NOSYSTEM set', env: (home) => ({ ...userEnv(home), GIT_CONFIG_NOSYSTEM: gitEnv.GIT_CONFIG_NOSYSTEM }), variables: true },
    ];
    for (const e of environments) {
      for (const v of variants.filter((x) => e.variables || !x.withVariablesOnly)) {
        it(`${v.name}, ${e.name}: the baseline holds the bytes on disk, and a rollback writes them back`, function () {
          const { root, repos, store } = kit.workspace(1);
          const repo = repos[0];
          const home = kit.tempDir('cc-home-');
          repo.git('config', '--unset', 'core.autocrlf');
          v.setup(repo, home);
          const file = v.file ?? 'crlf.txt';
          const content = v.content ?? Buffer.from('a\r\nb\r\n');
          repo.write(file, content);
          const env = { ...e.env(home), ...v.env?.(home) };
          const cli = (...args: string[]) => {
            const r = runCli(args, { store, cwd: root, baseEnv: env });
            assert.strictEqual(r.status, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
            return r.stdout;
          };
          cli('campaign', 'start', 'c', '--root', root);
          const baseline = (JSON.parse(cli('--json', 'campaign', 'list')) as { baseline: string }[])[0].baseline;
          const tree = (JSON.parse(cli('--json', 'snapshot', 'show', baseline)) as { repos: { worktree: string }[] }).repos[0].worktree;
          assert.strictEqual(repo.filesOf(tree)[file], `-:${content.toString('base64')}`, 'the baseline stored the bytes on disk');
          repo.write(file, Buffer.concat([content, content]));
          cli('campaign', 'checkpoint', 'c');
          cli('rollback', '--campaign', 'c');
          const now = repo.read(file);
          assert.ok(now.equals(content), `on disk: ${now.toString('hex')}, was ${content.toString('hex')}`);
        });
      }
    }
  });

  describe('3. what an ignore rule ignored at the target stays, whatever ignores it now', function () {
    interface Variant {
      name: string;
      /** Makes the rule that ignores the files (at the target), and returns what takes it away (the campaign). */
      ignore: (repo: TestRepo, home: string) => () => void;
      files?: string[];
      mode?: 'restore' | 'replay';
    }
    const homeFile = (home: string, rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(home, rel)), { recursive: true });
      fs.writeFileSync(path.join(home, rel), text);
    };
    const dropRule = (file: string, rule: string) => () => fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(`${rule}\n`, ''));
    const variants: Variant[] = [
      {
        name: '.git/info/exclude (the instance)',
        ignore: (r) => {
          fs.appendFileSync(r.file('.git/info/exclude'), 'local-secrets.txt\n');
          return dropRule(r.file('.git/info/exclude'), 'local-secrets.txt');
        },
      },
      {
        name: '.git/info/exclude, with --mode replay',
        ignore: (r) => {
          fs.appendFileSync(r.file('.git/info/exclude'), 'local-secrets.txt\n');
          return dropRule(r.file('.git/info/exclude'), 'local-secrets.txt');
        },
        mode: 'replay',
      },
      {
        name: '.git/info/exclude ignoring a folder',
        ignore: (r) => {
          fs.appendFileSync(r.file('.git/info/exclude'), 'secrets/\n');
          return dropRule(r.file('.git/info/exclude'), 'secrets/');
        },
        files: ['secrets/a.txt', 'secrets/deep/b.key'],
      },
      {
        name: 'the root .gitignore',
        ignore: (r) => {
          r.write('.gitignore', 'local-secrets.txt\n').commitAll('ignore');
          return () => r.write('.gitignore', '# nothing\n');
        },
      },
      {
        name: 'a .gitignore in a subfolder',
        ignore: (r) => {
          r.write('conf/.gitignore', '*.local\n').commitAll('ignore');
          return () => r.write('conf/.gitignore', '# nothing\n');
        },
        files: ['conf/db.local'],
      },
      {
        name: 'the file core.excludesFile names (~/.gitconfig)',
        ignore: (_r, home) => {
          homeFile(home, 'my-ignores', 'local-secrets.txt\n');
          homeFile(home, '.gitconfig', '[core]\n\texcludesFile = ~/my-ignores\n');
          return dropRule(path.join(home, 'my-ignores'), 'local-secrets.txt');
        },
      },
      {
        name: "core.excludesFile's default, ~/.config/git/ignore",
        ignore: (_r, home) => {
          homeFile(home, '.config/git/ignore', 'local-secrets.txt\n');
          return dropRule(path.join(home, '.config/git/ignore'), 'local-secrets.txt');
        },
      },
      {
        name: 'core.excludesFile pointed elsewhere by the campaign',
        ignore: (r, home) => {
          homeFile(home, '.config/git/ignore', 'local-secrets.txt\n');
          return () => fs.appendFileSync(r.file('.git/config'), `[core]\n\texcludesFile = ${path.join(home, 'none')}\n`);
        },
      },
    ];
    const environments: { name: string; env: (home: string) => NodeJS.ProcessEnv }[] = [
      { name: 'no GIT_CONFIG_* variables', env: (home) => userEnv(home) },
      { name: 'GIT_CONFIG_NOSYSTEM set', env: (home) => ({ ...userEnv(home), GIT_CONFIG_NOSYSTEM: '1' }) },
    ];
    for (const e of environments) {
      for (const v of variants) {
        it(`${v.name}, ${e.name}: rollback --force leaves the files as they are`, function () {
          const { root, repos, store } = kit.workspace(1);
          const repo = repos[0];
          const home = kit.tempDir('cc-home-');
          const campaign = v.ignore(repo, home);
          const files = v.files ?? ['local-secrets.txt'];
          for (const f of files) repo.write(f, `TOKEN=${f}\n`);
          const cli = (...args: string[]) => {
            const r = runCli(args, { store, cwd: root, baseEnv: e.env(home) });
            assert.strictEqual(r.status, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
            return r.stdout;
          };
          cli('campaign', 'start', 'c', '--root', root);
          campaign();
          repo.write('README.md', 'changed by the campaign\n');
          cli('campaign', 'checkpoint', 'c');
          const out = cli('rollback', '--campaign', 'c', '--mode', v.mode ?? 'restore', '--force');
          assert.match(out, /committed/);
          assert.strictEqual(repo.read('README.md').toString(), '# repo\n', 'the campaign is rolled back');
          for (const f of files) assert.strictEqual(repo.exists(f) && repo.read(f).toString(), `TOKEN=${f}\n`, f);
        });
      }
    }
  });
});
