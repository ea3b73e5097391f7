# syntax=docker/dockerfile:1
# The imagechain image: `imagechain operator` (the entry point) and the worker (`node worker/main.ts`,
# the command the operator gives its pods, relative to WORKDIR) in one image.
#
# No compile step, on purpose: the sources are TypeScript written for Node 24's type stripping (erasable
# syntax only, imports with .ts extensions), which is on by default for files outside node_modules. The
# image runs exactly the files the tests run, with no build output that could drift from them; Node's
# compile cache (enabled by both entry points, kept under /tmp) takes the cost of loading away.
# The Node version is the one package.json pins as a devDependency, which the tests run on.

FROM node:24.21.0-trixie-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only, exactly as locked; no install scripts run.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

FROM node:24.21.0-trixie-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY operator ./operator
COPY worker ./worker
# The distroless "nonroot" ids, which the chart's and the worker pods' security contexts name too. Nothing
# is written outside /tmp, so the root filesystem can be read-only.
USER 65532:65532
ENTRYPOINT ["node", "operator/cli/main.ts"]
CMD ["operator"]
