import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { checkpointCampaign, startCampaign } from '../../server/src/engine/campaign/campaign';
import { JournalEntry, readJournal } from '../../server/src/engine/rollback/tx/journal';
import { layer, orderRepos } from '../../server/src/engine/repo/dependencyOrder';
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

describe('dependency order: the waves of a graph', () => {
  /** The waves by their definition: peel the components no remaining component depends on, again and again. */
  function peeled(nodes: string[], dependsOn: Record<string, string[]>): string[][] {
    const { cycles } = layer(nodes, dependsOn);
    const compOf = new Map<string, string>(nodes.map((n) => [n, n]));
    for (const c of cycles) for (const n of c) compOf.set(n, c[0]);
    const comps = [...new Set(nodes.map((n) => compOf.get(n)!))];
    const members = (c: string) => nodes.filter((n) => compOf.get(n) === c);
    const dependents = (c: string) =>
      new Set(nodes.filter((n) => compOf.get(n) !== c && (dependsOn[n] ?? []).some((d) => compOf.get(d) === c)).map((n) => compOf.get(n)!));
    const done = new Set<string>();
    const waves: string[][] = [];
    while (done.size < comps.length) {
      const ready = comps.filter((c) => !done.has(c) && [...dependents(c)].every((d) => done.has(d)));
      waves.push(ready.flatMap(members).sort());
      ready.forEach((c) => done.add(c));
    }
    return waves;
  }

  it('puts each component one wave after its last dependent, on random graphs with cycles', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let g = 0; g < 200; g++) {
      const nodes = Array.from({ length: 1 + Math.floor(random() * 25) }, (_, i) => `r${i}`);
      const dependsOn: Record<string, string[]> = {};
      for (const n of nodes) dependsOn[n] = nodes.filter((m) => m !== n && random() < 0.12);
      assert.deepStrictEqual(layer(nodes, dependsOn).waves, peeled(nodes, dependsOn), JSON.stringify(dependsOn));
    }
  });

  it('orders a chain of 1,000 waves over 5,000 repos', () => {
    const nodes = Array.from({ length: 5000 }, (_, i) => `r${String(i).padStart(4, '0')}`);
    const dependsOn: Record<string, string[]> = Object.fromEntries(nodes.map((n, i) => [n, i % 5 === 0 && i + 5 < nodes.length ? [nodes[i + 5]] : []]));
    const { waves } = layer(nodes, dependsOn);
    assert.strictEqual(waves.length, 1000);
    assert.strictEqual(waves.flat().length, 5000);
    assert.deepStrictEqual(waves[999], ['r4995']);
  });
});
