# rekey as a container image: `docker build -t rekey .`
# Build stage: a full Node toolchain compiles better-sqlite3 and the TypeScript.
FROM node:22-bookworm-slim AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: distroless Node (no shell, no package manager), uid/gid 65532.
FROM gcr.io/distroless/nodejs22-debian12:nonroot
WORKDIR /app
COPY --from=build --chown=65532:65532 /src/package.json ./package.json
COPY --from=build --chown=65532:65532 /src/node_modules ./node_modules
COPY --from=build --chown=65532:65532 /src/dist/src ./dist/src
USER 65532:65532
ENV NODE_ENV=production REKEY_HOME=/tmp/rekey
EXPOSE 8420
# Exec form: there is no shell in this image.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/nodejs/bin/node", "-e", "fetch('https://127.0.0.1:8420/healthz').catch(() => fetch('http://127.0.0.1:8420/healthz')).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/src/cli/bin.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8420", "--tls-cert", "/etc/rekey/tls/tls.crt", "--tls-key", "/etc/rekey/tls/tls.key"]
