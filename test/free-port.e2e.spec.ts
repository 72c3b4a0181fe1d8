// The free port a harness or `npm start` chooses now and listens on later: never where the kernel
// hands out local ports for outgoing connections (a connection to Postgres or Redis took one such
// port between its choice and the API's listen, in a CI run), never twice from one process, and
// from a slice of its own for each Jest worker.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { freePort, root } from '../scripts/lib/local-services.mjs';

const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

describe('freePort', () => {
  it('chooses below the ephemeral range, a different port each time, each free to listen on', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 50; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(50);
    expect(ports.filter((p) => p < 10_000 || p >= ephemeralStart)).toEqual([]);
    const srv = net.createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(ports[0], '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  });

  it('gives two Jest workers ports that never meet', () => {
    const pick = (worker: string) =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `import { freePort } from './scripts/lib/local-services.mjs'; const p = []; for (let i = 0; i < 20; i++) p.push(await freePort()); console.log(JSON.stringify(p));`,
          ],
          { cwd: root, env: { ...process.env, JEST_WORKER_ID: worker }, encoding: 'utf8' },
        ),
      ) as number[];
    const one = pick('1');
    const two = pick('2');
    expect(Math.max(...one) < Math.min(...two) || Math.max(...two) < Math.min(...one)).toBe(true);
  });
});
