// Bundles the CLI, the server, the extension and the webview scripts with esbuild; `tsc -b` does the type checking.
import * as esbuild from 'esbuild';
import { chmod } from 'fs/promises';

const watch = process.argv.includes('--watch');
// --minify: the .vsix (npm run package) ships minified bundles; tests and debugging keep them readable.
const minify = process.argv.includes('--minify');
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, minify, logLevel: 'warning' };

const builds = [{ ...common, entryPoints: ['server/src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }];
if (await exists('server/src/server.ts')) builds.push({ ...common, entryPoints: ['server/src/server.ts'], outfile: 'dist/server.js' });
if (await exists('client/src/extension.ts'))
  builds.push({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] });
// webview pages: browser code, one script each beside its stylesheet in media/ (the panels' only resource root)
for (const page of ['preview', 'history', 'evidence']) {
  if (await exists(`media/src/${page}.ts`))
    builds.push({
      bundle: true,
      platform: 'browser',
      target: 'es2022',
      format: 'iife',
      logLevel: 'warning',
      entryPoints: [`media/src/${page}.ts`],
      outfile: `media/${page}.js`,
    });
}

async function exists(p) {
  try {
    await import('fs').then((fs) => fs.promises.access(p));
    return true;
  } catch {
    return false;
  }
}

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  await chmod('dist/cli.js', 0o755);
}
