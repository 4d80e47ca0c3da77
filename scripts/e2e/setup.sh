#!/usr/bin/env bash
# Installs what the e2e suite needs, on a fresh Debian 12 machine, with nothing done by hand:
#   - apt: libkrb5-dev (a header code-server's kerberos module builds against), ripgrep (VS Code's search,
#     in place of @vscode/ripgrep's GitHub download), chromium (the browser playwright-core drives);
#   - code-server, pinned by scripts/e2e/code-server/package-lock.json, into .vscode-test/code-server.
# Idempotent: a finished install leaves a stamp naming the lock's hash; with a matching stamp and the apt
# packages present it does nothing (well under a second). An interrupted install is never taken for done:
# it builds in a temporary folder and renames it into place last.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PIN_DIR="$ROOT/scripts/e2e/code-server"
CACHE="$ROOT/.vscode-test"
DEST="$CACHE/code-server"
STAMP="$DEST/.codecontext-installed"
APT_PACKAGES=(libkrb5-dev ripgrep chromium)

log() { printf '[e2e setup] %s\n' "$*" >&2; }

# Desktop VS Code chosen (see test/e2e/runTests.ts): @vscode/test-electron brings it; nothing to install here.
if [ -n "${CODECONTEXT_E2E_VSCODE:-}" ]; then
  exit 0
fi

# --- apt -------------------------------------------------------------------------------------------
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# native modules (argon2, kerberos, node-pty, spdlog) are built from source with node-gyp
command -v make >/dev/null && command -v g++ >/dev/null || missing+=(build-essential)
command -v python3 >/dev/null || missing+=(python3)
if ((${#missing[@]})); then
  SUDO=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { log "needs root (or sudo) to apt-get install: ${missing[*]}"; exit 1; }
    SUDO=(sudo)
  fi
  log "apt-get install ${missing[*]}"
  start=$SECONDS
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  log "apt packages installed in $((SECONDS - start)) s"
fi

# --- code-server -----------------------------------------------------------------------------------
want=$(cat "$PIN_DIR/package.json" "$PIN_DIR/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi

log "installing code-server into $DEST (a few minutes, once)"
start=$SECONDS
mkdir -p "$CACHE"
TMP="$CACHE/code-server.partial"
rm -rf "$TMP"
mkdir -p "$TMP"
cp "$PIN_DIR/package.json" "$PIN_DIR/package-lock.json" "$TMP/"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# npm's global config here says yes=false, so node-gyp (fetched through npx by node-pre-gyp/prebuild
# fallbacks) would be refused; the builds below need it.
export npm_config_yes=true
cd "$TMP"
# --ignore-scripts: code-server's postinstall would install lib/vscode's modules its own way; we do it below.
npm ci --ignore-scripts --loglevel=error
# argon2's install script tries a prebuilt download from GitHub, fails, and builds from source.
npm rebuild argon2 --loglevel=error >/dev/null

cd "$TMP/node_modules/code-server/lib/vscode"
npm install --omit=dev --ignore-scripts --loglevel=error
# @vscode/ripgrep's postinstall downloads rg from GitHub; it skips the download when bin/ exists.
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
npm rebuild --loglevel=error >/dev/null   # native modules: kerberos, node-pty, spdlog, ...
rm -rf node_modules.asar && ln -s node_modules node_modules.asar
(cd bin/remote-cli && ln -sf code-linux.sh code-server)
(cd bin/helpers && ln -sf browser-linux.sh browser.sh)
# the built-in extensions' shared modules; its package.json says typescript ^5.8.3, so pin what VS Code 1.100 ships
(cd extensions && npm install --omit=dev --loglevel=error typescript@5.8.3 >/dev/null)

cd "$ROOT"
rm -rf "$DEST"
mv "$TMP" "$DEST"
echo "$want" >"$STAMP"
log "code-server $(node -p "require('$DEST/node_modules/code-server/package.json').version") ready in $((SECONDS - start)) s"
