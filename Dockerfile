# Parley in one container: the supervisor runs Redis (unless REDIS_URL is given), the API, the worker and the media server.
#   docker build -t parley .
#   docker run -p 3000:3000 -p 40000-40100:40000-40100/udp -e MEDIA_RTC_MAX_PORT=40100 -e MEDIA_ANNOUNCED_IP=<host ip> -v parley-data:/app/data parley
# Stopping waits up to 15 s for a graceful shutdown: use `docker stop -t 20` (Docker's default is 10 s).
ARG BUN_VERSION=1.4.5
ARG NODE_VERSION=20

# ---- build toolchain: compilers for mediasoup's worker, and Node for install scripts and Vite
FROM node:${NODE_VERSION}-bookworm-slim AS node
FROM oven/bun:${BUN_VERSION}-debian AS toolchain
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-pip make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=node /usr/local/bin/node /usr/local/bin/node
WORKDIR /app

# ---- only the install inputs, so a source edit does not re-run `bun install` (bunfig.toml and patches/ are optional)
FROM toolchain AS manifests
COPY . /src
RUN mkdir /deps \
 && cp /src/package.json /src/bun.lock /deps/ \
 && if [ -f /src/bunfig.toml ]; then cp /src/bunfig.toml /deps/; fi \
 && if [ -d /src/patches ]; then cp -r /src/patches /deps/; fi

FROM toolchain AS deps
COPY --from=manifests /deps/ /app/
RUN bun install --frozen-lockfile

FROM deps AS app
COPY . .
# Same rule as scripts/bootstrap.mjs: the `build:client` script when package.json has one, else `vite build client`.
RUN if [ -f client/index.html ] && [ -f client/vite.config.ts ]; then \
      if bun -e "process.exit(require('./package.json').scripts?.['build:client'] ? 0 : 1)"; then bun run build:client; \
      else bun x vite build client; fi; \
    fi

# ---- runtime: no compilers
FROM oven/bun:${BUN_VERSION}-debian
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server ffmpeg pocketsphinx pocketsphinx-en-us festival festvox-us-slt-hts tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=app /app /app
RUN mkdir -p /app/data && chown bun:bun /app/data
USER bun
ENV NODE_ENV=production DATA_DIR=/app/data HOST=0.0.0.0 PORT=3000
# The app and API on 3000; call media over UDP/TCP 40000–49999 (set MEDIA_ANNOUNCED_IP to the host's public address).
EXPOSE 3000 40000-49999/udp 40000-49999/tcp
VOLUME /app/data
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD bun -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# tini reaps orphans and passes signals on; the supervisor turns SIGTERM into a graceful shutdown.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["bun", "scripts/supervisor.ts"]
