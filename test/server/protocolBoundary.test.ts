import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

/** The client bundles protocol.ts: it may name engine types, never load engine or Node-only code (zod is neither). */
describe('server: protocol.ts boundary', () => {
  it('imports the engine only as types, and nothing Node-only', () => {
    const source = fs.readFileSync(path.resolve(__dirname, '../../../server/src/protocol.ts'), 'utf8');
    const imports = [...source.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'([^']+)';/gms)].map((m) => ({ typeOnly: !!m[1], from: m[2] }));
    assert.ok(imports.length > 0);
    for (const i of imports) {
      if (i.from.startsWith('./')) assert.ok(i.typeOnly, `${i.from} must be imported with "import type"`);
      else
        assert.ok(
          ['vscode-languageserver-protocol', 'zod/mini'].includes(i.from),
          `${i.from}: only the protocol package (its common, browser-safe entry) and the schema library`,
        );
    }
    assert.ok(!/\bexport\s+\*\s+from\s+'\.\//.test(source), 'no re-export of engine modules');
  });
});
