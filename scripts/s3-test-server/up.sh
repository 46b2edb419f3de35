#!/usr/bin/env bash
# The project's S3 test server: Ceph's RADOS Gateway from Debian packages, a production S3
# implementation that checks SigV4 signatures and per-key permissions (s3rver checks neither).
# Adapted from the team's shared recipe (shared/tools/s3-server/ceph-rgw-up.sh).
#
# up.sh — bring up a single-node Ceph cluster (1 mon, 1 OSD, optional mgr)
# plus a RADOS Gateway serving the S3 API on 127.0.0.1 only.
#
# Idempotent: safe to run repeatedly. It creates whatever is missing under
# $RGW_BASE (default /tmp/rgw), starts whatever daemon is not running, makes
# sure the users/bucket exist, then prints `export` lines and writes them to
# $RGW_BASE/env.  Nothing under /etc/ceph is read or written.
#
# Knobs (environment):
#   RGW_BASE=/tmp/offload-rgw  data/log/run dir
#   RGW_PORT=7480              S3 port (bound to 127.0.0.1)
#   RGW_OSD_BACKEND=bluestore  bluestore (sparse file, persists) | memstore (RAM, lost on stop)
#   RGW_BLOCK_GB=40            size of the sparse bluestore file (benchmarks upload GBs)
#   RGW_WITH_MGR=0             1 = also run a ceph-mgr (not needed by RGW; costs RAM + startup time)
#   RGW_BUCKET=test-bucket     bucket created with the full-access user
#   RGW_FULL_ACCESS_KEY / RGW_FULL_SECRET_KEY        fixed keys (else random, kept across reruns)
#   RGW_WRITER_ACCESS_KEY / RGW_WRITER_SECRET_KEY    (write-only subuser)
#   RGW_READER_ACCESS_KEY / RGW_READER_SECRET_KEY    (read-only subuser)
set -euo pipefail

BASE=${RGW_BASE:-/tmp/offload-rgw}
PORT=${RGW_PORT:-7480}
BACKEND=${RGW_OSD_BACKEND:-bluestore}
BLOCK_GB=${RGW_BLOCK_GB:-40}
WITH_MGR=${RGW_WITH_MGR:-0}
BUCKET=${RGW_BUCKET:-offload-test}
REGION=${RGW_REGION:-us-east-1}
CONF=$BASE/ceph.conf
KEYRING=$BASE/keyring
ENDPOINT=http://127.0.0.1:$PORT
PY=/usr/bin/python3

