#!/usr/bin/env bash
# The whole test suite, from a fresh clone: dependencies, Chromium (Debian's, when
# missing), PostgreSQL + Redis (started or installed when missing), client build, lint, typecheck, unit + integration tests, browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/install-chromium.sh
# PostgreSQL and Redis for the cluster-mode tests (started, or installed, when missing: no test skips).
bash scripts/ensure-services.sh
bash scripts/build-client.sh
echo "› lint (biome)"
npx biome check .
echo "› typecheck (tsc -b: shared, client, server, training, tools)"
npx tsc -b
echo "› unit and integration tests (vitest)"
npx vitest run
echo "› browser end-to-end tests (vitest + playwright-core + Debian chromium)"
npx vitest run --config vitest.e2e.config.ts
