# syntax=docker/dockerfile:1
# exdns container image: `docker build -t exdns .` from the repository root.
#
# Two stages on the official Node.js 24 image: `build` installs every dependency and compiles
# TypeScript to dist/; the runtime stage holds only package.json, the production dependencies
# (npm ci --omit=dev, from package-lock.json) and dist/, and runs as the unprivileged `node` user
# (UID 1000). The container listens on unprivileged ports: DNS 1053/udp+tcp, health 8080,
# ready 8181, metrics 9153 (the Helm chart in charts/exdns maps the Service's port 53 to 1053).
#
# RUN steps use paths relative to WORKDIR only: test/e2e-kube/deploy-dockerfile.test.ts replays
# them in a temporary directory (no Docker engine needed) and checks that the result answers DNS.

FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the only install script is the `node` devDependency's (a Node 24 for `npm
# start` on machines without one); the image has its own. `prepare` (the build) runs below.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY plugins ./plugins
RUN npm run build

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /src/dist ./dist
# `exdns` on PATH: the package's bin (dist/src/cli.js, whose shebang runs node with exdns's flags).
RUN mkdir bin && ln -s ../dist/src/cli.js bin/exdns && chmod 0755 dist/src/cli.js
ENV PATH=/app/bin:$PATH
USER 1000:1000
EXPOSE 1053/udp 1053/tcp 8080/tcp 8181/tcp 9153/tcp
ENTRYPOINT ["exdns"]
CMD ["-conf", "/etc/exdns/Corefile"]
