import * as assert from 'assert';
import { createHash } from 'crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Api, Confirmation, EXTENSION_ID, atCampaignEnd, description, fixture, git, label, readyInView, revealFound, walk, waitForTree } from './fixture';
import { screenshot } from './screenshot';

const f = fixture();

interface SealedManifest {
  repos: { path: string }[];
  createdAt: string;
  toolVersion: string;
}

/** The store's canonical JSON (util/canonical.ts), which a manifest's id and seal hash. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x ?? null)).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

/** A sealed snapshot of one repo of `original`, made at `createdAt`, as the store would hold one. */
function forgeSnapshot(original: SealedManifest, repo: string, createdAt: number, message: string): { id: string; file: string } {
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  const repos = original.repos.filter((r) => r.path === repo);
  const id = `snap_${sha(canonical({ format: 1, repos })).slice(0, 16)}`;
  const body = { format: 1, id, repos, createdAt: new Date(createdAt).toISOString(), message, toolVersion: original.toolVersion };
  const file = path.join(f.store, 'snapshots', `${id}.json`);
  writeFileSync(file, JSON.stringify({ ...body, seal: sha(canonical(body)) }));
  return { id, file };
}

/** What a user checks after a rollback: the bytes of a few files, and that git sees a clean tree. */
function atSnapshot(): void {
  assert.match(readFileSync(path.join(f.repos.alpha, 'src', 'index.ts'), 'utf8'), /import \{ logger \}/);
  assert.deepStrictEqual([...readFileSync(path.join(f.repos.alpha, 'assets', 'logo.bin'))], [0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0x03]);
  assert.strictEqual(readFileSync(path.join(f.repos.beta, 'old.txt'), 'utf8'), 'to be deleted by the campaign\n');
  assert.ok(!existsSync(path.join(f.repos.gamma, 'NOTES.md')), 'gamma/NOTES.md is still there');
  for (const repo of Object.values(f.repos)) assert.strictEqual(git(repo, 'status', '--porcelain'), '', `${repo} is not clean`);
}

interface ExecuteResult {
  record: { id: string; outcome: string; repos: unknown[]; kind: string };
}

