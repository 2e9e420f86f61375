#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or were installed from a
# different package-lock.json, so `npm start` and `npm test` work on a fresh clone
# with nothing else run first. Compares content, not timestamps (a clone's files are all new).
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.emotion-arena-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d node_modules/tsx ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "› installing npm dependencies (npm ci)…"
  # onnxruntime-node's postinstall only downloads its CUDA provider (hundreds of MB, unused:
  # the server runs on the CPU). The package reads this variable; an .npmrc key would make
  # every npm command warn about an unknown project config.
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi
