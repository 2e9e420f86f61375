#!/usr/bin/env bash
# The whole test suite, from a fresh clone: dependencies, Chromium (Debian's, when
# missing), client build, lint, typecheck, unit + integration tests, browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/install-chromium.sh
bash scripts/build-client.sh
echo "› lint (biome)"
npx biome check .
echo "› typecheck (tsc)"
npx tsc --noEmit -p tsconfig.json
echo "› unit and integration tests (vitest)"
npx vitest run
echo "› browser end-to-end tests (vitest + playwright-core + Debian chromium)"
npx vitest run --config vitest.e2e.config.ts
