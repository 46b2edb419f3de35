# The Offload app: API, admin SPA, result serving and the offload worker in one image.
FROM node:20-bookworm-slim
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH
RUN npm install -g pnpm@12.4.2
WORKDIR /app
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json .npmrc ./
COPY packages/types/package.json packages/types/
COPY packages/server/package.json packages/server/
COPY packages/admin/package.json packages/admin/
COPY e2e/package.json e2e/
RUN pnpm install --frozen-lockfile
COPY tsconfig.base.json ./
COPY packages packages
RUN pnpm --filter @offload/admin build
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
RUN mkdir -p /data && chown node:node /data
VOLUME /data
EXPOSE 3000
USER node
WORKDIR /app/packages/server
CMD ["node_modules/.bin/tsx", "src/main.ts"]
