// The MESH settings: the local folder mailbox by default, MESH's credentials required together with
// MESH_URL, https and a client certificate in production, every bad variable named in one message.
import { describe, expect, it } from '@jest/globals';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from './app-config.js';
import { baseEnv, configProblems } from '../../../test/support/config-problems.js';

describe('MESH configuration', () => {
  it('is the local folder mailbox by default, read every 2 s, sent every 1 s', () => {
    expect(loadConfig(baseEnv).mesh).toMatchObject({
      url: null,
      mailboxId: 'CROSSTRUST',
      localDir: '.data/mesh',
      sendIntervalMs: 1_000,
      pollIntervalMs: 2_000,
      sendAttempts: 8,
      ackTimeoutMs: 2 * 86_400_000,
      tls: { cert: null, key: null, ca: null },
    });
  });

  it('takes MESH with its mailbox, password and shared key, polling every 5 minutes', () => {
    const mesh = loadConfig({ ...baseEnv, MESH_URL: 'https://mesh.example/', MESH_MAILBOX_ID: 'X26HC001', MESH_PASSWORD: 'p', MESH_SHARED_KEY: 'k' }).mesh;
    expect(mesh).toMatchObject({ url: 'https://mesh.example', mailboxId: 'X26HC001', password: 'p', sharedKey: 'k', pollIntervalMs: 300_000 });
  });

  it('names every missing or bad variable at once', () => {
    expect(
      configProblems({
        MESH_URL: 'ftp://mesh',
        MESH_MAILBOX_ID: 'no spaces allowed',
        MESH_TLS_CERT: '/nowhere/cert.pem',
        MESH_RETRY_BASE_MS: '5000',
        MESH_RETRY_MAX_MS: '100',
      }),
    ).toEqual([
      'MESH_URL must be an http(s) URL',
      'MESH_PASSWORD is required with MESH_URL',
      'MESH_SHARED_KEY is required with MESH_URL',
      'MESH_MAILBOX_ID must be a MESH mailbox id: letters, digits, _ or - (got "no spaces allowed")',
      'MESH_TLS_CERT must name a readable file (got "/nowhere/cert.pem")',
      'MESH_TLS_CERT and MESH_TLS_KEY go together (the client certificate and its private key)',
      'MESH_RETRY_MAX_MS must be at least MESH_RETRY_BASE_MS',
    ]);
  });

  it('in production wants https and the client certificate', () => {
    const prod = {
      NODE_ENV: 'production',
      AUTH_JWKS_URL: 'https://idp/jwks',
      AUTH_ISSUER: 'i',
      AUTH_AUDIENCE: 'a',
      OFFER_LINK_SECRET: 'x'.repeat(40),
      PUBLIC_BASE_URL: 'https://crosstrust.example',
    };
    const creds = { MESH_MAILBOX_ID: 'X26HC001', MESH_PASSWORD: 'p', MESH_SHARED_KEY: 'k' };
    expect(configProblems({ ...prod, ...creds, MESH_URL: 'http://mesh.example' })).toEqual([
      'MESH_URL must be an https: URL when NODE_ENV=production',
      'MESH_TLS_CERT and MESH_TLS_KEY are required with MESH_URL when NODE_ENV=production (MESH authenticates the client certificate)',
    ]);
    const dir = mkdtempSync(path.join(tmpdir(), 'mesh-tls-'));
    for (const f of ['cert.pem', 'key.pem']) writeFileSync(path.join(dir, f), 'not checked here');
    expect(
      configProblems({
        ...prod,
        ...creds,
        MESH_URL: 'https://mesh.example',
        MESH_TLS_CERT: path.join(dir, 'cert.pem'),
        MESH_TLS_KEY: path.join(dir, 'key.pem'),
      }),
    ).toEqual([]);
  });
});
