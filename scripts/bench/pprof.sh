#!/usr/bin/env bash
# CPU profiles of the Go bench server (instance 0 of two, over Redis) under
# fan-out and under acks, with the top functions as text.
#
#   scripts/bench/pprof.sh
#
# Environment: OUT (default scripts/bench/results/pprof-<UTC time>), CONNS
# (default 1000), RATES (default 50k,200k: one profile per rate), DURATION
# (default 10s), REDIS_URL. Open a profile with
#   go tool pprof -http=127.0.0.1:8080 <file>.pprof
set -euo pipefail
cd "$(dirname "$0")/../.."
CONNS="${CONNS:-1000}"
RATES="${RATES:-50k,200k}"
DURATION="${DURATION:-10s}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
OUT="${OUT:-scripts/bench/results/pprof-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"
BIN="$(mktemp -d)"
trap 'rm -rf "$BIN"' EXIT
go build -o "$BIN/bench" ./examples/bench
go build -o "$BIN/loadgen" ./examples/loadgen

"$BIN/loadgen" -server "$BIN/bench" -label go -redis "$REDIS_URL" -conns "$CONNS" \
  -scenario fanout,acks -rates "$RATES" -duration "$DURATION" -pprof-dir "$OUT" \
  -json "$OUT/results.jsonl" -timeout 10m -q

for p in "$OUT"/*.pprof; do
  txt="${p%.pprof}.top.txt"
  {
    echo "# $(basename "$p"): flat"
    go tool pprof -top -nodecount=30 "$BIN/bench" "$p" 2>/dev/null
    echo
    echo "# $(basename "$p"): cumulative"
    go tool pprof -top -cum -nodecount=40 "$BIN/bench" "$p" 2>/dev/null
  } >"$txt"
  echo "== $txt"
  sed -n '1,40p' "$txt"
done
