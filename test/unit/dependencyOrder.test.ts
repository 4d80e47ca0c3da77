import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { checkpointCampaign, startCampaign } from '../../server/src/engine/campaign/campaign';
import { JournalEntry, readJournal } from '../../server/src/engine/rollback/tx/journal';
import { orderRepos } from '../../server/src/engine/repo/dependencyOrder';
import { planRollback } from '../../server/src/engine/rollback/plan/plan';
import { Store } from '../../server/src/engine/store/store';
import { executeRollback } from '../../server/src/engine/rollback/tx/transaction';
import { RepoKit } from '../helpers/repoKit';

/** What each repo declares, by every means repo/dependencyOrder.ts reads: package.json, go.mod, .codecontext.json. */
type Declares = Record<string, { pkg?: string[]; dev?: string[]; peer?: string[]; go?: string[]; explicit?: string[] }>;

function manifests(name: string, d: Declares[string]): Record<string, string> {
  const files: Record<string, string> = {
    'package.json': JSON.stringify({
      name: `@ws/${name}`,
      dependencies: Object.fromEntries((d.pkg ?? []).map((p) => [`@ws/${p}`, '*'])),
      devDependencies: Object.fromEntries((d.dev ?? []).map((p) => [`@ws/${p}`, '*'])),
      peerDependencies: Object.fromEntries((d.peer ?? []).map((p) => [`@ws/${p}`, '*'])),
    }),
    'go.mod':
      `module example.com/${name}\n\ngo 1.22\n` + (d.go?.length ? `require (\n${d.go.map((g) => `\texample.com/${g} v0.0.0 // indirect\n`).join('')})\n` : ''),
  };
  if (d.explicit) files['.codecontext.json'] = JSON.stringify({ dependsOn: d.explicit.map((e) => `../${e}`) });
  return files;
}

/** A chain of 5 (each link declared a different way), a diamond, and a cycle of two with a dependent. */
const graph: Declares = {
  c0: { pkg: ['c1'] },
  c1: { dev: ['c2'] },
  c2: { go: ['c3'] },
  c3: { explicit: ['c4'] },
  c4: {},
  dtop: { pkg: ['dleft'], peer: ['dright'] },
  dleft: { pkg: ['dbottom'] },
  dright: { explicit: ['dbottom'] },
  dbottom: {},
  x: { pkg: ['y'] },
  y: { go: ['x'] },
  xuser: { explicit: ['x'] },
};

describe('rollback dependency order', function () {
  const kit = RepoKit.forSuite();

  function workspace(): { root: string; at: (name: string) => string } {
    const root = kit.tempDir('cc-ws-');
    for (const [name, d] of Object.entries(graph)) kit.repo(path.join(root, name), manifests(name, d));
    return { root, at: (name) => path.join(root, name) };
  }

  it('puts dependents first, in waves; a cycle is one wave and is reported', async function () {
    const root = kit.tempDir('cc-ws-');
    const at = (name: string) => path.join(root, name);
    for (const [name, d] of Object.entries(graph)) {
      fs.mkdirSync(at(name));
      for (const [f, content] of Object.entries(manifests(name, d))) fs.writeFileSync(path.join(at(name), f), content);
    }
    const order = await orderRepos(Object.keys(graph).map(at));
    const names = (w: string[][]) => w.map((wave) => wave.map((p) => path.basename(p)));
    assert.deepStrictEqual(names(order.waves), [['c0', 'dtop', 'xuser'], ['c1', 'dleft', 'dright', 'x', 'y'], ['c2', 'dbottom'], ['c3'], ['c4']]);
    assert.deepStrictEqual(names(order.cycles), [['x', 'y']]);
    assert.deepStrictEqual(order.dependsOn[at('dtop')], [at('dleft'), at('dright')]);
  });

  it('commits dependents before what they depend on, as the journal shows; the plan reports the cycle', async function () {
    const { root, at } = workspace();
    const store = new Store(kit.tempDir('cc-store-'));
    const ctx = { store };
    const campaign = await startCampaign(ctx, 'bump', [root]);
    for (const name of Object.keys(graph)) fs.appendFileSync(path.join(at(name), 'go.mod'), '// bumped\n');
    await checkpointCampaign(ctx, campaign.id);
    const plan = await planRollback(ctx, { campaign: campaign.id });
    assert.deepStrictEqual(plan.cycles, [[at('x'), at('y')]]);
    assert.strictEqual(plan.waves.length, 5);
    const after = (name: string) => plan.repos.find((r) => r.path === at(name))!.after.map((p) => path.basename(p));
    assert.deepStrictEqual(after('c1'), ['c0']);
    assert.deepStrictEqual(after('dbottom'), ['dleft', 'dright']);
    assert.deepStrictEqual(after('y'), ['xuser'], 'a circle waits as one for what depends on any of it');
    assert.deepStrictEqual(after('c0'), []);
    const record = await executeRollback(ctx, plan);

    const committed = (await readJournal(store, record.id))
      .filter((e): e is Extract<JournalEntry, { t: 'committed' }> => e.t === 'committed')
      .map((e) => path.basename(e.repo));
    assert.strictEqual(committed.length, Object.keys(graph).length);
    assert.deepStrictEqual(
      committed.filter((n) => n.startsWith('c')),
      ['c0', 'c1', 'c2', 'c3', 'c4'],
      'the chain, dependents first',
    );
    const pos = (n: string) => committed.indexOf(n);
    for (const [a, b] of [
      ['dtop', 'dleft'],
      ['dtop', 'dright'],
      ['dleft', 'dbottom'],
      ['dright', 'dbottom'],
      ['xuser', 'x'],
      ['xuser', 'y'],
    ]) {
      assert.ok(pos(a) < pos(b), `${a} before ${b}: ${committed.join(' ')}`);
    }
  });
});
