import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Issue 20, items 7 and 8, kept true on the source tree: the client's commands are one table (one
 * registration site, one error wrapper), each thing is done once (send with progress, verify
 * evidence), and the webviews no longer parse drift out of strings.
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
});
