// Scrape-time collectors share one answer for a short while: several gauges fed by one query,
// and several Prometheus servers scraping at once, cost one round trip.

/** Wraps `load` so calls within `ttlMs` of a started load share its answer (or its failure). */
export function cached<T>(ttlMs: number, load: () => Promise<T>): () => Promise<T> {
  let at = 0;
  let value: Promise<T> | null = null;
  return () => {
    const now = Date.now();
    if (value && now - at < ttlMs) return value;
    at = now;
    value = load();
    return value;
  };
}

/** Rejects when `p` takes longer than `ms` (a scrape must answer even with a dependency away). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
