// Which installed packages the running apps need, read from package-lock.json: every package reachable
// from package.json's `dependencies` through dependencies, optional dependencies and peers that are
// not optional. Used by scripts/prune-for-runtime.mjs (the Dockerfile's runtime stage).

/** The lockfile path a dependency `name` of the package at `from` resolves to (Node's lookup, nearest first). */
function resolve(packages, from, name) {
  for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return null;
  }
}

/** What a package needs at run time: its dependencies, optional ones, and its peers unless optional. */
function needs(entry) {
  const optionalPeers = new Set(Object.entries(entry.peerDependenciesMeta ?? {}).flatMap(([n, m]) => (m.optional ? [n] : [])));
  const peers = Object.keys(entry.peerDependencies ?? {}).filter((n) => !optionalPeers.has(n));
  return [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}), ...peers];
}

/**
 * The lockfile paths (`node_modules/...`) the apps need. The root's optional dependencies (the
 * Node.js builds npm brings for older machines) and optional peers (@prisma/client's Prisma CLI and
 * TypeScript) are not among them, nor anything only they need.
 */
export function runtimePackages(lock) {
  const packages = lock.packages;
  const kept = new Set();
  const queue = Object.keys(packages[''].dependencies ?? {}).map((name) => ['', name]);
  while (queue.length) {
    const [from, name] = queue.pop();
    const at = resolve(packages, from, name);
    if (!at || kept.has(at)) continue;
    kept.add(at);
    for (const dep of needs(packages[at])) queue.push([at, dep]);
  }
  return kept;
}
