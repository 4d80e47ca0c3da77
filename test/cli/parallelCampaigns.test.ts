import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { RepoKit, gitEnv, runCli, spawnedPids } from '../helpers/repoKit';

/**
 * Two campaigns (two agents) on the same repos at once (issue 23, item 6). Rolling one back never
 * overwrites an edit the other made after its last checkpoint: restore refuses it as drift naming
 * the other campaign, and replay keeps it. Checked byte for byte on both sides.
 */
describe('parallel campaigns on the same repos', function () {
  const kit = RepoKit.forSuite();
  const lines = (first: string, tenth: string) =>
    ['1 ' + first, ...Array.from({ length: 8 }, (_, i) => `${i + 2}`), '10 ' + tenth, '11', '12'].join('\n') + '\n';

  /** `codecontext campaign run <camp> -- <script>` as its own process; resolves with its exit status. */
  function runIn(store: string, camp: string, script: string): Promise<number | null> {
    const cli = path.resolve(__dirname, '../../../dist/cli.js');
    const child = spawn(process.execPath, [cli, 'campaign', 'run', camp, '--', process.execPath, '-e', script], {
      env: { ...gitEnv, CODECONTEXT_HOME: store },
      stdio: 'ignore',
    });
    spawnedPids.add(child.pid!);
    return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  it('two writers at once; each rollback keeps the other campaign’s later edits, and restore names it', async function () {
    const { root, repos, store } = kit.workspace(2, { 'a.txt': lines('base', 'base'), 'keep.txt': 'k\n' });
    const cli = (...args: string[]) => runCli(args, { store });
    const a = (JSON.parse(cli('campaign', 'start', 'agent-a', '--root', root, '--json').stdout) as { id: string }).id;
    const started = cli('campaign', 'start', 'agent-b', '--root', root, '--json');
    const b = (JSON.parse(started.stdout) as { id: string }).id;
    assert.match(started.stderr, /refuses it as drift naming the other campaign, and replay keeps it/);

    // agent A edits line 1 and checkpoints (its last checkpoint); agent B, at the same time, waits
    // for A's step, then edits line 10 and adds a file
    const gate = path.join(kit.tempDir('cc-gate-'), 'go');
    const writeA = `const fs=require('fs');fs.writeFileSync('a.txt',fs.readFileSync('a.txt','utf8').replace('1 base','1 by A'))`;
    const writeB =
      `const fs=require('fs');const t=setInterval(()=>{if(!fs.existsSync(${JSON.stringify(gate)}))return;clearInterval(t);` +
      `fs.writeFileSync('a.txt',fs.readFileSync('a.txt','utf8').replace('10 base','10 by B'));fs.writeFileSync('b.txt','by B\\n')},5)`;
    const runB = runIn(store, b, writeB);
    assert.strictEqual(await runIn(store, a, writeA), 0);
    fs.writeFileSync(gate, '');
    assert.strictEqual(await runB, 0);
    for (const r of repos) assert.deepStrictEqual([r.read('a.txt').toString(), r.read('b.txt').toString()], [lines('by A', 'by B'), 'by B\n']);

    // restore: refused, naming B, nothing changed
    const refused = cli('rollback', '--campaign', a);
    assert.strictEqual(refused.status, 1, refused.stdout);
    assert.match(refused.stderr, new RegExp(`a\\.txt \\(changed by campaign agent-b \\(${b}\\)\\)`));
    const dry = cli('rollback', '--campaign', a, '--dry-run', '--json');
    const drift = (JSON.parse(dry.stdout) as { repos: { drift: { path?: string; by?: string }[] }[] }).repos.flatMap((r) => r.drift);
    assert.deepStrictEqual(
      drift.map((d) => [d.path, d.by]),
      [
        ['a.txt', `agent-b (${b})`],
        ['b.txt', `agent-b (${b})`],
        ['a.txt', `agent-b (${b})`],
        ['b.txt', `agent-b (${b})`],
      ],
    );
    for (const r of repos) assert.strictEqual(r.read('a.txt').toString(), lines('by A', 'by B'));

    // replay: A's line goes back, B's edits stay
    const replay = cli('rollback', '--campaign', a, '--mode', 'replay');
    assert.strictEqual(replay.status, 0, replay.stderr);
    for (const r of repos) {
      assert.strictEqual(r.read('a.txt').toString(), lines('base', 'by B'));
      assert.strictEqual(r.read('b.txt').toString(), 'by B\n');
      assert.strictEqual(r.read('keep.txt').toString(), 'k\n');
    }
    // B's step, checkpointed after A's, also recorded A's line (the overlap warning says so): its
    // inverse no longer applies there, so B's replay is a conflict and changes nothing
    const undoB = cli('rollback', '--campaign', b, '--mode', 'replay');
    assert.strictEqual(undoB.status, 1, undoB.stdout);
    assert.match(undoB.stderr, /a\.txt: \d conflicts?; first: step 1/);
    for (const r of repos) assert.strictEqual(r.read('a.txt').toString(), lines('base', 'by B'));
  });
});
