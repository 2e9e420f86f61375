#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than the lockfile,
# so `npm start` and `npm test` work on a fresh clone with nothing else run first.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ ! -d node_modules/tsx ]; then
  echo "› installing npm dependencies (npm ci)…"
  npm ci --no-audit --no-fund
fi
