import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { canonicalSha256, jsonMembers, prettyJsonChunks, writeChunksAtomic } from '../../server/src/engine/rollback/evidence/streaming';
import { readEvidenceChecks } from '../../server/src/engine/rollback/evidence/pack';
import { planHash } from '../../server/src/engine/rollback/plan/plan';
import { canonicalJson, sha256 } from '../../server/src/engine/util/canonical';

/**
 * A pack's large files written in pieces (issue 21, item 12): the bytes and hashes must be those
 * of the whole-string forms, or `evidence verify` and every pack already written would disagree.
 */
describe('evidence written in pieces (evidence/streaming.ts)', () => {
  const file = (i: number) => ({
    path: `src/m${i}/f${i}.ts`,
    action: i % 3 ? 'write' : 'delete',
    blob: i % 3 ? 'b'.repeat(40) : null,
    mode: '100644',
    fromBlob: 'a'.repeat(40),
    change: 'restore',
    added: i,
    removed: 1,
    binary: false,
    diffHash: 'd'.repeat(64),
    ...(i % 7 === 0 ? { driftLines: [1, 2, i] } : {}),
    ...(i % 11 === 0 ? { gone: undefined } : {}),
  });
  const state = { head: 'h'.repeat(40), ref: 'refs/heads/main', index: 'i'.repeat(40), worktree: 'w'.repeat(40) };
  const pack = (files: number) => ({
    format: 1,
    id: 'rb_0123',
    who: { user: 'ü "quoted"\n', gitName: undefined },
    command: [],
    empty: {},
    phases: [{ name: 'prepare', startedAt: '2026-01-01T00:00:00Z', ms: 3, retries: 0 }],
    repos: [
      { path: '/w/a', wave: 0, before: state, target: state, after: null, kept: [], files: Array.from({ length: files }, (_, i) => file(i)) },
      { path: '/w/b\u2028', wave: 1, before: state, target: state, after: state, files: [] },
    ],
    nested: [[1, [2, [3, { x: [4] }]]], [], [{}], null, 'x', 1.5e-7, -0, true],
    unicode: '\u0000\ud83d\ude00 \u007f',
  });
  const cases = [0, 1, 64, 65, 3000].map(pack) as unknown[];
  cases.push({}, [], 'x', 3, null, [undefined, 1], { a: undefined, b: [undefined] }, [[[[]]]], { a: { b: { c: [{ d: [{}] }] } } });

  it('gives JSON.stringify(value, null, 2), piece by piece', () => {
    for (const v of cases) assert.strictEqual([...prettyJsonChunks(v)].join(''), JSON.stringify(v, null, 2));
  });

  it('hashes as sha256(canonicalJson(value))', () => {
    for (const v of cases) assert.strictEqual(canonicalSha256(v), sha256(canonicalJson(v)));
  });

  it('a big list is given in pieces no larger than one entry', () => {
    const pieces = [...prettyJsonChunks(pack(3000))];
    assert.ok(pieces.length > 3000);
    assert.ok(Math.max(...pieces.map((p) => p.length)) < 1000);
  });

  it('writes the pieces atomically and returns the hash of the bytes written; a piece that throws leaves no file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-stream-'));
    try {
      const target = path.join(dir, 'sub', 'out.txt');
      const text = Array.from({ length: 40_000 }, (_, i) => `line ${i} ü\n`);
      assert.strictEqual(await writeChunksAtomic(target, text), sha256(text.join('')));
      assert.strictEqual(fs.readFileSync(target, 'utf8'), text.join(''));
      function* failing() {
        yield 'partial';
        throw new Error('render failed');
      }
      const other = path.join(dir, 'sub', 'other.txt');
      await assert.rejects(writeChunksAtomic(other, failing()), /render failed/);
      assert.deepStrictEqual(fs.readdirSync(path.dirname(target)), ['out.txt']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("finds a pack's top-level members without parsing the rest, and reads its checks as the parsed pack has them", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-members-'));
    const odd = 'a "quoted" \\ back}slash] {[ é ✓ \u0000 end';
    const pack = {
      format: 1,
      id: 'rb_0123',
      repos: [{ path: odd, files: Array.from({ length: 50 }, (_, i) => file(i)), nested: { a: [[], {}, '"', '\\'] } }],
      checks: [{ repo: odd, command: 'npm test -- "}"', exitCode: 0 }],
      empty: {},
      n: -1.5e3,
      t: true,
      z: null,
      digest: 'd'.repeat(64),
    };
    for (const text of [JSON.stringify(pack), JSON.stringify(pack, null, 2), [...prettyJsonChunks(pack)].join('') + '\n']) {
      const bytes = Buffer.from(text);
      const members = jsonMembers(bytes);
      assert.deepStrictEqual([...members.keys()], Object.keys(pack));
      const parsed = JSON.parse(text) as Record<string, unknown>;
      for (const [k, [a, b]] of members) assert.deepStrictEqual(JSON.parse(bytes.toString('utf8', a, b)), parsed[k], k);
      const f = path.join(dir, 'evidence-rb_0123.json');
      fs.writeFileSync(f, bytes);
      assert.deepStrictEqual(await readEvidenceChecks(f), pack.checks);
    }
    assert.deepStrictEqual(jsonMembers(Buffer.from(' {} ')), new Map());
    const f = path.join(dir, 'evidence-rb_0124.json');
    const { checks: _c, ...without } = pack;
    fs.writeFileSync(f, JSON.stringify(without));
    assert.deepStrictEqual(await readEvidenceChecks(f), [], 'a pack without checks ran none');
    // what readEvidence refuses is refused: cut short, not an object, text after it, not a pack
    const whole = JSON.stringify(pack);
    for (const bad of [whole.slice(0, -1), whole.slice(0, whole.length / 2), '[1]', whole + 'x', JSON.stringify({ ...pack, format: 2 }), '{"a":}']) {
      fs.writeFileSync(f, bad);
      await assert.rejects(readEvidenceChecks(f), /evidence is unreadable/, bad.slice(-20));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('hashes a plan piece by piece to the hash of its canonical text, pushes and all', () => {
    const state = { head: 'h'.repeat(40), ref: 'refs/heads/main', index: 'i'.repeat(40), worktree: 'w'.repeat(40) };
    const files = Array.from({ length: 30 }, (_, i) => ({ ...file(i), fromMode: null }));
    const push = {
      remote: 'origin',
      url: 'u',
      problems: [],
      notes: [],
      updates: [{ ref: 'refs/heads/main', action: 'restore', old: 'a'.repeat(40), to: null }],
    };
    const repos = [
      { path: '/r/é "x"', current: state, goal: { ...state, ref: null }, files },
      { path: '/r/pushed', current: state, goal: state, files: files.slice(0, 2), pushes: [push] },
      { path: '/r/none', current: state, goal: state, files: [], pushes: [] },
    ];
    const canonical = {
      mode: 'restore',
      target: 'snap_1',
      repos: repos.map((r) => ({
        path: r.path,
        current: r.current,
        goal: r.goal,
        files: r.files.map((f) => [f.path, f.action, f.blob, f.mode]),
        ...(r.pushes?.length ? { pushes: r.pushes.map((p) => [p.remote, p.updates.map((u) => [u.ref, u.action, u.old, u.to, null])]) } : {}),
      })),
    };
    assert.strictEqual(planHash('restore', 'snap_1', repos as never), sha256(canonicalJson(canonical)));
  });
});