log() { printf '[rgw-up %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- packages
# shellcheck source=../debian-packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/../debian-packages.sh"
need_packages ceph-mon:ceph-mon ceph-osd:ceph-osd radosgw:radosgw radosgw-admin:radosgw ceph:ceph-common ceph-authtool:ceph-common \
  monmaptool:ceph-common curl:curl "$PY:python3" $([ "$WITH_MGR" = 1 ] && echo ceph-mgr:ceph-mgr)

mkdir -p "$BASE"/{mon,osd,mgr,rgw,run,log,crash}
export CEPH_CONF=$CONF
CEPH=(ceph -c "$CONF" --connect-timeout 15)
RADMIN=(radosgw-admin -c "$CONF")

# ------------------------------------------------------------- ceph.conf
if [ ! -s "$CONF" ]; then
  FSID=$(cat /proc/sys/kernel/random/uuid)
  log "writing $CONF (fsid $FSID, osd backend $BACKEND)"
  cat > "$CONF.tmp" <<EOF
[global]
fsid = $FSID
mon_host = [v2:127.0.0.1:3300,v1:127.0.0.1:6789]
public_network = 127.0.0.0/8
cluster_network = 127.0.0.0/8
public_addr = 127.0.0.1
ms_bind_ipv4 = true
ms_bind_ipv6 = false
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
auth_allow_insecure_global_id_reclaim = false
keyring = $KEYRING
run_dir = $BASE/run
crash_dir = $BASE/crash
# one node, one OSD: no replication, small PG counts
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_max_pg_per_osd = 1000
mon_warn_on_pool_no_redundancy = false
mon_warn_on_insecure_global_id_reclaim_allowed = false

[mon]
mon_data = $BASE/mon/\$cluster-\$id
mon_memory_target = 536870912
mon_cluster_log_file = $BASE/log/\$cluster.log
mon_data_avail_warn = 2
mon_data_avail_crit = 1
log_file = $BASE/log/\$name.log
admin_socket = $BASE/run/\$name.asok
pid_file = $BASE/run/\$name.pid

[mgr]
mgr_data = $BASE/mgr/\$cluster-\$id
log_file = $BASE/log/\$name.log
admin_socket = $BASE/run/\$name.asok
pid_file = $BASE/run/\$name.pid

[osd]
osd_data = $BASE/osd/\$cluster-\$id
osd_objectstore = $BACKEND
osd_memory_target = 939524096
osd_memory_cache_min = 134217728
bluestore_block_size = $((BLOCK_GB * 1024 * 1024 * 1024))
bluestore_block_create = true
bluestore_fsck_on_mount = false
memstore_device_bytes = 2147483648
osd_op_num_shards = 2
osd_op_num_threads_per_shard = 1
log_file = $BASE/log/\$name.log
admin_socket = $BASE/run/\$name.asok
pid_file = $BASE/run/\$name.pid

[client.rgw.a]
rgw_frontends = beast endpoint=127.0.0.1:$PORT
rgw_data = $BASE/rgw
rgw_thread_pool_size = 64
rgw_relaxed_region_enforcement = true
# reclaim the space of deleted objects after a minute instead of 2 h: the suite and the
# benchmarks upload and delete gigabytes, and a full OSD makes every write hang
rgw_gc_obj_min_wait = 60
rgw_gc_processor_period = 60
log_file = $BASE/log/\$name.log
admin_socket = $BASE/run/\$name.asok
pid_file = $BASE/run/\$name.pid
EOF
  mv "$CONF.tmp" "$CONF"
fi
FSID=$(awk '$1=="fsid"{print $3; exit}' "$CONF")

# ----------------------------------------------------------------- keys
if [ ! -s "$KEYRING" ]; then
  log "creating keyring"
  ceph-authtool --create-keyring "$KEYRING.tmp" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$KEYRING.tmp" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
  ceph-authtool "$KEYRING.tmp" --gen-key -n osd.0 \
    --cap mon 'allow profile osd' --cap mgr 'allow profile osd' --cap osd 'allow *' >/dev/null
  ceph-authtool "$KEYRING.tmp" --gen-key -n mgr.x \
    --cap mon 'allow profile mgr' --cap osd 'allow *' --cap mds 'allow *' >/dev/null
  ceph-authtool "$KEYRING.tmp" --gen-key -n client.rgw.a \
    --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null
  chmod 600 "$KEYRING.tmp"
  mv "$KEYRING.tmp" "$KEYRING"
fi

# ------------------------------------------------------------ helpers
# pid_alive <pidfile> <comm>: true if the pid in the file is a live <comm>
pid_alive() {
  local f=$1 comm=$2 pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  [ -d "/proc/$pid" ] && [ "$(cat /proc/$pid/comm 2>/dev/null)" = "$comm" ]
}
wait_for() { # wait_for <seconds> <description> <cmd...>
  local t=$1 what=$2; shift 2
  local end=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $end ] && die "timed out after ${t}s waiting for $what"
    sleep 0.5
  done
}

# ------------------------------------------------------------------ mon
MON_DIR=$BASE/mon/ceph-a
if [ ! -e "$MON_DIR/done" ]; then
  log "mkfs mon.a"
  rm -rf "$MON_DIR"; mkdir -p "$MON_DIR"
  monmaptool --create --fsid "$FSID" --addv a '[v2:127.0.0.1:3300,v1:127.0.0.1:6789]' \
    --set-min-mon-release pacific "$BASE/monmap" >/dev/null
  ceph-mon -c "$CONF" --cluster ceph --mkfs -i a --monmap "$BASE/monmap" --keyring "$KEYRING"
  touch "$MON_DIR/done"
fi
if ! pid_alive "$BASE/run/mon.a.pid" ceph-mon; then
  log "starting mon.a"
  ceph-mon -c "$CONF" -i a
fi
wait_for 60 "mon quorum" timeout 20 "${CEPH[@]}" mon stat

