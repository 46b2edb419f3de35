#!/usr/bin/env bash
# `pnpm bench`: performance measurements, never part of `pnpm test`. Starts the S3 test server
# when S3_TEST_ENDPOINT is unset; the product runs on DATABASE_URL's PostgreSQL or an embedded
# one. Each benchmark writes bench/results/<name>.json; BENCHMARKS.md is regenerated from them.
# scale-admin and finalize-fixed-rate run on 10 million creatives in the database offload_bench_scale,
# seeded by the first run (~2 min) and kept for the next ones (`dropdb offload_bench_scale` frees ~6 GB).
# BENCH_ONLY=offload-throughput,listing runs a subset.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${S3_TEST_ENDPOINT:-}" ]; then
  bash scripts/s3-test-server/up.sh
  # shellcheck disable=SC1091
  source "${RGW_BASE:-/tmp/offload-rgw}/env"
fi
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
# The comparison needs Debian's AWS CLI and rclone (the `aws` first on PATH may be another one).
# shellcheck source=debian-packages.sh
source scripts/debian-packages.sh
need_packages /usr/bin/aws:awscli /usr/bin/rclone:rclone

pnpm --silent build >/dev/null

run() {
  [ -z "${BENCH_ONLY:-}" ] || [[ ",$BENCH_ONLY," == *",$1,"* ]] || return 0
  printf '\n== %s\n' "$1"
  (cd packages/server && node "${@:2}" --import tsx "bench/$1.ts")
}
run admin-bundle
run listing
run finalize-load
run offload-throughput
run offload-memory
run scale-admin
run finalize-fixed-rate
run move-throughput
(cd packages/server && node --import tsx bench/summarize.ts)
