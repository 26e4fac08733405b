/**
 * The manual's workflow in a real browser: headless Chromium (Debian's `chromium`, driven by
 * playwright-core) against `npm run demo`'s in-process stack on 127.0.0.1 — the local provider's
 * own login page, smtp-server, Dovecot (or the demo's POP3 server) and the file store. It also
 * takes the screenshots in docs/screenshots/.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DEMO_ACCOUNT, DEMO_PROVIDER_ID, startDemo, type Demo } from '../../examples/device-web-ui/stack.js';
import { completeDeviceFlow } from '../peers/oidc-user.js';

const CHROMIUM = process.env['CHROMIUM_BIN'] || '/usr/bin/chromium';
const SCREENSHOTS = join(import.meta.dirname, '../../docs/screenshots');
const REFRESH_FAILED_EN = 'Token update failed. Please delete the token and obtain it again.';
const REFRESH_FAILED_DE = 'Token-Update fehlgeschlagen. Bitte löschen Sie das Token und rufen Sie das Token erneut ab.';

const chromiumStatus = (() => {
  const required = process.env['CI'] === 'true';
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return { available: true, required, message: `Chromium found at ${CHROMIUM}` };
  } catch {
    return {
      available: false,
      required,
      message: `Chromium is not installed at ${CHROMIUM} (apt-get install chromium): ${required ? 'required in CI' : 'skipping the web UI test'}`,
    };
  }
})();
if (!chromiumStatus.available && !chromiumStatus.required) console.warn(`[web-ui] ${chromiumStatus.message}`);

it.runIf(!chromiumStatus.available && chromiumStatus.required)('Chromium is installed (required with CI=true)', () => {
  throw new Error(chromiumStatus.message);
});

describe.skipIf(!chromiumStatus.available)('the device web UI in headless Chromium', () => {
  let demo: Demo;
  let browser: Browser;
  let context: BrowserContext;
  let tab: Page;
  /** Every response body the browser received, and every event of an SSE stream of the admin session. */
  const seen: string[] = [];
  const tokens = new Set<string>();
  let events = '';
  const streamAbort = new AbortController();

  const collectTokens = async (): Promise<void> => {
    const walk = (value: unknown, key = ''): void => {
      if (typeof value === 'string' && /^(accessToken|refreshToken)$/.test(key)) tokens.add(value);
      else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) walk(v, k);
    };
    for (const scope of new Set(demo.device.pages().map((p) => p.scopeId))) walk(await demo.store.get(scope));
  };
  const shot = (name: string): Promise<Buffer> => tab.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const open = async (id: string): Promise<void> => {
    await tab.goto(`${demo.url}/pages/${id}`);
  };
  const statusOf = async (id: string): Promise<string | null> => {
    await open(id);
    return tab.locator('#token-status').getAttribute('data-status');
  };
  const waitStatus = (status: string, timeout = 20_000) => tab.waitForSelector(`#token-status[data-status="${status}"]`, { timeout });
  const chooseOAuth = async (): Promise<void> => {
    await tab.selectOption('#field-authMethod', 'oauth2');
    await tab.selectOption('#field-provider', DEMO_PROVIDER_ID);
    await tab.fill('#field-account', DEMO_ACCOUNT);
    await tab.click('#apply');
    await tab.waitForSelector('#notice.ok');
  };
  const confirm = async (button: string, screenshot?: string): Promise<void> => {
    await tab.click(button);
    await tab.waitForSelector('#confirm-dialog[open]');
    if (screenshot !== undefined) await shot(screenshot);
    await tab.click('#confirm-ok');
  };
  /** Get Token with the redirect flow: the provider's own login and consent pages, then back. */
  const getTokenByRedirect = async (): Promise<void> => {
    await confirm('#get-token');
    const issuer = demo.issuer?.issuer ?? '';
    await tab.waitForURL((url) => url.href.startsWith(issuer));
    for (let step = 0; step < 4 && tab.url().startsWith(issuer); step++) {
      if ((await tab.locator('input[name="login"]').count()) > 0) {
        await tab.fill('input[name="login"]', DEMO_ACCOUNT);
        await tab.fill('input[name="password"]', 'any password');
      }
      await Promise.all([tab.waitForNavigation(), tab.click('button[type="submit"]')]);
    }
    await tab.waitForURL(`${demo.url}/pages/**`);
  };
  const connectionTest = async (): Promise<string> => {
    const seq = Number((await tab.getAttribute('#result', 'data-seq')) ?? '0');
    await tab.click('#connection-test');
    await tab.waitForSelector(`#result[data-seq="${seq + 1}"]`, { timeout: 30_000 });
    return (await tab.textContent('#result')) ?? '';
  };

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    demo = await startDemo({ env: {}, adminPassword: 'correct horse battery staple' });
    browser = await chromium.launch({
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
    context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    tab = await context.newPage();
    // A step that fails says which one, well before the test's own timeout.
    tab.setDefaultTimeout(15_000);
    tab.on('response', (response) => {
      if (!response.url().startsWith(demo.url) || (response.headers()['content-type'] ?? '').startsWith('text/event-stream')) return;
      response.text().then(
        (body) => seen.push(body),
        () => undefined,
      );
    });
  });
  afterAll(async () => {
    streamAbort.abort();
    await browser?.close();
    await demo?.close();
  });

  it('runs the manual: Get Token, linked pages, connection test, a scan over SMTP read back over POP3, Delete, revocation', async () => {
    // Without a session every page leads to the login page.
    await tab.goto(`${demo.url}/pages/smtp.services`);
    expect(new URL(tab.url()).pathname).toBe('/login');
    await shot('login');
    await tab.fill('input[name="password"]', 'wrong');
    await tab.click('button:text("Login")');
    await tab.waitForSelector('.login .error');
    await tab.fill('input[name="password"]', 'correct horse battery staple');
    await tab.click('button:text("Login")');
    await tab.waitForURL(`${demo.url}/pages/smtp.services`);

    // An event stream of the same session, recorded to prove that no token is ever sent in it.
    const cookie = (await context.cookies(demo.url)).map((c) => `${c.name}=${c.value}`).join('; ');
    const stream = await fetch(`${demo.url}/events`, { headers: { cookie }, signal: streamAbort.signal });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    void (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of stream.body as AsyncIterable<Uint8Array>) events += decoder.decode(chunk);
      } catch {
        // aborted at the end
      }
    })();

    // Services Setup → OAuth 2.0, provider, account → Get Token → OK → provider login → back.
    await chooseOAuth();
    await getTokenByRedirect();
    await waitStatus('acquired');
    await collectTokens();
    await shot('services-setup-acquired');
    const statuses: Record<string, string | null> = {};
    for (const id of [
      'smtp.services',
      'smtp.quick',
      'smtp.initialQuick',
      'smtp.alert',
      'pop.emailStatus',
      'pop.internetFax',
      'pop.emailPrint',
    ])
      statuses[id] = await statusOf(id);
    expect(statuses).toEqual({
      'smtp.services': 'acquired',
      'smtp.quick': 'acquired',
      'smtp.initialQuick': 'acquired',
      'smtp.alert': 'not-acquired',
      'pop.emailStatus': 'not-acquired',
      'pop.internetFax': 'not-acquired',
      'pop.emailPrint': 'not-acquired',
    });

    // Connection Test, then a test scan through the SMTP server.
    await open('smtp.services');
    expect(await connectionTest()).toBe('Connection test succeeded.');
    await tab.fill('#field-recipient', DEMO_ACCOUNT);
    await tab.click('#send-test-scan');
    await tab.waitForSelector('#mail-result.ok');

    // A POP page with its own token, by device code: code and QR shown, approved, Acquired without a reload.
    await open('pop.emailStatus');
    await chooseOAuth();
    await tab.check('input[name="flow"][value="device-code"]');
    await tab.evaluate('window.notReloaded = true');
    const qr = tab.waitForResponse((response) => response.url().includes('/qr.svg'));
    await confirm('#get-token', 'get-token-dialog');
    await tab.waitForSelector('#device-code:not([hidden])');
    const userCode = (await tab.textContent('#user-code')) ?? '';
    expect(userCode).toMatch(/\S{4,}/);
    expect(await tab.textContent('#device-code-instruction')).toContain(userCode);
    const qrResponse = await qr;
    expect([qrResponse.status(), qrResponse.headers()['content-type']]).toEqual([200, 'image/svg+xml']);
    expect(await qrResponse.text()).toMatch(/^<svg/);
    expect(await tab.textContent('#countdown')).toMatch(/Time left: \d+:\d\d/);
    await shot('device-code');
    await completeDeviceFlow(demo.issuer?.issuer ?? '', userCode, DEMO_ACCOUNT);
    await waitStatus('acquired', 25_000);
    expect(await tab.evaluate('window.notReloaded')).toBe(true);
    expect(await tab.isHidden('#device-code')).toBe(true);
    await collectTokens();

    await tab.click('#check-mailbox');
    await tab.waitForSelector('#mail-result.ok');
    expect(await tab.textContent('#mail-list')).toMatch(/Test scan from Scanner 3F.*scan\.pdf/);
    await shot('pop-check-mailbox');

    // Delete on Quick Settings: all three linked pages are Not Acquired.
    await open('smtp.quick');
    await confirm('#delete-token');
    await waitStatus('not-acquired');
    expect([await statusOf('smtp.services'), await statusOf('smtp.quick'), await statusOf('smtp.initialQuick')]).toEqual([
      'not-acquired',
      'not-acquired',
      'not-acquired',
    ]);
    expect(await statusOf('pop.emailStatus')).toBe('acquired');

    // Get Token again, then the grant is revoked at the provider: the manual's message, then in German.
    await open('smtp.services');
    await getTokenByRedirect();
    await waitStatus('acquired');
    await collectTokens();
    expect(await demo.issuer?.revokeGrants(DEMO_ACCOUNT)).toBeGreaterThan(0);
    expect(await connectionTest()).toBe(REFRESH_FAILED_EN);
    await waitStatus('invalid');
    await tab.selectOption('select[name="locale"]', 'de');
    await tab.waitForSelector('html[lang="de"]');
    expect(await tab.textContent('#connection-test')).toBe('Verbindungstest');
    expect(await tab.isVisible('#token-error')).toBe(true);
    expect(await connectionTest()).toBe(REFRESH_FAILED_DE);
    await shot('connection-test-de');
    await collectTokens();

    // Nothing the browser or the event stream received contains a token.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(tokens.size).toBeGreaterThanOrEqual(4);
    expect(events).toContain('"status":"acquired"');
    expect(seen.length).toBeGreaterThan(20);
    for (const token of tokens) {
      expect(events.includes(token)).toBe(false);
      expect(seen.some((body) => body.includes(token))).toBe(false);
    }
  }, 90_000);

  it('refuses a POST with a missing or wrong CSRF token (403) and changes nothing; sends requests without a session to the login page', async () => {
    const before = { server: demo.device.page('smtp.alert').settings.server, status: demo.device.page('pop.emailStatus').status };
    for (const form of [{ server: 'evil.example' }, { server: 'evil.example', _csrf: 'wrong' }]) {
      const response = await context.request.post(`${demo.url}/pages/smtp.alert/settings`, { form, maxRedirects: 0 });
      expect(response.status()).toBe(403);
    }
    for (const form of [{}, { _csrf: 'x'.repeat(43) }]) {
      expect((await context.request.post(`${demo.url}/pages/pop.emailStatus/delete-token`, { form, maxRedirects: 0 })).status()).toBe(403);
    }
    expect({ server: demo.device.page('smtp.alert').settings.server, status: demo.device.page('pop.emailStatus').status }).toEqual(before);

    const anonymous = await browser.newContext();
    try {
      for (const path of ['/pages/smtp.services', '/events', '/']) {
        const response = await anonymous.request.get(`${demo.url}${path}`, { maxRedirects: 0 });
        expect([path, response.status(), response.headers()['location']]).toEqual([path, 303, '/login']);
      }
      const post = await anonymous.request.post(`${demo.url}/pages/pop.emailStatus/delete-token`, {
        form: { _csrf: 'x' },
        maxRedirects: 0,
      });
      expect([post.status(), post.headers()['location']]).toEqual([303, '/login']);
      const login = await anonymous.request.get(`${demo.url}/login`);
      const headers = login.headers();
      expect(headers['content-security-policy']).toContain("script-src 'self'");
      expect(headers['content-security-policy']).not.toContain('unsafe-inline');
      expect(headers['x-frame-options']).toBe('DENY');
      expect(headers['set-cookie']).toMatch(/HttpOnly; SameSite=Strict/);
    } finally {
      await anonymous.close();
    }
    expect(demo.device.page('pop.emailStatus').status).toBe(before.status);
  });
});