# ------------------------------------------------------------------ mgr
if [ "$WITH_MGR" = 1 ]; then
  mkdir -p "$BASE/mgr/ceph-x"
  if ! pid_alive "$BASE/run/mgr.x.pid" ceph-mgr; then
    log "starting mgr.x"
    ceph-mgr -c "$CONF" -i x
  fi
fi

# ------------------------------------------------------------------ osd
OSD_DIR=$BASE/osd/ceph-0
if [ ! -e "$OSD_DIR/mkfs_done" ]; then
  log "mkfs osd.0 ($BACKEND)"
  rm -rf "$OSD_DIR"; mkdir -p "$OSD_DIR"
  OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
  id=$("${CEPH[@]}" osd new "$OSD_UUID" 0)
  [ "$id" = 0 ] || die "ceph osd new returned '$id'"
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" >"$BASE/log/osd.0-mkfs.log" 2>&1 \
    || { cat "$BASE/log/osd.0-mkfs.log" >&2; die "ceph-osd --mkfs failed"; }
  touch "$OSD_DIR/mkfs_done"
fi
if ! pid_alive "$BASE/run/osd.0.pid" ceph-osd; then
  log "starting osd.0"
  ceph-osd -c "$CONF" -i 0
fi
osd_up() { "${CEPH[@]}" osd dump -f json | "$PY" -c '
import json,sys; d=json.load(sys.stdin)
sys.exit(0 if any(o["osd"]==0 and o["up"]==1 and o["in"]==1 for o in d["osds"]) else 1)'; }
wait_for 120 "osd.0 up+in" osd_up

# ------------------------------------------------------------------ rgw
if ! pid_alive "$BASE/run/client.rgw.a.pid" radosgw; then
  log "starting radosgw (creates its pools on first start)"
  radosgw -c "$CONF" -n client.rgw.a
fi
wait_for 180 "radosgw on $ENDPOINT" curl -sf -o /dev/null "$ENDPOINT/"

# ---------------------------------------------------------------- users
# ensure_user <uid> <display> [access secret]
ensure_user() {
  local uid=$1 name=$2 ak=${3:-} sk=${4:-}
  if ! "${RADMIN[@]}" user info --uid="$uid" >/dev/null 2>&1; then
    log "creating user $uid"
    if [ -n "$ak" ] && [ -n "$sk" ]; then
      "${RADMIN[@]}" user create --uid="$uid" --display-name="$name" --access-key="$ak" --secret-key="$sk" >/dev/null
    else
      "${RADMIN[@]}" user create --uid="$uid" --display-name="$name" >/dev/null
    fi
  fi
}
# ensure_subuser <uid> <sub> <access: read|write|readwrite|full> [access secret]
ensure_subuser() {
  local uid=$1 sub=$2 acc=$3 ak=${4:-} sk=${5:-}
  if ! "${RADMIN[@]}" user info --uid="$uid" | "$PY" -c '
import json,sys; d=json.load(sys.stdin); s=sys.argv[1]
sys.exit(0 if any(k["user"]==s for k in d["keys"]) else 1)' "$uid:$sub"; then
    log "creating subuser $uid:$sub ($acc)"
    if [ -n "$ak" ] && [ -n "$sk" ]; then
      "${RADMIN[@]}" subuser create --uid="$uid" --subuser="$uid:$sub" --access="$acc" \
        --key-type=s3 --access-key="$ak" --secret-key="$sk" >/dev/null
    else
      "${RADMIN[@]}" subuser create --uid="$uid" --subuser="$uid:$sub" --access="$acc" \
        --key-type=s3 --gen-access-key --gen-secret >/dev/null
    fi
  fi
}
# keys_of <uid> <keyuser> -> "ACCESS SECRET"
keys_of() {
  "${RADMIN[@]}" user info --uid="$1" | "$PY" -c '
import json,sys; d=json.load(sys.stdin)
k=[k for k in d["keys"] if k["user"]==sys.argv[1]][0]; print(k["access_key"], k["secret_key"])' "$2"
}

ensure_user full "Full access user" "${RGW_FULL_ACCESS_KEY:-}" "${RGW_FULL_SECRET_KEY:-}"
ensure_subuser full writer write "${RGW_WRITER_ACCESS_KEY:-}" "${RGW_WRITER_SECRET_KEY:-}"
ensure_subuser full reader read "${RGW_READER_ACCESS_KEY:-}" "${RGW_READER_SECRET_KEY:-}"
read -r FULL_AK FULL_SK <<<"$(keys_of full full)"
read -r WRITER_AK WRITER_SK <<<"$(keys_of full full:writer)"
read -r READER_AK READER_SK <<<"$(keys_of full full:reader)"

# --------------------------------------------------------------- bucket
# SigV4-signed PUT /bucket with curl (no awscli needed). 200 = created, 409 = exists (ours).
# (curl 7.88 does not send x-amz-content-sha256 itself; RGW/S3 reject SigV4 without it)
EMPTY_SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
code=$(curl -s -o "$BASE/log/create-bucket.out" -w '%{http_code}' -X PUT \
  -H "x-amz-content-sha256: $EMPTY_SHA" --aws-sigv4 "aws:amz:$REGION:s3" --user "$FULL_AK:$FULL_SK" "$ENDPOINT/$BUCKET")
case $code in
  200) log "bucket $BUCKET ok" ;;
  409) owner=$("${RADMIN[@]}" bucket stats --bucket="$BUCKET" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["owner"])')
       [ "$owner" = full ] || die "bucket $BUCKET exists but is owned by '$owner'" ;;
  *) cat "$BASE/log/create-bucket.out" >&2; die "create bucket $BUCKET: HTTP $code" ;;
