import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

/**
 * The agent-mode tools (issue 23, item 4): what package.json declares (`contributes.languageModelTools`)
 * and what client/src/lmTools.ts registers are the same names, each with an object input schema whose
 * required fields it defines, and a description a model can act on. (Invoking them needs VS Code: the e2e suite.)
 */
describe('language model tools: declared and registered alike', function () {
  const root = path.resolve(__dirname, '../../..');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    contributes: { languageModelTools: { name: string; modelDescription: string; inputSchema: { type: string; properties: object; required?: string[] } }[] };
  };
  const source = fs.readFileSync(path.join(root, 'client/src/lmTools.ts'), 'utf8');

  it('the same names, schemas that hold together, and real descriptions', function () {
    const declared = pkg.contributes.languageModelTools.map((t) => t.name).sort();
    const registered = [...source.matchAll(/registerTool\(\s*'([a-z_]+)'/g)].map((m) => m[1]).sort();
    assert.deepStrictEqual(registered, declared);
    assert.strictEqual(declared.length, 9);
    for (const t of pkg.contributes.languageModelTools) {
      assert.strictEqual(t.inputSchema.type, 'object', t.name);
      for (const r of t.inputSchema.required ?? []) assert.ok(r in t.inputSchema.properties, `${t.name}: required ${r} is a property`);
      assert.ok(t.modelDescription.length > 80, `${t.name}: a description a model can act on`);
    }
    // the destructive ones ask first
    for (const name of ['codecontext_rollback', 'codecontext_undo_step', 'codecontext_undo_rollback']) {
      const at = source.indexOf(`'${name}'`);
      const next = source.indexOf('vscode.lm.registerTool(', at);
      assert.match(source.slice(at, next < 0 ? undefined : next), /title: '[^']+\?'/, `${name} has a confirmation`);
    }
  });
});
