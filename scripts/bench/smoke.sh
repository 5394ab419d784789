#!/usr/bin/env bash
# CI smoke run of the load tool: proves that it drives the bench server end
# to end, in memory (one instance) and over Redis (two instances), with 50
# connections and 2-second phases. It measures nothing worth publishing and
# fails (non-zero) on any lost message, failed ack or failed connection.
#   scripts/bench/smoke.sh            # needs Redis at REDIS_URL (default redis://127.0.0.1:6379)
#   SMOKE_NODE=1 scripts/bench/smoke.sh   # also the Node reference (npm ci first)
set -euo pipefail
cd "$(dirname "$0")/../.."
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/bench" ./examples/bench
go build -o "$tmp/loadgen" ./examples/loadgen

common=(-conns 50 -duration 2s -rates 5k -ramp "" -ackers 20 -rest-rate 2k -drain 5s -check -timeout 45s -json "$tmp/smoke.jsonl")

echo "== smoke: go, in-memory adapter, one instance"
"$tmp/loadgen" -server "$tmp/bench" -label go -redis "" -instances 1 "${common[@]}"
echo "== smoke: go, Redis adapter, two instances"
"$tmp/loadgen" -server "$tmp/bench" -label go -redis "$REDIS_URL" "${common[@]}"
if [ "${SMOKE_NODE:-0}" = 1 ]; then
  (cd examples/bench/node && npm ci --no-audit --no-fund --silent)
  echo "== smoke: node, Redis adapter, two instances"
  "$tmp/loadgen" -server "node examples/bench/node/server.js" -label node -redis "$REDIS_URL" "${common[@]}"
fi
"$tmp/loadgen" compare "$tmp/smoke.jsonl" >/dev/null
"$tmp/loadgen" plot -out "$tmp/img" "$tmp/smoke.jsonl" >/dev/null
echo "smoke: $(wc -l <"$tmp/smoke.jsonl") phases measured, no loss"
