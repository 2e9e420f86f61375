#!/usr/bin/env bash
# npm run bench:capacity [-- options]: one machine's capacity table, single node against
# start:multi with 1, 2 and 3 cluster-mode processes at 300/450/600 players, 5 fps
# (bench/bench-capacity.ts; options there). Needs Redis and PostgreSQL
# (scripts/ensure-services.sh). About 10 minutes with the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --import tsx bench/bench-capacity.ts "$@"
