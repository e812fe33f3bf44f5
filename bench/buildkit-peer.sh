#!/usr/bin/env bash
# Opt-in BuildKit peer for the benchmarks: Debian's docker.io and a dockerd of
# its own (own socket, data and exec roots), so the benches can time BuildKit in
# the same run as pipekit. Not part of scripts/setup.sh: CI never needs it.
#   bash bench/buildkit-peer.sh         install if needed, start, print the export line
#   bash bench/buildkit-peer.sh stop    stop that dockerd (its data root stays)
# Only the `export DOCKER_HOST=...` line goes to stdout, so
#   eval "$(bash bench/buildkit-peer.sh)"
# works too. Run as root. Safe to run again.
set -euo pipefail

SOCK=/run/pipekit-bench-docker.sock
PIDFILE=/run/pipekit-bench-docker.pid
EXEC_ROOT=/run/pipekit-bench-docker
DATA_ROOT=/var/lib/pipekit-bench-docker
LOG=/var/log/pipekit-bench-docker.log
# Debian's own client: it matches its dockerd (20.10); /usr/local/bin/docker may be another
DOCKER=/usr/bin/docker
export DOCKER_HOST=unix://$SOCK

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

case "${1:-start}" in
stop)
  if running; then
    pid=$(cat "$PIDFILE")
    kill "$pid"
    # dockerd stops its own containerd and unmounts before it exits
    for _ in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then echo "buildkit-peer: dockerd $pid did not stop" >&2; exit 1; fi
  fi
  rm -f "$PIDFILE"
  echo "buildkit-peer: stopped" >&2
  exit 0
  ;;
start) ;;
*)
  echo "usage: bash bench/buildkit-peer.sh [start|stop]" >&2
  exit 2
  ;;
esac

if ! dpkg -s docker.io >/dev/null 2>&1; then
  echo "buildkit-peer: installing docker.io" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi

if ! running; then
  rm -f "$PIDFILE"
  mkdir -p "$EXEC_ROOT" "$DATA_ROOT"
  # no bridge and no iptables: this machine has neither; builds use --network=none
  setsid -f dockerd \
    --host "unix://$SOCK" --pidfile "$PIDFILE" \
    --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" \
    --bridge=none --iptables=false \
    >"$LOG" 2>&1 </dev/null
  echo "buildkit-peer: starting dockerd (log: $LOG)" >&2
fi

for _ in $(seq 120); do
  if "$DOCKER" info >/dev/null 2>&1; then
    echo "export DOCKER_HOST=unix://$SOCK"
    exit 0
  fi
  sleep 0.5
done
echo "buildkit-peer: dockerd did not answer within 60 s; the end of $LOG:" >&2
tail -n 20 "$LOG" >&2
exit 1
