// Preloaded only for Prisma CLI runs: the WASM schema engine leaves long timers
// (about 60 s after `migrate dev`) that keep the CLI alive after it has finished.
const original = globalThis.setTimeout;
globalThis.setTimeout = function patchedSetTimeout(fn, ms, ...rest) {
  const t = original(fn, ms, ...rest);
  if (typeof ms === 'number' && ms >= 5000 && t && typeof t.unref === 'function') t.unref();
  return t;
};