describe('Commands', function () {
  this.timeout(90_000);
  let api: Api;

  before(async () => {
    api = await readyInView();
  });

  it('registers every command package.json contributes (one table registers them all)', async () => {
    const all = new Set(await vscode.commands.getCommands(true));
    const manifest = JSON.parse(readFileSync(path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'package.json'), 'utf8')) as {
      contributes: { commands: { command: string }[] };
    };
    const ours = manifest.contributes.commands.map((c) => c.command);
    assert.ok(ours.length >= 36, `package.json contributes ${ours.length} commands`);
    assert.deepStrictEqual(
      ours.filter((c) => !all.has(c)),
      [],
    );
  });

  it('Rollback to Snapshot… offers the snapshots newest first in a quick pick', async () => {
    atCampaignEnd();
    // two snapshots of the user's beside the fixture's: one a minute older, one newer (halfway to now; never in the future),
    // each of one repo, so an id of its own
    const original = JSON.parse(readFileSync(path.join(f.store, 'snapshots', `${f.snapshot}.json`), 'utf8')) as SealedManifest;
    const at = Date.parse(original.createdAt);
    const made = [
      forgeSnapshot(original, f.repos.alpha, Math.round((at + Date.now()) / 2), 'commands: newer'),
      forgeSnapshot(original, f.repos.beta, at - 60_000, 'commands: a minute older'),
    ];
    try {
      // the server lists them (the tree shows them) before the pick asks it
      const t = api.trees.snapshots;
      await waitForTree(t, async () => {
        const shown = await t.getChildren(await walk(t, 'Your snapshots'));
        const rows = (await Promise.all(shown.map((n) => (n.kind === 'snapshotDay' ? t.getChildren(n) : [n])))).flat();
        return made.every((m) => rows.some((r) => r.snapshot === m.id)) ? true : undefined;
      });
      // the pick's rows from the top, one at a time: move down i rows, accept, and read which snapshot the confirmation names
      const names: string[] = [];
      for (let i = 0; i < 3; i++) {
        const run = vscode.commands.executeCommand('codecontext.rollbackToSnapshot', { dryRun: true }) as Thenable<Confirmation | undefined>;
        await screenshot(i === 0 ? 'rollback-quick-pick' : `rollback-quick-pick-${i}`, {
          // the separator of the campaign's rows: text only the pick shows (its title is also the Rollbacks view's welcome link)
          waitForText: `campaign ${f.campaign.name}`,
        });
        // every row's comparison drawn first: each sets the rows again, which would put the highlight back
        // where the extension host last saw it, undoing a move made meanwhile
        await api.snapshotPickCompared();
        for (let k = 0; k < i; k++) await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        const shown = await run;
        names.push(/ to "(.*)" \(snap_/.exec(shown?.message ?? '')?.[1] ?? `(row ${i}: ${shown?.message})`);
      }
      assert.deepStrictEqual(names, ['commands: newer', 'before the codemod', 'commands: a minute older']);
    } finally {
      for (const m of made) rmSync(m.file);
    }
    atCampaignEnd();
  });

  // VS Code refuses modal dialogs while extension tests run ("DialogService: refused to show dialog in
  // tests"), so the dialog cannot be pictured here: the test reads the words it would show instead.
  it('states in its confirmation what will change, before anything does', async () => {
    const shown = (await vscode.commands.executeCommand('codecontext.rollbackToSnapshot', f.snapshot, { dryRun: true })) as {
      message: string;
      detail: string;
      buttons: string[];
    };
    assert.strictEqual(shown.message, `Roll back 3 repos to "before the codemod" (${f.snapshot.slice(0, 'snap_'.length + 8)})?`);
    const lines = shown.detail.split('\n');
    assert.match(lines[0], /^10 files will change in 3 repos \(\+\d+ −\d+ lines\)\.$/);
    assert.deepStrictEqual(
      lines.filter((l) => l.startsWith('• ')),
      ['• alpha: 3 files', '• beta: 3 files', '• gamma: 4 files'],
    );
    assert.match(shown.detail, /A safety snapshot of every repo is taken first; "Undo" returns them\. Mode: restore\./);
    assert.deepStrictEqual(shown.buttons, ['Roll Back', 'Preview…']);
    atCampaignEnd();
  });

  it('one click restores every repo to the snapshot (checked on disk), and Undo returns them', async () => {
    const result = (await vscode.commands.executeCommand('codecontext.rollbackToSnapshot', f.snapshot, { confirm: false })) as ExecuteResult;
    assert.ok(result, 'the rollback returned nothing');
    assert.strictEqual(result.record.outcome, 'committed');
    assert.strictEqual(result.record.repos.length, 3);
    atSnapshot();

    // the Rollbacks tree shows it without a refresh: outcome, time, repos, evidence
    const t = api.trees.rollbacks;
    const node = await waitForTree(t, async () => (await t.getChildren()).find((n) => n.rollback === result.record.id));
    assert.match(label(t, node), /^Rollback to /);
    assert.match(description(t, node), /committed · 3 repos/);
    const facts = await t.getChildren(node);
    assert.deepStrictEqual(
      facts.map((n) => label(t, n).split(':')[0]),
      ['Outcome', 'Time', 'Repositories', 'Evidence pack'],
    );
    // the evidence opens as its rendered report (evidence.test.ts looks at it closely)
    type Panel = { panel: vscode.WebviewPanel; whenReady(): Promise<void>; waitFor(test: (s: { title: string }) => boolean): Promise<unknown> };
    const evidence = (await vscode.commands.executeCommand('codecontext.openEvidence', node)) as Panel;
    await evidence.whenReady();
    await evidence.waitFor((s) => s.title.startsWith('Rollback to '));
    evidence.panel.dispose();
    // the rollback's writes refresh the tree when the server hears them, maybe mid-reveal: each found again then
    const rolledBack = async () => (await t.getChildren()).find((n) => n.rollback === result.record.id)!;
    await revealFound(api.views.rollbacks, async () => (await t.getChildren(await rolledBack()))[2], { expand: true, select: false });
    await revealFound(api.views.rollbacks, rolledBack, { expand: true, select: true });
    await screenshot('tree-rollbacks', { waitForText: 'Evidence pack' });

    const undone = (await vscode.commands.executeCommand('codecontext.undoLastRollback', undefined, { confirm: false })) as ExecuteResult;
    assert.strictEqual(undone.record.kind, 'undo');
    assert.strictEqual(undone.record.outcome, 'committed');
    atCampaignEnd();
    await waitForTree(t, async () => (await t.getChildren()).find((n) => /^Undo of /.test(label(t, n))));
  });

  it('restarts the server and the trees read again', async () => {
    await vscode.commands.executeCommand('codecontext.restartServer');
    await api.whenRunning();
    const campaign = await walk(api.trees.campaigns, f.campaign.name);
    assert.strictEqual(campaign.campaign, f.campaign.id);
  });
});
