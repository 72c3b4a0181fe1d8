// Jest global teardown: fails the run when a suite left a socket or server open.
export default async function globalTeardown(): Promise<void> {
  const leaked = process
    .getActiveResourcesInfo()
    .filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap');
  if (leaked.length > 0) {
    throw new Error(`Open handles left by the tests: ${leaked.join(', ')}. Close every app, worker, queue and client in afterAll.`);
  }
}
