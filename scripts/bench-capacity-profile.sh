#!/usr/bin/env bash
# CPU profile of one node under load (docs/capacity.md):
#   scripts/bench-capacity-profile.sh [OUT_DIR] [PLAYERS] [SECONDS]
# Starts server/main.ts under `node --cpu-prof` (a profile per thread: main + inference
# workers), drives it with `npm run loadtest -- --url` (the bots run in their own process),
# stops it with SIGINT so the profiles are written, and prints self time by category.
# Run from the repository root. Defaults: /tmp/arena-profile, 300 players, 60 s, 5 fps.
# PROFILE_TREE=DIR profiles the server of another tree (a git worktree of an earlier commit with
# node_modules present) with this tree's bots and summary; PROFILE_PROTOCOL sets the bots'
# protocol version for it (the issue's code, 49078d9, speaks 1). Both default to this tree.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tree=$(cd "${PROFILE_TREE:-$here}" && pwd)
[ -f "$tree/server/main.ts" ] || { echo "no server/main.ts in $tree" >&2; exit 2; }
protocol_flag=()
[ -n "${PROFILE_PROTOCOL:-}" ] && protocol_flag=(--protocol "$PROFILE_PROTOCOL")
out=${1:-/tmp/arena-profile}
players=${2:-300}
seconds=${3:-60}
rooms=$(( (players + 7) / 8 ))
port=${PROFILE_PORT:-3417}
rm -rf "$out" && mkdir -p "$out/data"
out=$(cd "$out" && pwd)
cd "$tree"
PORT=$port HOST=127.0.0.1 MODEL_WATCH=0 LEADERBOARD_STORE=memory LOG_LEVEL=warn DATA_DIR="$out/data" \
  MAX_CONNECTIONS_PER_IP=10000 ROOMS_PER_IP_PER_MINUTE=10000 \
  node --cpu-prof --cpu-prof-dir="$out" --import tsx server/main.ts > "$out/server.log" 2>&1 &
server=$!
cd "$here"
trap 'kill -INT $server 2>/dev/null || true' EXIT
node --import tsx bench/loadtest.ts --url "http://127.0.0.1:$port" --players "$players" --rooms "$rooms" \
  --fps 5 --duration "$seconds" --server-pid "$server" "${protocol_flag[@]}" --json | tee "$out/loadtest.txt" | grep -v '^{' || true
kill -INT $server
wait $server || true
trap - EXIT
node --import tsx bench/cpu-profile-summary.ts "$out" | tee "$out/summary.md"
