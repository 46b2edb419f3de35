#!/usr/bin/env bash
# `pnpm test`: type checks, lint, then unit, integration and browser tests against real
# PostgreSQL (DATABASE_URL, or an embedded one when unset), a real S3 server (S3_TEST_*, or the
# project's Ceph RGW, started here when unset) and headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

# shellcheck source=debian-packages.sh
source scripts/debian-packages.sh
step "packages the tests need"
# Chromium for the browser tests (Debian's: no browser is downloaded), docker-compose to validate
# docker-compose.yml; the S3 test server's packages are installed by its own script.
need_packages chromium:chromium docker-compose:docker-compose && echo "ok"

step "type check"
pnpm --silent typecheck

step "lint"
pnpm --silent lint

step "docker-compose.yml"
APP_KEY=base64:validation-only GARAGE_RPC_SECRET=validation-only S3_SECRET_ACCESS_KEY=validation-only docker-compose config -q && echo "valid"

step "build (the e2e suite drives the built admin SPA and the compiled server)"
pnpm --silent build >/dev/null

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
# The closing line counts every failure: a test file that fails to load or to run its hooks has
# no failed test of its own in the report, so it counts as one failure by itself.
node -e '
  const r = JSON.parse(require("fs").readFileSync("artifacts/test-results.json", "utf8"));
  const brokenFiles = r.testResults.filter((f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed"));
  for (const f of brokenFiles) console.log(`failed to run: ${require("path").relative(process.cwd(), f.name)}: ${(f.message || "").split("\n")[0]}`);
  // Every skip says why (test/skip.ts records the reason).
  for (const f of r.testResults)
    for (const a of f.assertionResults.filter((a) => a.status === "skipped" || a.status === "pending" || a.status === "todo"))
      console.log(`skipped: ${a.fullName} — ${a.meta?.skipReason ?? "no reason recorded (use skipBecause)"}`);
  console.log(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests + brokenFiles.length} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  if (brokenFiles.length || r.numFailedTests) process.exitCode = 1;
' || status=1
exit $status
