#!/usr/bin/env bash
# Alternating load-test runs of two server trees on this machine (docs/capacity.md):
#   scripts/bench-pair.sh TREE_A PROTOCOL_A TREE_B PROTOCOL_B [PLAYERS] [ROUNDS] [SECONDS]
# Each round starts TREE_A's server (from a git worktree of any commit, node_modules present),
# drives it with this tree's `npm run loadtest -- --url … --server-pid …` with bots speaking
# PROTOCOL_A, stops it, then does the same for TREE_B. Alternating runs put both trees through
# the same slow and quiet spells of a shared machine. Defaults: 600 players, 2 rounds, 30 s.
# Example, the issue's code against this one:
#   git worktree add /tmp/issue 49078d9 && ln -s "$PWD/node_modules" /tmp/issue/node_modules
#   scripts/bench-pair.sh /tmp/issue 1 . 3 600 2
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 4 ] || { sed -n 2,10p "$0"; exit 2; }
trees=("$1" "$3")
protocols=("$2" "$4")
players=${5:-600}
rounds=${6:-2}
seconds=${7:-30}
port=${PAIR_PORT:-4801}
for t in "${trees[@]}"; do [ -f "$t/server/main.ts" ] || { echo "no server/main.ts in $t" >&2; exit 2; }; done
cd "$here"
for r in $(seq 1 "$rounds"); do
  for i in 0 1; do
    tree=$(cd "${trees[$i]}" && pwd)
    (cd "$tree" && PORT=$port HOST=127.0.0.1 LEADERBOARD_STORE=memory LOG_LEVEL=warn MAX_CONNECTIONS_PER_IP=10000 \
      ROOMS_PER_IP_PER_MINUTE=10000 exec node --import tsx server/main.ts > /tmp/bench-pair-server.log 2>&1) &
    server=$!
    for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 1; done
    echo "== $tree (bots: protocol ${protocols[$i]}), $players players, round $r, $(date -u +%T) UTC"
    node --import tsx bench/loadtest.ts --url "http://127.0.0.1:$port" --players "$players" \
      --rooms $(( (players + 7) / 8 )) --fps 5 --duration "$seconds" --protocol "${protocols[$i]}" \
      --server-pid "$server" | grep -E 'scored|dropped|latency|CPU per' || true
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    sleep 2
  done
done
