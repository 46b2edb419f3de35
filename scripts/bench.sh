#!/usr/bin/env bash
# `pnpm bench`: performance measurements, never part of `pnpm test`. Starts the S3 test server
# when S3_TEST_ENDPOINT is unset; uses DATABASE_URL or an embedded PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${S3_TEST_ENDPOINT:-}" ]; then
  bash scripts/s3-test-server/up.sh
  # shellcheck disable=SC1091
  source "${RGW_BASE:-/tmp/offload-rgw}/env"
fi
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
cd packages/server
echo "== memory while offloading one large file"
node --expose-gc --import tsx bench/offload-memory.ts
