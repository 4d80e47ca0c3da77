import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { checkpointCampaign, startCampaign } from '../../server/src/engine/campaign/campaign';
import { planRollback } from '../../server/src/engine/rollback/plan/plan';
import { createSnapshot } from '../../server/src/engine/snapshot/snapshot';
import { Store } from '../../server/src/engine/store/store';
import { JournalEntry, journalFile, readJournal } from '../../server/src/engine/rollback/tx/journal';
import { TxState, applyEntry, effectsOf, journalState } from '../../server/src/engine/rollback/tx/journalState';
import { executeRollback } from '../../server/src/engine/rollback/tx/transaction';
import { undoRollback } from '../../server/src/engine/rollback/tx/undo';
import { RepoKit, TestRepo } from '../helpers/repoKit';

/**
 * The reducer that recovery and the running transaction share (tx/journalState.ts), on the
 * journals real transactions write: a campaign rollback, its undo, and a rollback that fails in
 * one repo and compensates the others. Every prefix is a moment a crash can leave, and every
 * torn last line one a crash mid-write can.
 */
describe('journalState: the one reducer of a transaction journal', function () {
  this.timeout(120_000);
  const kit = RepoKit.forSuite();
  const journals: { name: string; entries: JournalEntry[]; bytes: Buffer }[] = [];
  let store: Store;

  before(async function () {
    store = new Store(kit.tempDir('cc-store-'));
    const ctx = { store };
    const template = kit.repo(path.join(kit.tempDir('cc-tpl-'), 'template'), { 'a.txt': 'a\n', 'b.txt': 'b\n' });
    const { root, repos } = kit.copies(template, 3);
    const campaign = await startCampaign(ctx, 'bump', [root]);
    for (const r of repos) r.write('a.txt', 'bumped\n').remove('b.txt');
    await checkpointCampaign(ctx, campaign.id);
    const rollback = await executeRollback(ctx, await planRollback(ctx, { campaign: campaign.id }));
    const undo = await undoRollback(ctx, rollback.id);
    // a branch lock held in the last repo: its commit fails, the others are put back
    const snap = await createSnapshot(
      store,
      repos.map((r: TestRepo) => r.dir),
    );
    for (const r of repos) r.write('a.txt', 'again\n');
    fs.writeFileSync(path.join(repos[2].dir, '.git', 'refs', 'heads', 'main.lock'), '');
    await executeRollback({ ...ctx, parallelism: 1 }, await planRollback(ctx, { snapshot: snap.id })).then(
      () => assert.fail('the rollback should fail'),
      (e: Error) => assert.match(e.message, /returned to the safety snapshot/),
    );
    fs.rmSync(path.join(repos[2].dir, '.git', 'refs', 'heads', 'main.lock'));
    for (const name of await store.list('journal', '.jsonl')) {
      const rb = name.slice(0, -'.jsonl'.length);
      const entries = await readJournal(store, rb);
      const kind = entries[0]?.t === 'begin' ? entries[0].kind : '?';
      const ended = entries.find((e): e is Extract<JournalEntry, { t: 'end' }> => e.t === 'end');
      journals.push({
        name: `${kind} ${ended?.outcome ?? 'unended'} (${rb === rollback.id ? 'campaign rollback' : rb === undo.id ? 'its undo' : 'failing'})`,
        entries,
        bytes: fs.readFileSync(journalFile(store, rb)),
      });
    }
    assert.strictEqual(journals.length, 3);
  });

  it('a whole journal is ended with nothing left, and names its effects as done', function () {
    for (const j of journals) {
      const s = journalState(j.entries);
      assert.ok(s.ended, j.name);
      assert.deepStrictEqual(s.left, { compensate: [], effects: [], end: false }, j.name);
      assert.deepStrictEqual([...s.done].sort(), effectsOf(s.begin, s.outcome!.outcome).sort(), `${j.name}: every effect done`);
    }
    const rollback = journals.find((j) => j.name.includes('campaign rollback'))!;
    assert.deepStrictEqual([...journalState(rollback.entries).done], ['evidence', 'record', 'campaign'], 'the campaign is marked by its rollback');
    const undo = journalState(journals.find((j) => j.name.includes('its undo'))!.entries);
    assert.deepStrictEqual([...undo.done], ['evidence', 'record', 'campaign', 'undone'], 'the undo marks the rollback undone and the campaign active');
    const failing = journalState(journals.find((j) => j.name.includes('failing'))!.entries);
    assert.strictEqual(failing.outcome?.outcome, 'aborted');
    // every repo's commit began (the last one wrote its files before its branch's lock stopped it): all went back
    assert.deepStrictEqual(
      failing.repos.map((r) => r.phase),
      ['compensated', 'compensated', 'compensated'],
    );
    assert.strictEqual(failing.compensating !== undefined, true);
  });

  it('every prefix: what is left is what recovery must do, and folding entry by entry is the same function', function () {
    for (const j of journals) {
      let folded: TxState = journalState([]);
      for (let n = 0; n <= j.entries.length; n++) {
        const prefix = j.entries.slice(0, n);
        const s = journalState(prefix);
        const at = `${j.name}, first ${n} entries (${prefix.map((e) => e.t).join(' ')})`;
        assert.deepStrictEqual(stripped(s), stripped(folded), `${at}: fold`);
        if (n < j.entries.length) folded = applyEntry(folded, j.entries[n]);
        if (s.ended) continue;
        if (!s.begin) {
          assert.deepStrictEqual(s.left, { compensate: [], effects: [], end: true }, at);
          continue;
        }
        if (s.outcome) {
          // decided: only the bookkeeping is left, never a repo
          assert.strictEqual(s.left.decide, undefined, at);
          assert.deepStrictEqual(s.left.compensate, [], at);
          assert.deepStrictEqual(
            s.left.effects,
            effectsOf(s.begin, s.outcome.outcome).filter((e) => !s.done.has(e)),
            at,
          );
        } else if (s.verified) {
          assert.strictEqual(s.left.decide, 'committed', at);
          assert.deepStrictEqual(s.left.compensate, [], at);
        } else {
          assert.strictEqual(s.left.decide, 'recovered', at);
          // every prepared repo not yet back goes back; before `prepared`, nothing had changed
          const expected = s.prepared ? s.repos.filter((r) => r.phase !== 'compensated' && r.phase !== 'abandoned').map((r) => r.path) : [];
          assert.deepStrictEqual(s.left.compensate, expected, at);
        }
        assert.ok(s.left.end, at);
      }
    }
  });

  it('a torn last line (a crash mid-write) reads as the prefix before it, at every byte', async function () {
    for (const j of journals) {
      const bytes = j.bytes;
      const lastStart = bytes.lastIndexOf(0x0a, bytes.length - 2) + 1;
      const copy = path.join(kit.tempDir('cc-torn-'), 'journal');
      const tornStore = new Store(copy);
      fs.mkdirSync(path.join(copy, 'journal'), { recursive: true });
      const rb = (j.entries[0] as Extract<JournalEntry, { t: 'begin' }>).rb;
      const want = stripped(journalState(j.entries.slice(0, -1)));
      // every 7th byte of the last line, and its last byte (the newline) missing
      for (let cut = lastStart + 1; cut < bytes.length; cut += cut === bytes.length - 2 ? 1 : 7) {
        fs.writeFileSync(journalFile(tornStore, rb), bytes.subarray(0, cut));
        const s = journalState(await readJournal(tornStore, rb));
        assert.deepStrictEqual(stripped(s), want, `${j.name} cut at ${cut} of ${bytes.length}`);
      }
    }
  });
});

/** The state with its sets as sorted lists, for deepStrictEqual. */
function stripped(s: TxState): unknown {
  return { ...s, done: [...s.done].sort() };
}
