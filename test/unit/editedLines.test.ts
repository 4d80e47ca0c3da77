import * as assert from 'assert';
import { editedLines } from '../../server/src/engine/rollback/plan/editedLines';

// The drift lines a preview marks as the user's own: lines of the file now that were not there before.
describe('editedLines (the user’s lines in a drifted file)', () => {
  const b = (s: string) => Buffer.from(s);

  it('names the lines added or changed, by their number in the file now', () => {
    assert.deepStrictEqual(editedLines(b('a\nb\nc\n'), b('a\nmine\nb\nc\n')), [2]);
    assert.deepStrictEqual(editedLines(b('a\nb\nc\n'), b('a\nB\nc\nend\n')), [2, 4]);
  });

  it('a removal alone marks nothing now; a new file is all the user’s', () => {
    assert.deepStrictEqual(editedLines(b('a\nb\n'), b('a\n')), []);
    assert.deepStrictEqual(editedLines(undefined, b('x\ny')), [1, 2]);
    assert.deepStrictEqual(editedLines(undefined, b('')), []);
  });
});
