# The Offload app — API, admin SPA, result serving and the offload worker — on Node.js 24 LTS.
# Built in one stage (dev dependencies, the SPA, the compiled server); the image carries only the
# compiled server, its production dependencies and the built SPA, started with plain node.
FROM node:24-bookworm-slim AS build
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH
RUN npm install -g pnpm@12.4.2
WORKDIR /src
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json .npmrc ./
COPY packages/types/package.json packages/types/
COPY packages/server/package.json packages/server/
COPY packages/admin/package.json packages/admin/
COPY e2e/package.json e2e/
RUN pnpm install --frozen-lockfile
COPY tsconfig.base.json ./
COPY packages packages
RUN pnpm build && pnpm --filter @offload/server deploy --prod /out/packages/server

FROM node:24-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
WORKDIR /app
COPY --from=build /out/packages/server packages/server
COPY --from=build /src/packages/admin/dist packages/admin/dist
RUN mkdir -p /data && chown node:node /data
VOLUME /data
EXPOSE 3000
USER node
WORKDIR /app/packages/server
CMD ["node", "--enable-source-maps", "dist/main.js"]
