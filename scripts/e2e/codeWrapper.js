#!/usr/bin/env node
// A stand-in for the VS Code executable, so @vscode/test-electron's runTests({ vscodeExecutablePath }) works
// unchanged on machines that cannot download desktop VS Code. It takes the same arguments VS Code would:
//   [folder | file.code-workspace] --extensionDevelopmentPath=P --extensionTestsPath=T
//   --user-data-dir=D --extensions-dir=E   (anything else is accepted and ignored)
// and instead starts code-server (VS Code server + a real Node extension host) on 127.0.0.1, opens the web
// workbench in headless Chromium (playwright-core), relays the extension host's log and exits with the
// tests' exit code.
//
// Screenshots: the wrapper listens on a private 127.0.0.1 port and puts its URL in the extension host's
// environment as CODECONTEXT_E2E_SCREENSHOT_URL; a POST of {"name": "...", "waitForText": "..."} saves
// <CODECONTEXT_E2E_ARTIFACTS>/<name>.png and answers {"path": ...}; "pressAfter" / "clickAfter" then press a key
// or click a button by its name (see test/e2e/suite/screenshot.ts).
//
// Environment: CODE_SERVER_ENTRY (default: this repo's .vscode-test/code-server install), CHROMIUM_PATH
// (default /usr/bin/chromium), CODECONTEXT_E2E_ARTIFACTS (default .vscode-test/artifacts),
// CODE_WRAPPER_TIMEOUT_MS (default 600000), CODE_WRAPPER_VERBOSE=1 (relay every log line).
'use strict';
const cp = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');
const util = require('util');
const { launchChromium } = require('./chromium');

const ROOT = path.resolve(__dirname, '../..');
const CODE_SERVER = process.env.CODE_SERVER_ENTRY || path.join(ROOT, '.vscode-test/code-server/node_modules/code-server/out/node/entry.js');
const ARTIFACTS = path.resolve(process.env.CODECONTEXT_E2E_ARTIFACTS || path.join(ROOT, '.vscode-test/artifacts'));
const TIMEOUT_MS = Number(process.env.CODE_WRAPPER_TIMEOUT_MS || 600_000);
const VERBOSE = !!process.env.CODE_WRAPPER_VERBOSE;
const VERSION = '1.100.3';
// Workbench chatter that says nothing about our tests.
// (127.0.0.1:9 is the gallery we point it at on purpose, so that it finds nothing.)
const NOISE = new RegExp(
  '^(Resolving|Resolved|Creating a socket|Updating additional|\\[Service Worker\\]|ChatSessionStore|' +
    'getaddrinfo ENOTFOUND|Creation of workbench contribution|connect ECONNREFUSED 127\\.0\\.0\\.1:9\\b)',
);

function parseArgs(argv) {
  const opts = { devPaths: [], testsPath: undefined, userDataDir: undefined, extensionsDir: undefined, target: undefined };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) {
      opts.target = opts.target || path.resolve(argv[i]);
      continue;
    }
    const [, key, inline] = m;
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (key === 'extensionDevelopmentPath') opts.devPaths.push(path.resolve(value()));
    else if (key === 'extensionTestsPath') opts.testsPath = path.resolve(value());
    else if (key === 'user-data-dir') opts.userDataDir = path.resolve(value());
    else if (key === 'extensions-dir') opts.extensionsDir = path.resolve(value());
    else if (key === 'version' || key === 'v') {
      console.log(VERSION);
      process.exit(0);
    }
    // flags VS Code takes without a value (--no-sandbox, --skip-welcome, --disable-workspace-trust, ...) are ignored
  }
  return opts;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Everything the run started, ended in reverse order; safe to call more than once. */
const cleanups = [];
let cleaning;
function cleanup() {
  cleaning =
    cleaning ||
    (async () => {
      while (cleanups.length)
        await cleanups
          .pop()()
          .catch((e) => console.error('[code-wrapper] cleanup:', e.message));
    })();
  return cleaning;
}
async function exit(code) {
  await cleanup();
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void exit(130));

