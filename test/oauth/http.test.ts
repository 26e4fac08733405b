import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MailOAuthError } from '../../src/errors.js';
import { httpRequest, parseRetryAfter } from '../../src/oauth/http.js';
import { refreshTokenGrant } from '../../src/oauth/refresh.js';
import type { TokenSet } from '../../src/oauth/types.js';
import { grantContext } from './context.js';

/** A token endpoint on 127.0.0.1 whose behaviour each test chooses. */
type Fault = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let url: string;
let fault: Fault;
let bytesWritten = 0;

const GOOD: Fault = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ access_token: 'fresh-access', token_type: 'Bearer', expires_in: 3600 }));
};

const held: TokenSet = { accessToken: 'old-access', refreshToken: 'old-refresh', tokenType: 'Bearer', expiresAt: 0, flow: 'device-code' };
const client = { method: 'none', clientId: 'device' } as const;

async function refreshError(timeoutMs = 2_000, maxBodyBytes?: number): Promise<MailOAuthError> {
  const err = await refreshTokenGrant(url, client, held, grantContext(), {
    timeoutMs,
    ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
  }).then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  if (!(err instanceof MailOAuthError)) throw err;
  return err;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => fault(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  fault = GOOD;
  bytesWritten = 0;
});

describe('fault injection on the token endpoint', () => {
  it.each([500, 503, 502])('HTTP %i without an OAuth body is a transient ERR_HTTP', async (status) => {
    fault = (_req, res) => {
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end('<h1>oops</h1>');
    };
    const err = await refreshError();
    expect(err.code).toBe('ERR_HTTP');
    expect(err.kind).toBe('transient');
    expect(err).toMatchObject({ responseCode: status });
  });

  it('503 with Retry-After keeps the wait', async () => {
    fault = (_req, res) => {
      res.writeHead(503, { 'retry-after': '7' });
      res.end();
    };
    const err = await refreshError();
    expect(err.kind).toBe('transient');
    expect(err.retryAfterMs).toBe(7_000);
  });

  it('a connection reset is a transient ERR_HTTP', async () => {
    fault = (req) => req.socket.destroy();
    const err = await refreshError();
    expect(err.code).toBe('ERR_HTTP');
    expect(err.kind).toBe('transient');
  });

  it('no answer at all times out (transient ERR_HTTP_TIMEOUT) at the deadline, no hang', async () => {
    fault = () => undefined;
    const started = Date.now();
    const err = await refreshError(300);
    expect(err.code).toBe('ERR_HTTP_TIMEOUT');
    expect(err.kind).toBe('transient');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('a body that drips slowly is cut at the overall deadline', async () => {
    fault = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{');
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), 50);
      res.on('close', () => clearInterval(timer));
    };
    const started = Date.now();
    const err = await refreshError(400);
    expect(err.code).toBe('ERR_HTTP_TIMEOUT');
    expect(err.kind).toBe('transient');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('malformed JSON is a protocol error', async () => {
    fault = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"access_token": "abc", ');
    };
    const err = await refreshError();
    expect(err.code).toBe('ERR_PROTOCOL');
    expect(err.kind).toBe('protocol');
  });

  it('a 200 that is not JSON is a protocol error', async () => {
    fault = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>captive portal</html>');
    };
    const err = await refreshError();
    expect(err.code).toBe('ERR_PROTOCOL');
  });

  it('a 10 MB body (chunked, no length) is refused at the cap without reading it all', async () => {
    fault = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const total = 10 * 1024 * 1024;
      const pump = (): void => {
        while (bytesWritten < total && !res.destroyed) {
          bytesWritten += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!res.destroyed) res.end();
      };
      pump();
    };
    const err = await refreshError(5_000, 256 * 1024);
    expect(err.code).toBe('ERR_HTTP_BODY_TOO_LARGE');
    expect(err.kind).toBe('protocol');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(bytesWritten).toBeLessThan(10 * 1024 * 1024);
  });

  it('a 10 MB body with Content-Length is refused before reading (default 1 MiB cap)', async () => {
    fault = (_req, res) => {
      const body = Buffer.alloc(10 * 1024 * 1024, 0x20);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    };
    const err = await refreshError();
    expect(err.code).toBe('ERR_HTTP_BODY_TOO_LARGE');
    expect(err.kind).toBe('protocol');
  });

  it('after all those faults, the endpoint recovers and the refresh succeeds, keeping the refresh token', async () => {
    const { tokens } = await refreshTokenGrant(url, client, held, grantContext());
    expect(tokens).toMatchObject({ accessToken: 'fresh-access', refreshToken: 'old-refresh', flow: 'device-code' });
  });

  it('an aborted signal cancels the request with ERR_ABORTED', async () => {
    fault = () => undefined;
    const controller = new AbortController();
    const pending = refreshTokenGrant(url, client, held, grantContext({ signal: controller.signal }), { timeoutMs: 5_000 });
    setTimeout(() => controller.abort(), 50);
    const err = await pending.then(
      () => new Error('expected a rejection'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MailOAuthError);
    expect((err as MailOAuthError).code).toBe('ERR_ABORTED');
  });

  it('sends the refresh grant as a form with the client id', async () => {
    let seen = '';
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen = Buffer.concat(chunks).toString();
        GOOD(req, res);
      });
    });
    await refreshTokenGrant(url, client, held, grantContext(), { scope: 'mail offline_access' });
    expect(Object.fromEntries(new URLSearchParams(seen))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'old-refresh',
      scope: 'mail offline_access',
      client_id: 'device',
    });
  });
});

describe('http guards', () => {
  it('refuses plain HTTP to anything but loopback, before connecting', async () => {
    const err = await httpRequest({ method: 'GET', url: 'http://login.example.com/token' }).then(
      () => new Error('expected a rejection'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MailOAuthError);
    expect((err as MailOAuthError).code).toBe('ERR_INVALID_OPTION');
    expect((err as MailOAuthError).kind).toBe('usage');
  });

  it('a refused connection is a transient ERR_HTTP', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const err = await httpRequest({ method: 'GET', url: `http://127.0.0.1:${port}/` }).then(
      () => new Error('expected a rejection'),
      (e: unknown) => e,
    );
    expect((err as MailOAuthError).code).toBe('ERR_HTTP');
    expect((err as MailOAuthError).kind).toBe('transient');
  });
});

describe('Retry-After and back-off', () => {
  it('reads delta seconds and HTTP dates, ignores garbage', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('999999999', now)).toBe(24 * 3600 * 1000);
  });
});
