#!/usr/bin/env bash
# `pnpm test`: type checks, lint, then unit, integration and browser tests against real
# PostgreSQL (DATABASE_URL, or an embedded one when unset), a real S3 server (S3_TEST_*, or the
# project's Ceph RGW, started here when unset) and headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "type check"
pnpm --silent typecheck

step "lint"
pnpm --silent lint

if command -v docker-compose >/dev/null 2>&1; then
  step "docker-compose.yml"
  APP_KEY=base64:validation-only docker-compose config -q && echo "valid"
fi

step "build the admin SPA (the e2e suite drives the built one)"
pnpm --silent --filter @offload/admin build >/dev/null

if [ -z "${S3_TEST_ENDPOINT:-}" ]; then
  step "S3 test server (Ceph RGW; set S3_TEST_ENDPOINT to use another)"
  bash scripts/s3-test-server/up.sh
  # shellcheck disable=SC1091
  source "${RGW_BASE:-/tmp/offload-rgw}/env"
fi

step "tests"
mkdir -p artifacts
status=0
pnpm --silent exec vitest run --reporter=default --reporter=json --outputFile.json=artifacts/test-results.json "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync("artifacts/test-results.json", "utf8"));
  console.log(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
exit $status
