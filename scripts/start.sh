#!/usr/bin/env bash
# One command from a fresh clone to a running game: installs dependencies, builds
# the client, then starts the server on the embedded defaults (shipped model,
# SQLite file under ./data). Configuration: environment variables (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/build-client.sh
exec node --import tsx server/main.ts
