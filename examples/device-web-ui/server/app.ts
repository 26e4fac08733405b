/**
 * The device web UI: Node's `http` server, routing, the admin session, CSRF checks, security
 * headers, the Server-Sent Events stream of token statuses, and the page actions — all through
 * the SDK's public API. No token is ever written into a page or an event: only `tokenInfo()`.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import QRCode from 'qrcode';
import { MailOAuthError, type MailOAuth, type Page } from '../../../src/index.js';
import { Sessions, sameSecret, sessionCookie, verifyPassword, type PasswordHash, type Session } from './auth.js';
import { settingsFromForm } from './settings-form.js';
import { DEMO_LOCALES, demoText } from './texts.js';
import { callbackView, loginView, settingsView, type ViewContext } from './views.js';
import { TEST_SCAN_PDF } from './test-scan.js';

const here = dirname(fileURLToPath(import.meta.url));
const STATIC: Readonly<Record<string, string>> = {
  '/static/app.js': 'text/javascript; charset=utf-8',
  '/static/style.css': 'text/css; charset=utf-8',
};
const MAX_BODY = 64 * 1024;
const CALLBACK_PATH = '/oauth/callback';
/** How long a page action may take before the UI reports it, in milliseconds. */
const ACTION_TIMEOUT_MS = 60_000;

/** Options of {@link startWebUi}. */
export interface WebUiOptions {
  device: MailOAuth;
  /** The admin password's salted hash. */
  adminPassword: PasswordHash;
  /** Providers offered on the pages (`name` where the SDK has no display name). */
  providers: readonly { id: string; name?: string }[];
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port. Default 0 (any free port). */
  port?: number;
  /**
   * The redirect URI for the authorization-code flow. Default: this UI's own callback route
   * (`http://127.0.0.1:<port>/oauth/callback`), which a browser on the same machine reaches. For a
   * device on a LAN address use a loopback URI on the administrator's computer and paste the
   * address the browser ends on (see docs/web-ui.md).
   */
  redirectUri?: string;
}

/** A running web UI. */
export interface WebUi {
  /** The UI's origin, e.g. `http://127.0.0.1:8080`. */
  url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader(
    'content-security-policy',
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('x-content-type-options', 'nosniff');
  // Not `no-referrer`: Chromium then sends `Origin: null` with form posts, which the origin check refuses.
  res.setHeader('referrer-policy', 'same-origin');
  res.setHeader('cache-control', 'no-store');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim();
  if (type !== 'application/x-www-form-urlencoded') throw new HttpError(415);
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413);
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, ...headers }).end(body);
}

function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { location, ...headers }).end();
}

function json(res: ServerResponse, body: unknown, status = 200): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

