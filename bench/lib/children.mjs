// Every child process the benchmark starts is tracked here, so that a failure or a Ctrl-C
// stops all of them (SIGTERM, then SIGKILL after a grace period) and none is left behind.
const live = new Set();

/** Remembers `child` until it exits; returns it. */
export function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Stops one child: SIGTERM, SIGKILL after `graceMs`. Resolves when it has exited. */
export function stopChild(child, graceMs = 15_000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Stops every child still running. */
export async function stopAll(graceMs) {
  await Promise.all([...live].map((c) => stopChild(c, graceMs)));
}
