// `npm start` (scripts/start.mjs) with the API's port taken: it says so and stops, before starting
// anything, instead of reporting crosstrust as running because another server answered.
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

describe('npm start', () => {
  it('refuses a taken port in words, naming another to use, and starts nothing', async () => {
    const other = net.createServer();
    await new Promise<void>((resolve) => other.listen(0, resolve));
    const port = (other.address() as AddressInfo).port;
    try {
      const child = spawn(process.execPath, ['scripts/start.mjs'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(out).toContain(`Port ${port} is already in use`);
      expect(out).toContain(`PORT=${port + 1} npm start`);
      expect(out).not.toMatch(/crosstrust is running|Postgres started|Redis started/);
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });
});
