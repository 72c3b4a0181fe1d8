// The staff console's browser harness: the API on a free port with the local OpenID provider as its
// issuer, Debian's Chromium (playwright-core), sign-in through the provider's form as a person
// would, axe-core on a page (WCAG 2.2 A and AA), and screenshots at 1280 and 768 px into
// test-output/screenshots/ (not in git).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startLocalIdentityProvider } from '../../scripts/lib/local-identity-provider.mjs';
import { freePort } from '../../scripts/lib/local-services.mjs';
import { afterAll, beforeAll } from '@jest/globals';
import { cast, readyLater, startStack, type Cast, type Stack } from './stack.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const SHOTS = path.join(process.cwd(), 'test-output', 'screenshots');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Debian's Chromium, headless, as every browser suite starts it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The week `weeks` from now, as the capacity form takes it (any day of it) and as the API shows it (its Monday). */
export function weekAhead(weeks: number) {
  const day = new Date(Date.now() + weeks * 7 * 86_400_000);
  const monday = new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * 86_400_000);
  return { day: String(day.getUTCDate()), month: String(day.getUTCMonth() + 1), year: String(day.getUTCFullYear()), monday: monday.toISOString().slice(0, 10) };
}

/** Signs in through the provider's form, as a person would, from wherever `page` was sent. */
export async function signInWithForm(page: Page, username: string, password = 'demo'): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export interface AxeOptions {
  /** Load the address again (with the page's cookies) instead of copying its HTML: for a page its script builds. */
  readonly live?: boolean;
  /** Findings shown to be axe's mistake, each by rule and element (the test that passes it says why). */
  readonly ignore?: ReadonlyArray<{ readonly rule: string; readonly target: string }>;
}

export interface ConsoleHarness {
  readonly s: Stack;
  readonly c: Cast;
  /** The API's origin, e.g. http://127.0.0.1:43121. */
  readonly base: string;
  readonly idp: Awaited<ReturnType<typeof startLocalIdentityProvider>>;
  readonly browser: Browser;
  /** axe-core's findings per page name (an empty list: none). */
  readonly axeFindings: Map<string, string[]>;
  newPage(opts?: { javaScriptEnabled?: boolean }): Promise<Page>;
  /** A page signed in as `username`, at `start` (or wherever sign-in returned to). */
  signedIn(username: string, start?: string, opts?: { javaScriptEnabled?: boolean }): Promise<Page>;
  /** The Cookie header of a signed-in page, for requests made beside the browser. */
  cookieOf(page: Page): Promise<string>;
  /**
   * axe-core on the page as it is. The console's CSP allows its own scripts only, so axe runs in a
   * CSP-bypassing copy: of the page's HTML (default), or, for a page that builds itself with
   * script (`live`), of the same address loaded again with the same cookies.
   */
  axeCheck(page: Page, name: string, opts?: AxeOptions): Promise<void>;
  /** axe-core, then full-page screenshots at 768 and 1280 px as console-<name>-<width>.png. */
  shots(page: Page, name: string, opts?: AxeOptions): Promise<void>;
  close(): Promise<void>;
}

/** The suite's console harness: started in a beforeAll (given the time it takes), closed in an afterAll. */
export function useConsole(opts: { env?: Record<string, string> } = {}): ConsoleHarness {
  let h: ConsoleHarness | undefined;
  beforeAll(async () => {
    h = await startConsole(opts);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });
  return readyLater('the console harness', () => h);
}

/** Starts the identity provider, the stack (API listening on a free port, worker) and Chromium. */
export async function startConsole(opts: { env?: Record<string, string> } = {}): Promise<ConsoleHarness> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const idp = await startLocalIdentityProvider({
    publicHost: '127.0.0.1',
    redirectUris: [`${base}/console/auth/callback`],
    postLogoutRedirectUris: [`${base}/console/signed-out`],
  });
  const env = { PUBLIC_BASE_URL: base, OIDC_ISSUER_URL: idp.issuer, OIDC_CLIENT_ID: idp.clientId, OIDC_CLIENT_SECRET: idp.clientSecret, ...opts.env };
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  const restoreEnv = () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  let s: Stack | undefined;
  let browser: Browser;
  try {
    s = await startStack();
    await s.api.listen(port, '127.0.0.1');
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
  } catch (e) {
    // Nothing left running when the harness cannot start.
    await s?.close().catch(() => undefined);
    await idp.close();
    restoreEnv();
    throw e;
  }
  const stack = s;
  const c = await cast();
  const contexts: BrowserContext[] = [];
  const axeFindings = new Map<string, string[]>();

  async function newContext(o: { javaScriptEnabled?: boolean; bypassCSP?: boolean } = {}): Promise<BrowserContext> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, ...o });
    contexts.push(ctx);
    return ctx;
  }

  const h: ConsoleHarness = {
    s: stack,
    c,
    base,
    idp,
    browser,
    axeFindings,
    async newPage(o = {}) {
      return (await newContext(o)).newPage();
    },
    async signedIn(username, start = '/console', o = {}) {
      const page = await h.newPage(o);
      await page.goto(`${base}${start}`);
      await signInWithForm(page, username);
      await page.waitForURL((u) => u.pathname.startsWith('/console') && !u.pathname.startsWith('/console/auth'));
      return page;
    },
    async cookieOf(page) {
      return (await page.context().cookies(`${base}/console`)).map((k) => `${k.name}=${k.value}`).join('; ');
    },
    async axeCheck(page, name, o = {}) {
      const ctx = await newContext({ bypassCSP: true });
      const p = await ctx.newPage();
      if (o.live) {
        await ctx.addCookies(await page.context().cookies());
        await p.goto(page.url(), { waitUntil: 'networkidle' });
      } else {
        const html = await page.content();
        const at = `${base}/console/__axe__/${name}`;
        await p.route(at, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
        await p.goto(at);
      }
      await p.addScriptTag({ path: path.join(process.cwd(), 'node_modules', 'axe-core', 'axe.min.js') });
      const violations: string[] = await p.evaluate(
        `(async (tags, ignore) => (await axe.run(document, { runOnly: { type: 'tag', values: tags } })).violations
           .map((v) => ({ ...v, nodes: v.nodes.filter((n) => !ignore.some((i) => i.rule === v.id && i.target === n.target.join(' '))) }))
           .filter((v) => v.nodes.length > 0)
           .map((v) => v.id + ': ' + v.help + ' (' + v.nodes.map((n) => n.target.join(' ')).join(', ') + ')'))(${JSON.stringify(AXE_TAGS)}, ${JSON.stringify(o.ignore ?? [])})`,
      );
      axeFindings.set(name, violations);
      await ctx.close();
    },
    async shots(page, name, o = {}) {
      await h.axeCheck(page, name, o);
      await page.setViewportSize({ width: 768, height: 900 });
      await page.screenshot({ path: path.join(SHOTS, `console-${name}-768.png`), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.screenshot({ path: path.join(SHOTS, `console-${name}-1280.png`), fullPage: true });
    },
    async close() {
      for (const ctx of contexts) await ctx.close().catch(() => undefined);
      await browser.close();
      await stack.close();
      await idp.close();
      restoreEnv();
    },
  };
  return h;
}
