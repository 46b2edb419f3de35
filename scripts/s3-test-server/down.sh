#!/usr/bin/env bash
# down.sh — stop the daemons up.sh started, by their PID files.
# Data under $RGW_BASE is kept (bluestore data survives; memstore data is lost).
# Add --purge to also delete $RGW_BASE.
set -uo pipefail
BASE=${RGW_BASE:-/tmp/offload-rgw}
log() { printf '[rgw-down %s] %s\n' "$(date +%T)" "$*" >&2; }

# stop <pidfile> <expected comm>
stop() {
  local f=$1 comm=$2 pid i
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  if [ -d "/proc/$pid" ] && [ "$(cat /proc/$pid/comm 2>/dev/null)" = "$comm" ]; then
    log "stopping $comm (pid $pid)"
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 60); do [ -d "/proc/$pid" ] || break; sleep 0.25; done
    if [ -d "/proc/$pid" ]; then log "$comm pid $pid still alive after 15s, SIGKILL"; kill -KILL "$pid" 2>/dev/null; sleep 0.5; fi
  else
    log "$f: pid $pid is not a running $comm (stale), skipping"
  fi
  rm -f "$f"
}
stop "$BASE/run/client.rgw.a.pid" radosgw
stop "$BASE/run/mgr.x.pid"        ceph-mgr
stop "$BASE/run/osd.0.pid"        ceph-osd
stop "$BASE/run/mon.a.pid"        ceph-mon
if [ "${1:-}" = --purge ]; then log "removing $BASE"; rm -rf "$BASE"; fi
log "done"
