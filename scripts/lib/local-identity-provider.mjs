// The local OpenID provider: a stand-in for NHS Care Identity Service 2 (CIS2) that `npm start` and
// the console's tests run, built on oidc-provider. Authorization code flow with PKCE only, the demo
// users of the console contract (every password `demo`), no consent screen, RP-initiated sign-out.
// Never used in production: the api there is configured with the real issuer (OIDC_ISSUER_URL).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';
// The in-memory store is what a stand-in wants (sessions end when it stops); imported so the
// provider does not warn that it chose it by default.
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';

/** The demo users of the console contract (shared/design/console.md). */
export const DEMO_USERS = [
  { username: 'clerk.rlq', name: 'Megan Price', role: 'booking_clerk', ods: 'RLQ' },
  { username: 'clinician.rlq', name: 'Dr Owen Hughes', role: 'clinician', ods: 'RLQ' },
  // A second consultant at Wye Valley: two clinicians working the same review list.
  { username: 'clinician2.rlq', name: 'Dr Rhian Morgan', role: 'clinician', ods: 'RLQ' },
  { username: 'admin.rlq', name: 'Siân Powell', role: 'trust_admin', ods: 'RLQ' },
  // Runs the Foundation Group itself (its members): no trust role.
  { username: 'group.admin', name: 'Carys Evans', role: 'group_admin', ods: 'RLQ' },
  { username: 'clerk.rjc', name: 'Priya Shah', role: 'booking_clerk', ods: 'RJC' },
  { username: 'clinician.rjc', name: 'Mr David Okafor', role: 'clinician', ods: 'RJC' },
  { username: 'admin.rjc', name: 'Helen Carter', role: 'trust_admin', ods: 'RJC' },
  { username: 'clerk.rlt', name: 'Tom Bennett', role: 'booking_clerk', ods: 'RLT' },
  { username: 'clinician.rlt', name: 'Dr Aisha Rahman', role: 'clinician', ods: 'RLT' },
  { username: 'admin.rlt', name: 'Gareth Lewis', role: 'trust_admin', ods: 'RLT' },
  // The demo's specialist trust (Guy's and St Thomas'), whose patients come closer to home to Wye Valley.
  { username: 'clerk.rj1', name: 'Jade Okonkwo', role: 'booking_clerk', ods: 'RJ1' },
  { username: 'clinician.rj1', name: 'Prof. Ruth Adeyemi', role: 'clinician', ods: 'RJ1' },
  // e-RS's "additional requirements manager": records patients' transport, interpreter and accessibility needs, nothing clinical.
  { username: 'needs.rlq', name: 'Carys Jenkins', role: 'additional_requirements_manager', ods: 'RLQ' },
  { username: 'needs.rjc', name: 'Ben Whitfield', role: 'additional_requirements_manager', ods: 'RJC' },
  { username: 'needs.rlt', name: 'Nadia Hussain', role: 'additional_requirements_manager', ods: 'RLT' },
];
export const DEMO_PASSWORD = 'demo';

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} - Local identity provider (CIS2 stand-in)</title>
<style>body{font-family:Arial,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
label{display:block;font-weight:bold;margin-top:1rem}input{font-size:1.1rem;padding:.4rem;width:100%;box-sizing:border-box}
button{margin-top:1.5rem;font-size:1.1rem;padding:.5rem 1.2rem;background:#007f3b;color:#fff;border:0;border-bottom:4px solid #00401e}
button:focus,input:focus{outline:4px solid #ffeb3b}.error{color:#d5281b;font-weight:bold}table{border-collapse:collapse}td,th{padding:.2rem .6rem;text-align:left}</style>
</head><body><main>${body}</main></body></html>`;
}

function loginPage(uid, { error, username = '' } = {}) {
  const rows = DEMO_USERS.map((u) => `<tr><td><code>${u.username}</code></td><td>${escape(u.name)}</td><td>${u.role}</td><td>${u.ods}</td></tr>`).join('');
  return page(
    'Sign in',
    `<h1>Sign in</h1>
<p>This is the local stand-in for NHS Care Identity Service 2. Every demo password is <code>demo</code>.</p>
${error ? `<p class="error" role="alert" id="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login" autocomplete="off">
<label for="username">Username</label><input id="username" name="username" value="${escape(username)}" autocapitalize="none" spellcheck="false"${error ? ' aria-describedby="error"' : ''} required>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Sign in</button>
</form>
<h2>Demo users</h2><table><thead><tr><th>Username</th><th>Name</th><th>Role</th><th>Trust</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > 8192) throw new Error('form too large');
    chunks.push(c);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Starts the provider on `port` (0: a free one) and resolves to { issuer, clientId, clientSecret,
 * close() }. `redirectUris` and `postLogoutRedirectUris` are the console's.
 */
export async function startLocalIdentityProvider({
  port = 0,
  host = '127.0.0.1',
  publicHost = 'localhost',
  redirectUris,
  postLogoutRedirectUris,
  clientId = 'crosstrust-console',
  clientSecret,
} = {}) {
  const secret = clientSecret ?? randomBytes(24).toString('base64url');
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: randomBytes(8).toString('hex') };
  const server = http.createServer();
  await new Promise((resolve) => server.listen(port, host, resolve));
  const issuer = `http://${publicHost}:${server.address().port}`;
  const users = new Map(DEMO_USERS.map((u) => [u.username, u]));

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: secret,
        redirect_uris: redirectUris,
        post_logout_redirect_uris: postLogoutRedirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    adapter: createMemoryAdapter(0),
    jwks: { keys: [jwk] },
    pkce: { required: () => true },
    // CIS2's tokens carry the person's name, their role(s) and the organisation they act for.
    claims: { openid: ['sub'], profile: ['name'], crosstrust: ['roles', 'ods'] },
    scopes: ['openid', 'profile', 'crosstrust'],
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true, logoutSource } },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    ttl: { Session: 12 * 3600, Interaction: 3600, Grant: 12 * 3600, IdToken: 3600, AccessToken: 3600, AuthorizationCode: 60 },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, sub) {
      const u = users.get(sub);
      if (!u) return undefined;
      return { accountId: sub, claims: async () => ({ sub, name: u.name, roles: [u.role], ods: u.ods }) };
    },
    // The console is a first-party client: no consent screen; the grant is made at sign-in.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid profile crosstrust');
      await grant.save();
      return grant;
    },
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Sign-in problem', `<h1>Sign-in problem</h1><p>${escape(out.error_description ?? out.error)}</p>`);
    },
  });
  provider.proxy = false;

  const callback = provider.callback();
  server.on('request', async (req, res) => {
    const m = /^\/interaction\/([\w-]+)(\/login)?$/.exec(req.url.split('?')[0]);
    if (!m) return callback(req, res);
    res.setHeader('cache-control', 'no-store');
    try {
      const details = await provider.interactionDetails(req, res);
      if (req.method === 'GET' && !m[2]) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(details.uid));
        return;
      }
      if (req.method === 'POST' && m[2]) {
        const form = await readForm(req);
        const username = (form.get('username') ?? '').trim().toLowerCase();
        if (!users.has(username) || form.get('password') !== DEMO_PASSWORD) {
          res
            .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
            .end(loginPage(details.uid, { error: 'Enter a demo username and the password demo', username }));
          return;
        }
        await provider.interactionFinished(req, res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
        return;
      }
      res.writeHead(405).end();
    } catch (e) {
      res
        .writeHead(400, { 'content-type': 'text/html; charset=utf-8' })
        .end(page('Sign-in problem', `<h1>Sign-in problem</h1><p>This sign-in has expired. Go back to crosstrust and sign in again.</p>`));
    }
  });

  return {
    issuer,
    clientId,
    clientSecret: secret,
    port: server.address().port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The provider's sign-out confirmation, submitted at once (a button without JavaScript). */
async function logoutSource(ctx, form) {
  ctx.type = 'html';
  ctx.body = page(
    'Signing out',
    `<h1>Signing out</h1>${form.replace('<form ', '<form id="op-logout" ')}<p>Continue to sign out of the identity provider too.</p>
<button type="submit" form="op-logout" name="logout" value="yes">Sign out</button>
<script>document.getElementById('op-logout').insertAdjacentHTML('beforeend','<input type="hidden" name="logout" value="yes">');document.getElementById('op-logout').submit()</script>`,
  );
}
