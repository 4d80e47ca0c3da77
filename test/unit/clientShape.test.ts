import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Issue 20, items 7 and 8, kept true on the source tree: the client's commands are one table (one
 * registration site, one error wrapper), each thing is done once (send with progress, verify
 * evidence), and the webviews no longer parse drift out of strings. Issue 25, item 11: the palette
 * is clean (one title per command, the table's; context-only commands hidden; the review's
 * commands only while a step is under review), and item 8: counts are plural where they should be.
 */

const repoRoot = path.resolve(__dirname, '../../..');

function files(dir: string): { rel: string; text: string }[] {
  const out: { rel: string; text: string }[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.push({ rel: path.relative(repoRoot, p), text: fs.readFileSync(p, 'utf8') });
    }
  };
  walk(path.join(repoRoot, dir));
  return out;
}

const where = (sources: { rel: string; text: string }[], pattern: RegExp) => sources.filter((f) => pattern.test(f.text)).map((f) => f.rel);

describe('the client’s shape (one table of commands, each thing done once)', () => {
  const client = files('client/src');
  const table = path.join('client', 'src', 'commands', 'commandTable.ts');

  it('one file registers commands, and its table holds every command package.json contributes', () => {
    assert.deepStrictEqual(where(client, /registerCommand\(/), [table]);
    const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { contributes: { commands: { command: string }[] } };
    const text = fs.readFileSync(path.join(repoRoot, table), 'utf8');
    const missing = manifest.contributes.commands.map((c) => c.command).filter((id) => !text.includes(`id: '${id}'`));
    assert.deepStrictEqual(missing, []);
  });

  it('one sendWithProgress, one evidence check, one count of changed repos', () => {
    assert.deepStrictEqual(where(client, /function sendWithProgress/), [path.join('client', 'src', 'request.ts')]);
    assert.deepStrictEqual(where(client, /EvidenceVerifyRequest,/), [path.join('client', 'src', 'webviews', 'evidencePanel.ts')]);
    assert.deepStrictEqual(where(client, /function changedRepos/), [path.join('client', 'src', 'views', 'format.ts')]);
    assert.deepStrictEqual(where(client, /showErrorMessage\(`CodeContext: \$\{what\} failed/), [], 'the wrappers of before');
  });

  it('the webviews read drift as data: no "(" sentinel is parsed', () => {
    assert.deepStrictEqual(where([...files('media/src'), ...client], /startsWith\('\('\)/), []);
  });

  it('one progress notification per operation: every withProgress of a notification or the status bar goes through request.ts', () => {
    const second = /window\.withProgress\(\{ location: vscode\.ProgressLocation|ProgressLocation\.Notification, title: `\$\{title\} —/;
    assert.deepStrictEqual(where(client, second), [], 'a second notification opened by hand');
    assert.deepStrictEqual(where(client, /vscode\.window\.withProgress\(options/), [path.join('client', 'src', 'request.ts')]);
  });
});

interface Manifest {
  contributes: {
    commands: { command: string; title: string }[];
    menus: Record<string, { command: string; when?: string; group?: string }[]>;
    keybindings: { command: string; key: string; when?: string; args?: unknown }[];
  };
}

/** The table's rows as its source states them: id, title and how the palette offers the command. */
function tableRows(): { id: string; title: string; palette: string }[] {
  const text = fs.readFileSync(path.join(repoRoot, 'client', 'src', 'commands', 'commandTable.ts'), 'utf8');
  const row = /id: '([^']+)',\s*title: '([^']+)',\s*needsServer: (?:true|false),\s*palette: (?:'(always|never)'|\{ when: (?:'([^']*)'|"([^"]*)") \})/g;
  return [...text.matchAll(row)].map((m) => ({ id: m[1], title: m[2], palette: m[3] ?? m[4] ?? m[5] }));
}

describe('the command palette (issue 25, item 11)', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Manifest;
  const rows = tableRows();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const palette = new Map(manifest.contributes.menus.commandPalette.map((p) => [p.command, p.when]));

  it('reads every row of the table (each states its palette)', () => {
    for (const c of manifest.contributes.commands) assert.ok(byId.has(c.command), `${c.command}: no row with a palette field`);
  });

  it('each command has one title: package.json says what the table says (a "…" aside), and none reads like an id', () => {
    const differ = manifest.contributes.commands.filter((c) => c.title.replace(/…$/, '') !== byId.get(c.command)?.title);
    assert.deepStrictEqual(
      differ.map((c) => `${c.command}: "${c.title}" vs "${byId.get(c.command)?.title}"`),
      [],
    );
    for (const r of rows) assert.match(r.title, /^[A-Z][A-Za-z]*( [A-Za-z]+)*$/, `${r.id}: "${r.title}"`);
  });

  it("package.json's commandPalette menu says what the table says: always shown, never, or while its when clause holds", () => {
    for (const c of manifest.contributes.commands) {
      const want = byId.get(c.command)!.palette;
      const has = palette.get(c.command);
      if (want === 'always') assert.strictEqual(has, undefined, `${c.command} is always in the palette, yet package.json hides it (${has})`);
      else assert.strictEqual(has, want === 'never' ? 'false' : want, c.command);
    }
    // an internal command (not contributed) is never in the palette
    for (const r of rows) if (!manifest.contributes.commands.some((c) => c.command === r.id)) assert.strictEqual(r.palette, 'never', r.id);
  });

  it('no two commands the palette can show at once share a title', () => {
    const shown = manifest.contributes.commands.filter((c) => byId.get(c.command)!.palette !== 'never');
    const seen = new Map<string, string>();
    for (const c of shown) {
      const title = byId.get(c.command)!.title;
      assert.ok(!seen.has(title), `"${title}" twice: ${seen.get(title)} and ${c.command}`);
      seen.set(title, c.command);
    }
  });

  it('a command a tree row or a comment widget runs is hidden; "Mark Step (Not) Reviewed" only when it applies', () => {
    const rowOnly = new Set<string>();
    for (const menu of ['view/item/context', 'comments/commentThread/context', 'comments/comment/title'])
      for (const m of manifest.contributes.menus[menu] ?? []) rowOnly.add(m.command);
    // a row's command the palette may keep: it asks for its target itself (a pick)
    const picks = new Set([
      'codecontext.previewRollback',
      'codecontext.checkpointCampaign',
      'codecontext.runInCampaign',
      'codecontext.showCampaignHistory',
      'codecontext.verifySnapshot',
      'codecontext.openEvidence',
      'codecontext.verifyEvidence',
    ]);
    for (const id of rowOnly) if (!picks.has(id)) assert.notStrictEqual(byId.get(id)?.palette, 'always', `${id} needs a row, yet the palette shows it`);
    assert.strictEqual(palette.get('codecontext.review.toggleStepReviewed'), 'codecontext.reviewing && !codecontext.reviewStepReviewed');
    assert.strictEqual(palette.get('codecontext.review.unmarkStepReviewed'), 'codecontext.reviewing && codecontext.reviewStepReviewed');
  });

  it('the review has its keys (item 9), each scoped to the Review view: Space, Enter, and Alt+N for the next unviewed file', () => {
    const keys = manifest.contributes.keybindings.map((k) => [k.key, k.command]);
    assert.deepStrictEqual(keys, [
      ['space', 'codecontext.review.toggleViewed'],
      ['enter', 'codecontext.review.openDiff'],
      ['alt+n', 'codecontext.review.nextUnviewed'],
    ]);
    for (const k of manifest.contributes.keybindings) assert.match(k.when ?? '', /focusedView == codecontext\.review/, `${k.key}: not the Review view's`);
    for (const k of manifest.contributes.keybindings.slice(0, 2)) assert.match(k.when ?? '', /!inputFocus/, `${k.key} would eat the tree's filter input`);
    // the row a key acts on is the focused one (VS Code hands a keybinding's command no row of its own)
    for (const k of manifest.contributes.keybindings) assert.deepStrictEqual(k.args, { $treeViewId: 'codecontext.review', $focusedTreeItem: true }, k.key);
  });

  it("a committed rollback's row offers Undo, inline and in its menu (item 8)", () => {
    const undo = manifest.contributes.menus['view/item/context'].filter((m) => m.command === 'codecontext.undoRollback');
    assert.deepStrictEqual(
      undo.map((m) => [m.when, m.group?.split('@')[0]]),
      [
        ['view == codecontext.rollbacks && viewItem == rollback.undoable', 'inline'],
        ['view == codecontext.rollbacks && viewItem == rollback.undoable', '2_undo'],
      ],
    );
  });
});

describe('counts read right (issue 25, item 8): "1 file", never "1 files"', () => {
  // a count written into a sentence without plural(): "${n} files" reads "1 files" when n is 1
  const bare = /\$\{[^}]+\}\)? (files|repos|conflicts|steps|comments|snapshots|edits|waves|packs)\b/;
  const sources = [...files('client/src'), ...files('media/src'), ...files('server/src/cli'), ...files('server/src/engine')];
  // a line that says the one case apart ("n === 1 ? '1 repo is' : `${n} repos are`")
  const allowed = [/=== 1 \?|\bone \?/];

  it('no count of files, repos or conflicts in the client, the webviews, the CLI or the engine is written without plural()', () => {
    const found: string[] = [];
    for (const f of sources)
      f.text.split('\n').forEach((line, i) => {
        if (bare.test(line) && !allowed.some((a) => a.test(line)) && !/^\s*(\/\/|\*)/.test(line)) found.push(`${f.rel}:${i + 1}: ${line.trim()}`);
      });
    assert.deepStrictEqual(found, []);
  });
});