/** Starts code-server in its own process group (so ending the group ends its extension hosts too). */
async function startCodeServer(opts, env) {
  if (!fs.existsSync(CODE_SERVER)) {
    throw new Error(`code-server is not installed at ${CODE_SERVER}; run scripts/e2e/setup.sh`);
  }
  const port = await freePort();
  const args = [
    CODE_SERVER,
    '--config',
    path.join(opts.userDataDir, 'code-server.yaml'),
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--user-data-dir',
    opts.userDataDir,
    '--extensions-dir',
    opts.extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    ...opts.proposedApi.flatMap((id) => ['--enable-proposed-api', id]),
  ];
  const server = cp.spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const logFile = fs.createWriteStream(path.join(opts.userDataDir, 'code-server.log'));
  for (const stream of [server.stdout, server.stderr]) {
    stream.on('data', (d) => {
      output += d;
      logFile.write(d);
    });
  }
  const exited = new Promise((resolve) => server.once('exit', resolve));
  cleanups.push(async () => {
    const signal = (s) => {
      try {
        process.kill(-server.pid, s);
      } catch {
        /* already gone */
      }
    };
    signal('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    signal('SIGKILL');
  });
  const ready = new Promise((resolve, reject) => {
    const onData = () => /HTTP server listening/.test(output) && resolve();
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    exited.then((code) => reject(new Error(`code-server exited (${code}) before listening:\n${output}`)));
    setTimeout(() => reject(new Error(`code-server did not start within 60 s:\n${output}`)), 60_000).unref();
  });
  await ready;
  return { port, log: () => output };
}

/** The screenshot endpoint the tests call; see the header comment. */
async function startScreenshotServer(getPage) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      const reply = (status, obj) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      try {
        const { name, waitForText, waitForGone, timeoutMs = 20_000, pressAfter, clickAfter, count } = JSON.parse(body || '{}');
        if (typeof name !== 'string' || !/^[\w.-]{1,100}$/.test(name)) return reply(400, { error: 'name must match [\\w.-]{1,100}' });
        const page = getPage();
        if (waitForText) await page.getByText(waitForText).first().waitFor({ state: 'visible', timeout: timeoutMs });
        // a text that must no longer be seen (a notification code closed); the screen readers' live region, which keeps
        // the last words it announced, is no sight
        if (waitForGone)
          await page.getByText(waitForGone).and(page.locator(':not(.monaco-alert, .monaco-status)')).first().waitFor({ state: 'hidden', timeout: timeoutMs });
        const file = path.join(ARTIFACTS, `${name}.png`);
        await page.screenshot({ path: file });
        // how many elements match a CSS selector when the picture was taken (e.g. error notifications)
        const matched = typeof count === 'string' ? await page.locator(count).count() : undefined;
        // a key the user would press next (Escape closes a modal dialog the extension host cannot close)
        if (typeof pressAfter === 'string') await page.keyboard.press(pressAfter);
        // a button the user would click next, by its exact words (the last one shown: the newest chat confirmation's;
        // by its text, not its accessible name, which may add a key: "Cancel (Ctrl+Escape)")
        if (typeof clickAfter === 'string') {
          const words = new RegExp(`^\\s*${clickAfter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
          await page.getByRole('button').filter({ hasText: words, visible: true }).last().click({ timeout: timeoutMs });
        }
        reply(200, { path: file, count: matched });
      } catch (e) {
        reply(500, { error: String(e && e.message ? e.message : e) });
      }
    });
  });
  const port = await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${port}/screenshot`;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!opts.userDataDir) {
    const dir = (opts.userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecontext-e2e-ud-')));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  opts.extensionsDir = opts.extensionsDir || path.join(opts.userDataDir, 'extensions');
  fs.mkdirSync(opts.userDataDir, { recursive: true });
  fs.mkdirSync(opts.extensionsDir, { recursive: true });
  // The web workbench reads its payload into a Map, so only one extensionDevelopmentPath survives there: the
  // first (the extension under test) goes in the payload, any other is copied into the extensions folder,
  // where code-server finds it at start as an installed extension (its package.json's main must lie inside it),
  // with the proposed API it would have in development (--enable-proposed-api).
  opts.proposedApi = [];
  for (const dev of opts.devPaths.splice(1)) {
    const { publisher, name, version, enabledApiProposals } = JSON.parse(fs.readFileSync(path.join(dev, 'package.json'), 'utf8'));
    fs.cpSync(dev, path.join(opts.extensionsDir, `${publisher}.${name}-${version}`), { recursive: true });
    if (enabledApiProposals?.length) opts.proposedApi.push(`${publisher}.${name}`);
  }

  // code-server and its extension hosts put their IPC sockets (vscode-*.sock) and any temp files in TMPDIR:
  // a private one, removed at the end, leaves nothing behind in /tmp.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codecontext-e2e-'));
  cleanups.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));

  let page;
  const screenshotUrl = await startScreenshotServer(() => page);
  const env = {
    ...process.env,
    TMPDIR: tmp,
    // code-server keeps a heartbeat file and its own logs in the XDG data folder (~/.local/share): keep them here
    XDG_DATA_HOME: path.join(opts.userDataDir, 'xdg-data'),
    CODECONTEXT_E2E_SCREENSHOT_URL: screenshotUrl,
    CODECONTEXT_E2E_ARTIFACTS: ARTIFACTS,
    // no outside extension gallery lookups
    EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery', itemUrl: 'http://127.0.0.1:9/item' }),
  };
  const server = await startCodeServer(opts, env);

  const host = `127.0.0.1:${server.port}`;
  const remote = (p) => `vscode-remote://${host}${p}`;
  const payload = [...opts.devPaths.map((p) => ['extensionDevelopmentPath', remote(p)]), ['skipWelcome', 'true']];
  if (opts.testsPath) payload.push(['extensionTestsPath', remote(opts.testsPath)]);
  let query = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  if (!opts.target) query += '&ew=true';
  else query += `&${opts.target.endsWith('.code-workspace') ? 'workspace' : 'folder'}=${encodeURIComponent(opts.target)}`;
  const url = `http://${host}/?${query}`;

  const browser = await launchChromium();
  cleanups.push(() => browser.close());
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });

  let testsExited;
  const exited = new Promise((resolve) => (testsExited = resolve));
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const text = util.format(...(Array.isArray(args) ? args : [args]));
    if (VERBOSE || !NOISE.test(text)) (type === 'error' ? process.stderr : process.stdout).write(text + '\n');
  });
  await page.exposeFunction('codeAutomationExit', (code) => testsExited(code));
  await page.goto(url);

  if (!opts.testsPath) {
    console.log(`workbench open at ${url}\nCtrl+C to stop`);
    await new Promise(() => {});
  }
  const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), TIMEOUT_MS).unref())]);
  if (code === 'timeout') {
    console.error(`[code-wrapper] no result from the extension tests within ${TIMEOUT_MS} ms`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'timeout.png') }).catch(() => {});
    console.error(server.log());
    return 124;
  }
  return typeof code === 'number' ? code : 1;
}

main().then(exit, (e) => {
  console.error('[code-wrapper]', e && e.stack ? e.stack : e);
  return exit(1);
});
