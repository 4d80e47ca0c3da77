import * as assert from 'assert';
import { gate, runInOrder } from '../../server/src/engine/util/pool';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pool: running work in dependency order', function () {
  it('starts each item only after those it comes after, and runs a long chain beside the independent items', async function () {
    // c0 → c1 → c2 → c3 (each after the one before), and twelve items that wait for nothing
    const items = [
      ...Array.from({ length: 12 }, (_, i) => ({ key: `i${i}`, after: [] as string[] })),
      ...[0, 1, 2, 3].map((i) => ({ key: `c${i}`, after: i ? [`c${i - 1}`] : [] })),
    ];
    const started: string[] = [];
    const finished: string[] = [];
    const events: string[] = [];
    let running = 0;
    let most = 0;
    await runInOrder(
      items,
      (x) => x.key,
      (x) => [...x.after, 'not-an-item'],
      2,
      async (x) => {
        for (const b of x.after) assert.ok(finished.includes(b), `${x.key} started before ${b} finished`);
        started.push(x.key);
        events.push(`start ${x.key}`);
        most = Math.max(most, ++running);
        await tick(5);
        running--;
        finished.push(x.key);
        events.push(`end ${x.key}`);
      },
    );
    assert.strictEqual(finished.length, items.length);
    assert.strictEqual(most, 2);
    assert.strictEqual(started[0], 'c0', 'the longest chain first');
    // a chain item with more of the chain behind it starts at the first free place after the one before it
    for (const k of [1, 2]) {
      const next = events.slice(events.indexOf(`end c${k - 1}`)).find((e) => e.startsWith('start'));
      assert.strictEqual(next, `start c${k}`, events.join(', '));
    }
  });

  it('stops starting on the first failure and rethrows it once the started calls settle', async function () {
    const items = ['a', 'b', 'c', 'd', 'e'];
    const settled: string[] = [];
    await assert.rejects(
      runInOrder(
        items,
        (x) => x,
        (x) => (x === 'e' ? ['a'] : []),
        2,
        async (x) => {
          await tick(x === 'a' ? 1 : 10);
          settled.push(x);
          if (x === 'a') throw new Error('a failed');
        },
      ),
      /a failed/,
    );
    assert.ok(!settled.includes('e'), 'what waited for the failed item never ran');
    assert.ok(settled.length < items.length, settled.join(' '));
  });

  it('refuses items that wait for each other in a circle, having run the rest', async function () {
    const ran: string[] = [];
    await assert.rejects(
      runInOrder(
        ['a', 'b', 'c'],
        (x) => x,
        (x) => (x === 'a' ? ['b'] : x === 'b' ? ['a'] : []),
        4,
        async (x) => {
          ran.push(x);
        },
      ),
      /circle never ran \(2 of 3\)/,
    );
    assert.deepStrictEqual(ran, ['c']);
  });

  it('gate lets at most its limit through at once', async function () {
    const through = gate(3);
    let running = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        through(async () => {
          most = Math.max(most, ++running);
          await tick(2);
          running--;
        }),
      ),
    );
    assert.strictEqual(most, 3);
  });
});
