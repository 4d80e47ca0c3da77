import * as assert from 'assert';
import { RepoKit, TestRepo, runCli } from '../helpers/repoKit';

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
  function campaignThenUser(original: Buffer, campaign: Buffer, user: Buffer): { repo: TestRepo; cli: (...args: string[]) => ReturnType<typeof runCli> } {
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
    return { repo, cli };
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
});
