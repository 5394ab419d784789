#!/usr/bin/env bash
# Go (examples/bench) against Node's Socket.IO (examples/bench/node) in one
# run, on this machine, at the same parameters: two instances of each over
# one Redis, driven by examples/loadgen. Writes the JSON lines, a Markdown
# comparison with the Go/Node ratios, and the PNG plots.
#
#   scripts/bench/run.sh            # the reduced set: 1k and 10k connections (about 10 minutes)
#   FULL=1 scripts/bench/run.sh     # the full matrix: 1k, 5k and 10k connections, longer phases
#
# Environment: OUT (results directory; default scripts/bench/results/<UTC time>),
# REDIS_URL (default redis://127.0.0.1:6379), CONNS, RATES, DURATION, RAMP,
# RAMP_DURATION, REPEAT, REST_RATE, SERVERS (default "go node") to override
# the set; WAIT_IDLE (default 60s): before each phase, wait up to this long
# for other processes to leave the CPUs; RETRIES (default 2): run a phase
# again when other processes disturbed it (the comparison skips disturbed
# phases when an undisturbed repetition exists).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "${FULL:-0}" = 1 ]; then
  CONNS="${CONNS:-1000 5000 10000}"
  RATES="${RATES:-20k,50k,100k}"
  DURATION="${DURATION:-10s}"
  RAMP="${RAMP:-20k:1.25:4000k}"
  RAMP_DURATION="${RAMP_DURATION:-6s}"
  REPEAT="${REPEAT:-3}"
  TIMEOUT="${TIMEOUT:-40m}"
else
  CONNS="${CONNS:-1000 10000}"
  RATES="${RATES:-20k,50k}"
  DURATION="${DURATION:-4s}"
  RAMP="${RAMP:-20k:1.5:3000k}"
  RAMP_DURATION="${RAMP_DURATION:-4s}"
  REPEAT="${REPEAT:-3}"
  TIMEOUT="${TIMEOUT:-15m}"
fi
REST_RATE="${REST_RATE:-20k}"
WAIT_IDLE="${WAIT_IDLE:-60s}"
RETRIES="${RETRIES:-2}"
SERVERS="${SERVERS:-go node}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
OUT="${OUT:-scripts/bench/results/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"
BIN="$(mktemp -d)"
trap 'rm -rf "$BIN"' EXIT

echo "== build"
go build -o "$BIN/bench" ./examples/bench
go build -o "$BIN/loadgen" ./examples/loadgen
if [[ " $SERVERS " == *" node "* ]]; then
  echo "== npm ci (examples/bench/node)"
  (cd examples/bench/node && npm ci --no-audit --no-fund --silent)
fi
redis-cli -u "$REDIS_URL" ping >/dev/null

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
  echo "go: $(go version | cut -d' ' -f3)  node: $(node --version)  redis: $(redis-cli -u "$REDIS_URL" info server | tr -d '\r' | grep '^redis_version' | cut -d: -f2)"
  echo "cpu: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "conns: $CONNS  rates: $RATES  duration: $DURATION  ramp: $RAMP ($RAMP_DURATION)  repeat: $REPEAT  rest: $REST_RATE"
} | tee "$OUT/params.txt"

server_cmd() {
  case "$1" in
    go) echo "$BIN/bench" ;;
    node) echo "node examples/bench/node/server.js" ;;
    *) echo "unknown server $1" >&2; exit 2 ;;
  esac
}

# The repetitions are interleaved: each one runs every server in turn
# (connect, fan-out at each rate, acks, REST emit), in the other order at
# the next repetition, so that a change of the machine's speed during the
# run weighs on all servers alike. The first repetition also searches the
# highest fan-out rate. All share one run id: compare and plot take the
# median over the repetitions.
RUN_ID="$(date -u +%Y%m%dT%H%M%SZ)-$$"
status=0
for conns in $CONNS; do
  order="$SERVERS"
  for rep in $(seq 1 "$REPEAT"); do
    ramp=()
    if [ "$rep" = 1 ]; then
      ramp=(-ramp "$RAMP" -ramp-duration "$RAMP_DURATION")
    fi
    for s in $order; do
      echo "== $s, $conns connections, repetition $rep of $REPEAT"
      "$BIN/loadgen" -server "$(server_cmd "$s")" -label "$s" -redis "$REDIS_URL" -run-id "$RUN_ID" \
        -conns "$conns" -rates "$RATES" -duration "$DURATION" -repeat 1 "${ramp[@]}" -rest-rate "$REST_RATE" \
        -wait-idle "$WAIT_IDLE" -retry-disturbed "$RETRIES" -timeout "$TIMEOUT" -json "$OUT/results.jsonl" -q || status=$?
    done
    order="$(echo "$order" | tr ' ' '\n' | tac | tr '\n' ' ')"
  done
done

echo "== comparison"
"$BIN/loadgen" compare "$OUT/results.jsonl" | tee "$OUT/comparison.md"
echo "== plots"
"$BIN/loadgen" plot -out "$OUT/img" "$OUT/results.jsonl"
echo "results in $OUT"
exit "$status"
