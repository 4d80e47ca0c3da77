import * as assert from 'assert';
import { globMatcher } from '../../server/src/engine/util/glob';

/** `--path` globs: git-like rules, literal names by escaping, and no pattern that can take forever. */
describe('path globs (util/glob.ts)', () => {
  const m = (patterns: string[], p: string) => globMatcher(patterns)(p);

  it('matches base names anywhere, anchored paths from the root, folders with all below them', () => {
    assert.ok(m(['*.ts'], 'src/a.ts'));
    assert.ok(!m(['/*.ts'], 'src/a.ts'));
    assert.ok(m(['/src/*.ts'], 'src/a.ts'));
    assert.ok(!m(['src/*.ts'], 'src/deep/a.ts'));
    assert.ok(m(['src/**/*.ts'], 'src/deep/er/a.ts'));
    assert.ok(m(['src/**/*.ts'], 'src/a.ts'));
    assert.ok(m(['src'], 'src/deep/a.ts'));
    assert.ok(m(['what?.ts'], 'whatX.ts'));
    assert.ok(m(['[ab].ts'], 'b.ts') && !m(['[ab].ts'], 'c.ts') && m(['[!ab].ts'], 'c.ts') && m(['[a-c].ts'], 'b.ts'));
  });

  it('a literal name with glob characters, escaped, selects only itself', () => {
    assert.ok(m(['a\\*b.ts'], 'a*b.ts'));
    assert.ok(!m(['a\\*b.ts'], 'axb.ts'));
    assert.ok(m(['what\\?.ts'], 'what?.ts') && !m(['what\\?.ts'], 'whatX.ts'));
    assert.ok(m(['\\[x\\].ts'], '[x].ts') && !m(['\\[x\\].ts'], 'x.ts'));
  });

  it('a pattern that makes a backtracking regex take minutes is answered at once', () => {
    const pattern = 'a*'.repeat(30) + 'c';
    const name = 'a'.repeat(5000);
    assert.strictEqual(m([pattern], name), false);
    assert.strictEqual(m([`**/${'*a'.repeat(20)}/**/x`], Array.from({ length: 40 }, () => 'aaaaaaaaaa').join('/')), false);
  });
});