esac

# --------------------------------------------------------------- warm-up
# RGW creates its data / non-ec pools lazily on the first object PUT and first multipart
# upload (~1 s each); do that here so the first real test request is not slow.
s3() { curl -s -H "x-amz-content-sha256: $EMPTY_SHA" --aws-sigv4 "aws:amz:$REGION:s3" \
        --user "$FULL_AK:$FULL_SK" "$@"; }
s3 -o /dev/null -X PUT "$ENDPOINT/$BUCKET/.rgw-up-warmup" && s3 -o /dev/null -X DELETE "$ENDPOINT/$BUCKET/.rgw-up-warmup"
upid=$(s3 -X POST "$ENDPOINT/$BUCKET/.rgw-up-warmup?uploads" | sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p')
[ -n "$upid" ] && s3 -o /dev/null -X DELETE "$ENDPOINT/$BUCKET/.rgw-up-warmup?uploadId=$upid"

# ------------------------------------------------------------------ env
cat > "$BASE/env.tmp" <<EOF
export RGW_ENDPOINT=$ENDPOINT
export RGW_REGION=$REGION
export RGW_BUCKET=$BUCKET
export RGW_FULL_ACCESS_KEY_ID=$FULL_AK
export RGW_FULL_SECRET_ACCESS_KEY=$FULL_SK
export RGW_WRITER_ACCESS_KEY_ID=$WRITER_AK
export RGW_WRITER_SECRET_ACCESS_KEY=$WRITER_SK
export RGW_READER_ACCESS_KEY_ID=$READER_AK
export RGW_READER_SECRET_ACCESS_KEY=$READER_SK
export AWS_ENDPOINT_URL=$ENDPOINT
export AWS_ACCESS_KEY_ID=$FULL_AK
export AWS_SECRET_ACCESS_KEY=$FULL_SK
export AWS_DEFAULT_REGION=$REGION
export CEPH_CONF=$CONF
# The names the Offload test suite reads (scripts/test.sh sources this file).
export S3_TEST_ENDPOINT=$ENDPOINT
export S3_TEST_REGION=$REGION
export S3_TEST_BUCKET=$BUCKET
export S3_TEST_ACCESS_KEY_ID=$FULL_AK
export S3_TEST_SECRET_ACCESS_KEY=$FULL_SK
export S3_TEST_WRITER_ACCESS_KEY_ID=$WRITER_AK
export S3_TEST_WRITER_SECRET_ACCESS_KEY=$WRITER_SK
export S3_TEST_READER_ACCESS_KEY_ID=$READER_AK
export S3_TEST_READER_SECRET_ACCESS_KEY=$READER_SK
EOF
chmod 600 "$BASE/env.tmp"; mv "$BASE/env.tmp" "$BASE/env"
log "ready: S3 on $ENDPOINT (bucket $BUCKET); env written to $BASE/env"
