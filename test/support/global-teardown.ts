// Jest global teardown: fails the run when a suite left a socket or server open.
import { rmSync } from 'node:fs';

type Handle = { remotePort?: number; localPort?: number; constructor: { name: string } };

const openTcp = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap');

export default async function globalTeardown(): Promise<void> {
  if (process.env.CROSSTRUST_NHS_BLOCKS) rmSync(process.env.CROSSTRUST_NHS_BLOCKS, { recursive: true, force: true });
  // Sockets already asked to close may take a moment to go: wait for them, then judge.
  const end = Date.now() + 3000;
  while (openTcp().length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  const leaked = openTcp();
  if (leaked.length > 0) {
    const sockets = (process as unknown as { _getActiveHandles(): Handle[] })
      ._getActiveHandles()
      .filter((h) => h.constructor.name === 'Socket' || h.constructor.name === 'Server')
      .map((h) => `${h.constructor.name} ${h.localPort ?? '?'}->${h.remotePort ?? '?'}`);
    throw new Error(`Open handles left by the tests: ${sockets.join(', ') || leaked.join(', ')}. Close every app, worker, queue and client in afterAll.`);
  }
}
