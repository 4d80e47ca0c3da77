import * as assert from 'assert';
import { plural } from '../../server/src/engine/util/words';
import { progressWords } from '../../server/src/engine/util/progress';
import { clientModule } from '../helpers/clientModule';

/**
 * Issue 25, items 8, 10, 12 and 13, on the pure logic that words what the user reads: progress in
 * plain words, counts in the right number, diff titles that keep the folder, Run Command's plain
 * confirmation, and Rollbacks rows titled by what they did.
 */

const words = clientModule<typeof import('../../client/src/commands/commandWords')>('commands/commandWords.js');
const format = clientModule<typeof import('../../client/src/views/format')>('views/format.js');
const titles = clientModule<typeof import('../../client/src/diff/diffTitle')>('diff/diffTitle.js');

describe('progress in words a user knows (item 8)', () => {
  it('each phase of the engine has words of its own, never its id; the count is of repos, in the right number', () => {
    const phases = ['discover', 'plan', 'capture', 'pin', 'run', 'prepare', 'commit', 'verify'];
    const said = phases.map((phase) => progressWords({ phase, done: 6, total: 6 }));
    assert.strictEqual(new Set(said).size, phases.length, said.join(' | '));
    for (const [i, text] of said.entries()) {
      assert.match(text, /^[A-Z][a-z ]+ \(6 of 6 repos\)$/, text);
      assert.doesNotMatch(text, new RegExp(`\\b${phases[i]}\\b`, 'i'), `"${text}" still says ${phases[i]}`);
    }
    assert.strictEqual(progressWords({ phase: 'pin', done: 1, total: 1 }), 'Saving the snapshot (1 of 1 repo)');
    assert.strictEqual(progressWords({ phase: 'something-new', done: 0, total: 0 }), 'Working');
  });

  it('plural, in the engine and the client alike: 0 files, 1 file, 2 files; a given plural form', () => {
    for (const p of [plural, format.plural]) {
      assert.deepStrictEqual(
        [0, 1, 2].map((n) => p(n, 'file')),
        ['0 files', '1 file', '2 files'],
      );
      assert.strictEqual(p(1, 'file was', 'files were'), '1 file was');
      assert.strictEqual(p(3, 'file was', 'files were'), '3 files were');
    }
  });
});

describe('diff titles keep the folder (item 10)', () => {
  const base = { repo: '/w/express', left: { kind: 'disk' as const }, right: { kind: 'disk' as const }, leftLabel: 'baseline', rightLabel: 'step 1' };

  it('names the repo and the whole path in it, so two utils.js of one repo differ', () => {
    assert.strictEqual(titles.diffTitle({ ...base, path: 'lib/utils.js' }, false, false), 'express/lib/utils.js (baseline ↔ step 1)');
    assert.strictEqual(titles.diffTitle({ ...base, path: 'test/utils.js' }, false, false), 'express/test/utils.js (baseline ↔ step 1)');
    assert.strictEqual(titles.diffTitle({ ...base, path: 'index.js', repoName: 'router' }, true, false), 'router/index.js (baseline ↔ step 1) · added');
  });

  it('a rename names the folder once when it stays in it, both paths when it moves', () => {
    assert.strictEqual(titles.diffTitle({ ...base, path: 'lib/b.js', oldPath: 'lib/a.js' }, false, false), 'express/lib/a.js → b.js (baseline ↔ step 1)');
    assert.strictEqual(titles.diffTitle({ ...base, path: 'src/a.js', oldPath: 'lib/a.js' }, false, false), 'express/lib/a.js → src/a.js (baseline ↔ step 1)');
  });
});

describe('Run Command is plain (item 12)', () => {
  it('a plain line is named as typed: one button, an information icon, no words listed', () => {
    const c = words.runConfirmation('bump', 6, 'npm version 2.0.0 --no-git-tag-version');
    assert.strictEqual(c.message, 'Run npm version 2.0.0 --no-git-tag-version in the 6 repos of bump?');
    assert.deepStrictEqual([c.severity, c.buttons], ['info', ['Run']]);
    assert.strictEqual(c.detail.split('\n')[0], 'Each repo runs it in its own folder, without a shell.');
    assert.doesNotMatch(c.detail, /[[\]"$]|argv|POSIX|\\x20/);
    assert.deepStrictEqual(c.argv, ['npm', 'version', '2.0.0', '--no-git-tag-version']);
    assert.strictEqual(words.lineNote('npm version 2.0.0'), undefined, 'the input box says nothing under a plain line');
    assert.strictEqual(words.runConfirmation('one', 1, 'make').message, 'Run make in the 1 repo of one?');
  });

  it('a line whose quotes made its words shows the words, spaced and bracketed, never as JSON', () => {
    const c = words.runConfirmation('bump', 2, `sed -i 's/a b/c/' "x y.txt"`);
    assert.deepStrictEqual(c.argv, ['sed', '-i', 's/a b/c/', 'x y.txt']);
    assert.deepStrictEqual(c.detail.split('\n').slice(0, 2), [
      'Each repo runs it in its own folder, without a shell, as 4 words:',
      'sed  -i  ‹s/a b/c/›  ‹x y.txt›',
    ]);
    assert.deepStrictEqual([c.severity, c.buttons], ['info', ['Run']]);
    assert.strictEqual(words.lineNote(`echo "a  b"`), 'Runs as 2 words: echo  ‹a  b›');
    assert.strictEqual(words.showWords(['', 'tab\there']), '‹›  ‹tab\\u0009here›');
  });

  it('a line that needs a shell says what needs it, runs with sh -c, and has one button', () => {
    const c = words.runConfirmation('bump', 3, 'grep -l log src/*.ts | wc -l');
    assert.strictEqual(c.needsShell, 'the glob src/*.ts');
    assert.deepStrictEqual([c.severity, c.buttons, c.shellArgv], ['warning', ['Run in a Shell'], ['sh', '-c', 'grep -l log src/*.ts | wc -l']]);
    assert.strictEqual(words.lineNote('echo $HOME'), 'Uses the variable $HOME: it will run in a shell (sh -c)');
  });

  it('isPlain: only a line its reading left as typed', () => {
    const plain = (line: string) => words.isPlain(line, words.commandWords(line).words);
    assert.deepStrictEqual(['npm test', '  npm   test ', 'sed -i s/a/b/ f', `echo 'a'`, 'echo a\\ b', 'a\\x20b'].map(plain), [
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});

describe('Rollbacks rows are titled by what they did (item 13)', () => {
  type Record = Parameters<typeof format.rollbackTitle>[0];
  const rollback = { id: 'rb_1111111111111111', kind: 'rollback', target: { label: 'rename-logger baseline' } } as unknown as Record;
  const undo = { id: 'rb_2222222222222222', kind: 'undo', undoOf: rollback.id, target: { label: 'safety snapshot before rb_1111' } } as unknown as Record;

  it('a rollback by its target, an undo by the rollback it undid; an id only when nothing else is known', () => {
    assert.strictEqual(format.rollbackTitle(rollback), 'Rollback to rename-logger baseline');
    assert.strictEqual(format.rollbackTitle(undo, [undo, rollback]), 'Undo of rollback to rename-logger baseline');
    assert.strictEqual(format.rollbackTitle(undo), 'Undo of rollback rb_11111111');
  });
});
