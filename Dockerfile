# syntax=docker/dockerfile:1
# One image serves both apps: the server by default, the client with
# `command: ["node", "dist/apps/client/main.js"]`.

# A supported Node.js LTS, slim Debian variant.
ARG NODE_IMAGE=node:24-bookworm-slim

# Behind a private registry, a proxy or a TLS-inspecting firewall, `npm ci` gets its settings
# from two optional build secrets, mounted for that one step and never stored in a layer:
#   npmrc   — an .npmrc (registry, proxy, auth token; `cafile=/run/secrets/npm-ca` for a CA)
#   npm-ca  — a PEM bundle of the CA certificates to trust
#   docker build --secret id=npmrc,src=$HOME/.npmrc --secret id=npm-ca,src=/path/ca.pem .
# (podman build takes the same flags.) Without them npm uses the public registry.

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc --mount=type=secret,id=npm-ca \
    npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY drill ./drill
COPY bench ./bench
COPY types ./types
RUN npm run build

FROM ${NODE_IMAGE} AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc --mount=type=secret,id=npm-ca \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# JSON logs in containers (one object per line); `nest start` keeps text.
ENV NODE_ENV=production LOG_FORMAT=json
WORKDIR /app
COPY package.json ./
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist/apps ./dist/apps
COPY --from=build /app/dist/libs/protocol ./dist/libs/protocol
COPY --from=build /app/dist/libs/env ./dist/libs/env
COPY --from=build /app/dist/libs/contract ./dist/libs/contract
USER node
EXPOSE 8080
# Exec form: node is PID 1 and gets SIGTERM directly; `npm start` here would swallow it.
CMD ["node", "dist/apps/server/main.js"]
