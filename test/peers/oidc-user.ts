/**
 * A headless user for the test authorization server: completes the device flow and the
 * authorization-code flow through oidc-provider's own pages over plain HTTP with a cookie jar
 * (no browser). Only for 127.0.0.1.
 */
import { request } from 'undici';

/** What the user does at the end of a flow. */
export type UserDecision = 'approve' | 'deny';

class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(setCookie: string | string[] | undefined): void {
    for (const line of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const pair = line.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.#cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }
}

interface Page {
  status: number;
  location: string | undefined;
  body: string;
  url: string;
}

async function send(jar: CookieJar, url: string, form?: Record<string, string>): Promise<Page> {
  const target = new URL(url);
  if (target.hostname !== '127.0.0.1') throw new Error(`oidc-user only talks to 127.0.0.1, not ${target.hostname}`);
  const res = await request(target, {
    method: form === undefined ? 'GET' : 'POST',
    headers: {
      cookie: jar.header(),
      ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
    },
    ...(form === undefined ? {} : { body: new URLSearchParams(form).toString() }),
  });
  jar.store(res.headers['set-cookie']);
  const body = await res.body.text();
  const location = res.headers.location;
  return {
    status: res.statusCode,
    location: location === undefined ? undefined : new URL(String(location), target).toString(),
    body,
    url: target.toString(),
  };
}

function hidden(body: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(body);
  if (match?.[1] === undefined) throw new Error(`no ${name} field in the page`);
  return match[1];
}

/**
 * Follows redirects and answers the login and consent prompts until the browser would leave
 * the server (a redirect elsewhere) or a final page is shown. Returns the last page.
 */
async function interact(jar: CookieJar, start: Page, account: string, decision: UserDecision, stopAt?: string): Promise<Page> {
  let page = start;
  for (let step = 0; step < 20; step++) {
    if (page.location !== undefined) {
      if (stopAt !== undefined && page.location.startsWith(stopAt)) return page;
      page = await send(jar, page.location);
      continue;
    }
    const prompt = /name="prompt" value="(login|consent)"/.exec(page.body)?.[1];
    const uid = /\/interaction\/([^/"?]+)/.exec(page.url)?.[1];
    if (prompt === undefined || uid === undefined) return page;
    const origin = new URL(page.url).origin;
    if (decision === 'deny') {
      page = await send(jar, `${origin}/interaction/${uid}/abort`);
      continue;
    }
    page = await send(
      jar,
      `${origin}/interaction/${uid}`,
      prompt === 'login' ? { prompt: 'login', login: account, password: 'any' } : { prompt: 'consent' },
    );
  }
  throw new Error('the interaction did not finish within 20 steps');
}

/**
 * Completes a device authorization as `account`: enters the user code, confirms (or aborts
 * when `decision` is `deny`), signs in and consents.
 *
 * @example
 * ```ts
 * await completeDeviceFlow(server.issuer, pending.userCode, 'scanner@example.test');
 * ```
 */
export async function completeDeviceFlow(
  issuer: string,
  userCode: string,
  account: string,
  decision: UserDecision = 'approve',
): Promise<void> {
  const jar = new CookieJar();
  const form = await send(jar, `${issuer}/device`);
  const entered = await send(jar, `${issuer}/device`, { xsrf: hidden(form.body, 'xsrf'), user_code: userCode });
  const xsrf = hidden(entered.body, 'xsrf');
  const decided = await send(jar, `${issuer}/device`, {
    xsrf,
    user_code: userCode,
    ...(decision === 'deny' ? { abort: 'yes' } : { confirm: 'yes' }),
  });
  if (decision === 'deny') return;
  const last = await interact(jar, decided, account, decision);
  if (!/success|Sign-in Success/i.test(last.body)) throw new Error(`device flow did not succeed (HTTP ${last.status})`);
}

/**
 * Opens an authorization URL as `account`, signs in and consents (or aborts), and returns the
 * redirect URL the browser would arrive at (with `code` and `state`, or `error`).
 *
 * @example
 * ```ts
 * const callbackUrl = await completeAuthorizationCodeFlow(prompt.url, 'scanner@example.test', redirectUri);
 * ```
 */
export async function completeAuthorizationCodeFlow(
  authorizationUrl: string,
  account: string,
  redirectUri: string,
  decision: UserDecision = 'approve',
): Promise<string> {
  const jar = new CookieJar();
  const first = await send(jar, authorizationUrl);
  const last = await interact(jar, first, account, decision, redirectUri);
  if (last.location === undefined || !last.location.startsWith(redirectUri)) {
    throw new Error(`the authorization did not redirect back (HTTP ${last.status})`);
  }
  return last.location;
}
