/**
 * Fault injection on the token endpoint, seen from a page: every failure a network or a broken
 * server can produce leaves the token Acquired (never a false Invalid), is reported with a
 * coded transient error, stays within bounded memory, and the page renews as soon as the
 * endpoint recovers.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailOAuth, oidc, type MailOAuth } from '../../src/index.js';

type Mode = 'ok' | '500' | '503' | 'reset' | 'hang' | 'drip' | 'malformed' | 'huge' | 'html';

let server: Server;
let issuer: string;
let mode: Mode = 'ok';
let issued = 0;
const sockets = new Set<Socket>();
const timers = new Set<NodeJS.Timeout>();

function fault(res: ServerResponse): void {
  switch (mode) {
    case '500':
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"server_error"}');
      return;
    case '503':
      res.writeHead(503, { 'retry-after': '1' }).end();
      return;
    case 'reset':
      res.socket?.destroy();
      return;
    case 'hang':
      return;
    case 'drip': {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 50);
      timers.add(timer);
      return;
    }
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token": "abc", "token_type": ');
      return;
    case 'huge':
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(`{"access_token":"${'x'.repeat(10 * 1024 * 1024)}","token_type":"Bearer"}`);
      return;
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy login</html>');
      return;
    case 'ok':
      issued += 1;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ access_token: `app-access-${issued}`, token_type: 'Bearer', expires_in: 3600 }));
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, token_endpoint: `${issuer}/token` }));
      return;
    }
    req.resume();
    req.on('end', () => fault(res));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const timer of timers) clearInterval(timer);
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('token endpoint faults, seen from a page', () => {
  let device: MailOAuth;

  it('no fault makes the token Invalid; memory stays bounded; Acquired and renewed once the endpoint recovers', async () => {
    const provider = oidc({
      id: 'corp',
      issuer,
      clientId: 'printer',
      clientSecret: 'test-only-secret',
      scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' },
      http: { timeoutMs: 500 },
    });
    device = await createMailOAuth({ providers: [provider] });
    const page = device.page('smtp.alert');
    await page.configure({ authMethod: 'oauth2', provider: 'corp', account: 'scanner@example.test' });
    await page.getToken({ flow: 'client-credentials' });
    const first = await page.accessToken();
    expect(first).toBe('app-access-1');

    const baseline = process.memoryUsage().rss;
    const seen: Record<string, string> = {};
    for (const next of ['500', '503', 'reset', 'hang', 'drip', 'malformed', 'huge', 'html'] as const) {
      mode = next;
      const error = await page.renewRejectedToken(first).catch((err: unknown) => err);
      expect(error, next).toMatchObject({ code: 'ERR_TOKEN_REFRESH_UNAVAILABLE', kind: 'transient' });
      seen[next] = (error as { params: { reason: string } }).params.reason;
      expect(page.status, next).toBe('acquired');
      // The old token is still served to ordinary callers while it is valid.
      expect(await page.accessToken()).toBe(first);
    }
    for (const timer of timers) clearInterval(timer);
    expect(seen).toEqual({
      '500': 'ERR_OAUTH',
      '503': 'ERR_HTTP',
      reset: 'ERR_HTTP',
      hang: 'ERR_HTTP_TIMEOUT',
      drip: 'ERR_HTTP_TIMEOUT',
      malformed: 'ERR_PROTOCOL',
      huge: 'ERR_HTTP_BODY_TOO_LARGE',
      html: 'ERR_PROTOCOL',
    });
    expect(process.memoryUsage().rss - baseline).toBeLessThan(64 * 1024 * 1024);

    mode = 'ok';
    const renewed = await page.renewRejectedToken(first);
    expect(renewed).not.toBe(first);
    expect(page.status).toBe('acquired');
    await device.close();
  });
});
