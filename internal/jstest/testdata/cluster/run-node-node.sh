#!/usr/bin/env bash
# Starts two Node reference cluster servers (server-node.mjs, NAME=A and B) on
# free ports with the same fresh REDIS_PREFIX and ADAPTER, runs interop.mjs
# against them, stops both, and exits with the scenario's exit code.
#
#   ADAPTER=classic|sharded (default classic)  SUBSCRIPTION_MODE=... (sharded)
#   REDIS_URL (default redis://127.0.0.1:6379)  REDIS_PREFIX (default: fresh random)
#
# Everything it starts is killed on exit, including on failure or Ctrl-C.
set -u
cd "$(dirname "$0")"

export ADAPTER="${ADAPTER:-classic}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export REDIS_PREFIX="${REDIS_PREFIX:-sio-cluster-$(date +%s)-$RANDOM$RANDOM}"
export SUBSCRIPTION_MODE="${SUBSCRIPTION_MODE:-dynamic}"

tmp="$(mktemp -d)"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() { # name -> sets PORT_<name>
  local name="$1" out="$tmp/$1.out"
  PORT=0 NAME="$name" node server-node.mjs >"$out" 2>"$tmp/$name.err" &
  pids+=($!)
  local pid=$!
  for _ in $(seq 1 100); do
    local port
    port="$(sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$out" 2>/dev/null | head -n1)"
    if [ -n "$port" ]; then
      printf -v "PORT_$name" '%s' "$port"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "server $name did not start:" >&2
  cat "$out" "$tmp/$name.err" >&2
  return 1
}

start A || exit 1
start B || exit 1
echo "A on $PORT_A, B on $PORT_B (ADAPTER=$ADAPTER, REDIS_PREFIX=$REDIS_PREFIX)"

# In the background + wait, so that a TERM/INT to this script is handled at
# once (the EXIT trap then stops the scenario and both servers).
URL_A="http://127.0.0.1:$PORT_A" URL_B="http://127.0.0.1:$PORT_B" \
  timeout 90 node interop.mjs &
scenario=$!
pids+=("$scenario")
wait "$scenario"
rc=$?
if [ "$rc" -ne 0 ]; then
  for n in A B; do
    if [ -s "$tmp/$n.err" ]; then echo "--- server $n stderr:" >&2; cat "$tmp/$n.err" >&2; fi
  done
fi
exit "$rc"