/** Starts the web UI. */
export async function startWebUi(options: WebUiOptions): Promise<WebUi> {
  const { device } = options;
  const sessions = new Sessions();
  const streams = new Set<ServerResponse>();
  /** Which page a sign-in's `state` returns to, so the one callback route serves every page. */
  const returnTo = new Map<string, string>();
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  const redirectUri = options.redirectUri ?? `${origin}${CALLBACK_PATH}`;

  const context = (session: Session): ViewContext => ({ device, locale: session.locale, csrf: session.csrf, providers: options.providers });
  const errorText = (err: unknown, locale: string): string =>
    err instanceof MailOAuthError ? device.localize(err.code, locale, err.params) : demoText('notAllowed', locale);
  const pageOf = (id: string): Page => {
    try {
      return device.page(id);
    } catch {
      throw new HttpError(404);
    }
  };

  const tokenEvent = (page: Page, locale: string): Record<string, unknown> => {
    const info = page.tokenInfo(locale);
    const event: Record<string, unknown> = { page: page.id, status: info.status, statusText: info.statusText };
    if (info.status === 'invalid' && info.errorCode !== undefined) event['error'] = device.localize(info.errorCode, locale);
    const prompt = info.prompt;
    if (prompt?.kind === 'device-code') {
      const minutes = String(Math.max(1, Math.ceil((prompt.expiresAt - Date.now()) / 60_000)));
      event['deviceCode'] = {
        userCode: prompt.userCode,
        verificationUri: prompt.verificationUri,
        link: prompt.verificationUriComplete ?? prompt.verificationUri,
        expiresAt: prompt.expiresAt,
        instruction: device.localize('ui.deviceCode.instruction', locale, { url: prompt.verificationUri, code: prompt.userCode, minutes }),
        qr: `/pages/${page.id}/qr.svg?c=${encodeURIComponent(prompt.userCode)}`,
      };
    }
    return event;
  };

  const events = (req: IncomingMessage, res: ServerResponse, session: Session): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    streams.add(res);
    const push = (page: Page): void => void res.write(`event: token\ndata: ${JSON.stringify(tokenEvent(page, session.locale))}\n\n`);
    const unsubscribe = device.pages().map((page) => page.subscribe(() => push(page)));
    // What changed between rendering the page and opening the stream is not lost.
    device.pages().forEach(push);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000).unref();
    res.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe.forEach((stop) => stop());
      streams.delete(res);
    });
  };

  const action = async (name: string, page: Page, form: URLSearchParams, session: Session, res: ServerResponse): Promise<void> => {
    const locale = session.locale;
    const signal = AbortSignal.timeout(ACTION_TIMEOUT_MS);
    try {
      switch (name) {
        case 'get-token': {
          const flow = form.get('flow') === 'device-code' ? 'device-code' : 'authorization-code';
          const prompt = await page.getToken(flow === 'authorization-code' ? { flow, redirectUri, signal } : { flow, signal });
          if (prompt.kind === 'redirect') {
            const state = new URL(prompt.url).searchParams.get('state');
            if (state !== null) returnTo.set(state, page.id);
            return json(res, { ok: true, redirect: prompt.url });
          }
          return json(res, { ok: true, event: tokenEvent(page, locale) });
        }
        case 'delete-token':
          await page.deleteToken({ signal });
          return json(res, { ok: true, event: tokenEvent(page, locale) });
        case 'connection-test': {
          const report = await page.testConnection({ signal, locale });
          return json(res, {
            ok: report.ok,
            code: report.code,
            message: report.hint === undefined ? report.message : `${report.message} ${report.hint}`,
          });
        }
        case 'send-test-scan': {
          if (page.protocol !== 'smtp') throw new HttpError(404);
          const to = (form.get('to') ?? '').trim();
          await page.sendMail(
            {
              to,
              subject: `Test scan from ${page.settings.senderName ?? 'the device'}`,
              text: 'A test scan sent from the device web UI.',
              attachments: [{ filename: 'scan.pdf', content: TEST_SCAN_PDF, contentType: 'application/pdf' }],
            },
            { signal },
          );
          return json(res, { ok: true, message: demoText('testScanSent', locale, { to }) });
        }
        case 'check-mailbox': {
          if (page.protocol !== 'pop3') throw new HttpError(404);
          const messages = await page.mailbox().fetch({ signal });
          const items = await Promise.all(
            messages.map(async (message) => {
              const parsed = await simpleParser(message.content);
              return {
                subject: parsed.subject ?? '',
                from: parsed.from?.text ?? '',
                attachments: parsed.attachments.map((a) => a.filename ?? ''),
              };
            }),
          );
          const text = items.length === 0 ? demoText('noMessages', locale) : demoText('messages', locale, { count: String(items.length) });
          return json(res, { ok: true, message: text, items });
        }
        default:
          throw new HttpError(404);
      }
    } catch (err) {
      if (err instanceof HttpError) throw err;
      return json(res, { ok: false, code: err instanceof MailOAuthError ? err.code : 'ERROR', message: errorText(err, locale) });
    }
  };

  const callback = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const session = sessions.find(req.headers.cookie);
    const ctx: ViewContext = { device, locale: session?.locale ?? device.locale, csrf: '', providers: options.providers };
    const state = url.searchParams.get('state') ?? '';
    const pageId = returnTo.get(state);
    // This URL carries an authorization code: never hand it on as a referrer, not even to ourselves.
    res.setHeader('referrer-policy', 'no-referrer');
    try {
      // The state names the waiting page: an unknown, forged or used state is refused by the SDK.
      await device.completeAuthorization(url.href);
      returnTo.delete(state);
      send(res, 200, 'text/html; charset=utf-8', callbackView(ctx, pageId).value);
    } catch (err) {
      send(res, 400, 'text/html; charset=utf-8', callbackView(ctx, pageId, errorText(err, ctx.locale)).value);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    securityHeaders(res);
    const url = new URL(req.url ?? '/', origin);
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (method === 'GET' && STATIC[path] !== undefined) {
      const body = await readFile(join(here, '..', 'public', path.slice('/static/'.length)));
      return send(res, 200, STATIC[path], body, { 'cache-control': 'no-cache' });
    }
    if (method === 'GET' && path === CALLBACK_PATH) return callback(req, res, url);

    let session = sessions.find(req.headers.cookie);
    if (method === 'POST') {
      // A cross-site form post is refused by its Origin before the CSRF token is even looked at.
      const from = req.headers.origin;
      if (from !== undefined && from !== origin) throw new HttpError(403);
    }

    if (path === '/login' && method === 'GET') {
      if (session?.admin === true) return redirect(res, '/');
      session ??= sessions.create(false, device.locale);
      return send(res, 200, 'text/html; charset=utf-8', loginView(context(session)), { 'set-cookie': sessionCookie(session) });
    }
    if (session === undefined) return redirect(res, '/login');

    const form = method === 'POST' ? await readForm(req) : undefined;
    if (form !== undefined && !sameSecret(form.get('_csrf') ?? undefined, session.csrf)) throw new HttpError(403);

    if (path === '/login' && form !== undefined) {
      if (!(await verifyPassword(form.get('password') ?? '', options.adminPassword))) {
        return send(res, 401, 'text/html; charset=utf-8', loginView(context(session), demoText('wrongPassword', session.locale)));
      }
      const admin = sessions.create(true, session.locale, session);
      return redirect(res, '/', { 'set-cookie': sessionCookie(admin) });
    }
    if (path === '/language' && form !== undefined) {
      const locale = form.get('locale') ?? '';
      if ((DEMO_LOCALES as readonly string[]).includes(locale)) session.locale = locale;
      const back = form.get('return') ?? '/';
      return redirect(res, /^\/(pages\/[\w.]+|login)?$/.test(back) ? back : '/');
    }
    if (!session.admin) return redirect(res, '/login');

    if (path === '/logout' && form !== undefined) {
      sessions.end(session);
      return redirect(res, '/login', { 'set-cookie': 'sid=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0' });
    }
    if (path === '/' && method === 'GET') return redirect(res, '/pages/smtp.services');
    if (path === '/events' && method === 'GET') return events(req, res, session);

    const match = /^\/pages\/([\w.]+)(?:\/([\w.-]+))?$/.exec(path);
    if (match === null) throw new HttpError(404);
    const page = pageOf(match[1] ?? '');
    const sub = match[2];
    const ctx = context(session);
    if (method === 'GET' && sub === undefined) {
      const notice = url.searchParams.has('saved') ? { kind: 'ok' as const, text: demoText('saved', session.locale) } : undefined;
      return send(res, 200, 'text/html; charset=utf-8', settingsView(ctx, page, notice));
    }
    if (method === 'GET' && sub === 'qr.svg') {
      const prompt = page.tokenInfo().prompt;
      if (prompt?.kind !== 'device-code') throw new HttpError(404);
      const svg = await QRCode.toString(prompt.verificationUriComplete ?? prompt.verificationUri, {
        type: 'svg',
        margin: 2,
        errorCorrectionLevel: 'M',
      });
      return send(res, 200, 'image/svg+xml', svg);
    }
    if (form === undefined || sub === undefined) throw new HttpError(405);
    if (sub === 'settings') {
      try {
        await page.configure(settingsFromForm(page, form));
        return redirect(res, `/pages/${page.id}?saved=1`);
      } catch (err) {
        return send(res, 400, 'text/html; charset=utf-8', settingsView(ctx, page, { kind: 'error', text: errorText(err, session.locale) }));
      }
    }
    if (sub === 'complete') {
      try {
        await device.completeAuthorization((form.get('callbackUrl') ?? '').trim());
        return redirect(res, `/pages/${page.id}`);
      } catch (err) {
        return send(res, 400, 'text/html; charset=utf-8', settingsView(ctx, page, { kind: 'error', text: errorText(err, session.locale) }));
      }
    }
    return action(sub, page, form, session, res);
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (!res.headersSent)
        send(res, status, 'text/plain; charset=utf-8', status === 403 ? 'Forbidden' : status === 404 ? 'Not found' : 'Error');
      else res.end();
    });
  });

  return {
    url: origin,
    close: () =>
      new Promise<void>((resolve) => {
        for (const stream of streams) stream.end();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
