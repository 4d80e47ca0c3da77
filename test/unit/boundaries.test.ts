import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { toolVersion } from '../../server/src/engine/util/version';

/**
 * The house rules that keep the layers apart, checked on the source tree: the engine never
 * imports VS Code or the language-server packages (the CLI and the server share it as it is), and
 * the client never runs git (data flows client → protocol → server → engine → git).
 */

const repoRoot = path.resolve(__dirname, '../../..');

interface SourceFile {
  rel: string;
  text: string;
  /** Every module specifier: `import … from 'x'`, `import 'x'`, `export … from 'x'`, `require('x')`, `import('x')`. */
  imports: string[];
}

function sources(dir: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|tsx|js|mjs|cjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) {
        const text = fs.readFileSync(p, 'utf8');
        const imports = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);
        out.push({ rel: path.relative(repoRoot, p), text, imports });
      }
    }
  };
  walk(path.join(repoRoot, dir));
  return out;
}

/** Where a relative specifier of `file` points, as a path from the repo root. */
function target(file: SourceFile, spec: string): string {
  return path.relative(repoRoot, path.resolve(repoRoot, path.dirname(file.rel), spec));
}

describe('boundaries', function () {
  it('nothing under server/src/engine imports vscode or a language-server package, or leaves the engine', function () {
    const engine = sources('server/src/engine');
    assert.ok(engine.length >= 10 && engine.some((f) => f.imports.includes('./gitRunner')), 'the import scan found nothing: the check would be vacuous');
    const bad: string[] = [];
    for (const f of engine) {
      for (const spec of f.imports) {
        if (/^vscode($|\/|-languageserver|-languageclient|-jsonrpc)/.test(spec)) bad.push(`${f.rel} imports ${spec}`);
        // The engine is entered from outside, never the other way: protocol.ts and server.ts speak LSP.
        if (spec.startsWith('.') && !target(f, spec).startsWith(path.join('server', 'src', 'engine')))
          bad.push(`${f.rel} imports ${spec} (outside the engine)`);
      }
    }
    assert.deepStrictEqual(bad, []);
  });

  it('the engine rooms are layers: a room imports only itself and the rooms below it', function () {
    // Lowest first. repo/ and store/ are siblings: repo state knows nothing of the store, and the store nothing of repos.
    const below: Record<string, string[]> = {
      util: [],
      git: ['util'],
      repo: ['util', 'git'],
      store: ['util'],
      snapshot: ['util', 'git', 'repo', 'store'],
      campaign: ['util', 'git', 'repo', 'store', 'snapshot'],
      // The rollback is rooms of its own: the plan, the record types the others share (rollback/'s
      // own files), the evidence, then the transaction that writes all of them.
      'rollback/plan': ['util', 'git', 'repo', 'store', 'snapshot', 'campaign'],
      rollback: ['util', 'git', 'repo', 'store', 'snapshot', 'campaign', 'rollback/plan'],
      'rollback/evidence': ['util', 'git', 'repo', 'store', 'snapshot', 'campaign', 'rollback/plan', 'rollback'],
      'rollback/tx': ['util', 'git', 'repo', 'store', 'snapshot', 'campaign', 'rollback/plan', 'rollback', 'rollback/evidence'],
    };
    const engineDir = path.join('server', 'src', 'engine');
    const roomOf = (rel: string) => {
      const parts = path.relative(engineDir, rel).split(path.sep);
      return parts[0] === 'rollback' && parts.length > 2 ? `rollback/${parts[1]}` : parts[0];
    };
    const engine = sources(engineDir);
    const bad: string[] = [];
    let crossings = 0;
    for (const f of engine) {
      const room = roomOf(f.rel);
      if (!(room in below)) {
        bad.push(`${f.rel} is in no room (${Object.keys(below).join(', ')})`);
        continue;
      }
      for (const spec of f.imports) {
        if (!spec.startsWith('.')) continue;
        const to = roomOf(target(f, spec));
        if (to === room) continue;
        crossings++;
        if (!below[room].includes(to)) bad.push(`${f.rel} (${room}) imports ${spec} (${to}), a room that is not below it`);
      }
    }
    assert.ok(crossings > 20, 'the import scan found no imports between rooms: the check would be vacuous');
    assert.deepStrictEqual(bad, []);
  });

  it('nothing under client/src imports child_process or simple-git, runs git, or reaches into the engine', function () {
    const client = sources('client/src');
    assert.ok(
      client.some((f) => f.imports.includes('vscode')),
      'the import scan found nothing: the check would be vacuous',
    );
    const bad: string[] = [];
    for (const f of client) {
      for (const spec of f.imports) {
        if (/^(node:)?child_process$|^simple-git$|^execa$|^cross-spawn$/.test(spec)) bad.push(`${f.rel} imports ${spec}`);
        // Only the protocol is shared with the server; engine modules would run git in the extension host.
        if (spec.startsWith('.') && target(f, spec).startsWith('server') && !/^server[\\/]src[\\/]protocol$/.test(target(f, spec).replace(/\.ts$/, ''))) {
          bad.push(`${f.rel} imports ${spec} (only server/src/protocol may be shared)`);
        }
      }
      if (/\b(?:spawn|spawnSync|exec|execSync|execFile|execFileSync|fork)\s*\(\s*['"`]git\b/.test(f.text)) bad.push(`${f.rel} runs git`);
      if (/['"]vscode\.git['"]/.test(f.text)) bad.push(`${f.rel} uses the git extension (which runs git for it)`);
    }
    assert.deepStrictEqual(bad, []);
  });

  it('the MCP room (server/src/mcp) stands on the engine and the CLI commands, and only cli.ts enters it', function () {
    // an agent's tool is a CLI command with --json: never the language server, its protocol or VS Code
    const mcp = sources('server/src/mcp');
    assert.ok(
      mcp.some((f) => f.imports.includes('@modelcontextprotocol/sdk/server/mcp.js')),
      'the import scan found nothing: the check would be vacuous',
    );
    const bad: string[] = [];
    const inside = (to: string, room: string) => to.startsWith(path.join('server', 'src', room) + path.sep) || to === path.join('server', 'src', room);
    for (const f of mcp) {
      for (const spec of f.imports) {
        if (/^vscode($|\/|-languageserver|-languageclient|-jsonrpc)/.test(spec)) bad.push(`${f.rel} imports ${spec}`);
        if (!spec.startsWith('.')) continue;
        const to = target(f, spec);
        if (!['engine', 'cli', 'mcp'].some((room) => inside(to, room))) bad.push(`${f.rel} imports ${spec} (${to}): only the engine and cli/`);
      }
    }
    for (const f of [...sources('server/src/engine'), ...sources('server/src/cli'), ...sources('server/src/lsp')]) {
      for (const spec of f.imports)
        if (spec.startsWith('.') && inside(target(f, spec), 'mcp')) bad.push(`${f.rel} imports ${spec} (the MCP room is entered from cli.ts)`);
    }
    assert.deepStrictEqual(bad, []);
  });

  it('engine/util/version.ts toolVersion equals package.json version', function () {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    assert.strictEqual(toolVersion, pkg.version);
  });
});
