# hakken's production image (see README, "Deployment"): compiled once in a
# build stage; the final stage holds the production dependencies only
# (npm ci --omit=dev: no compiler, no embedded PostgreSQL, no in-process
# broker), the built JavaScript and the console's static files, and runs as
# the unprivileged user "node". It needs DATABASE_URL and MQTT_URL.
#   docker build -t hakken .   (or: docker compose up, with compose.yaml)
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts serve the tests (SWC, the embedded PostgreSQL's binaries); the build needs TypeScript only.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps apps
COPY libs libs
COPY devices devices
COPY simulators simulators
COPY bench bench
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# No optional dependencies either: tfjs-node-gpu needs CUDA; the CPU and WASM backends run anywhere.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist dist
COPY apps/orchestrator/src/console/web apps/orchestrator/src/console/web
COPY simulators/datasets simulators/datasets
USER node
ENV HOST=0.0.0.0 PORT=3000 LOG_FORMAT=json
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/apps/orchestrator/src/main.js"]
