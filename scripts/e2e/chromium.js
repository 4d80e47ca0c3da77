// How the e2e scripts (codeWrapper.js, reportInBrowser.js, dialogShot.js) start headless Chromium: as root in a
// container, with nothing reaching outside. Environment: CHROMIUM_PATH (default /usr/bin/chromium).
'use strict';
const fs = require('fs');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Whether this machine has the browser (tests skip, and say so, when it has not). */
function chromiumAvailable() {
  return fs.existsSync(CHROMIUM);
}

/** A headless Chromium (playwright-core's Browser); playwright-core is loaded only when one is wanted. */
function launchChromium() {
  const { chromium } = require('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

module.exports = { chromiumAvailable, launchChromium };
