#!/usr/bin/env bash
# Builds the browser client into client/dist when its sources changed since the last build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f client/dist/index.html ] || [ -n "$(find client/src client/index.html client/vite.config.ts shared -newer client/dist/index.html -print -quit 2>/dev/null)" ]; then
  echo "› building the client (vite)…"
  npx vite build --config client/vite.config.ts --logLevel warn
fi
