/**
 * The one place mail-oauth talks HTTP: undici with an injectable dispatcher, an overall deadline
 * and an abort signal on every request, a response-size cap, strict JSON, and transport failures
 * normalised into coded {@link TransportError}s.
 * @packageDocumentation
 */
import type { Dispatcher } from 'undici';
import { MailOAuthError, SettingsError, TransportError, UsageError } from '../errors.js';
import type { ErrorCode, ErrorKind } from '../errors.js';
import { loadUndici } from '../lib/lazy.js';

/** Default overall deadline of one HTTP exchange (connect, headers and body): 30 000 ms. */
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;

/** Default cap on a response body: 1 MiB. A token response is a few kilobytes. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Options of every HTTP exchange. */
export interface HttpOptions {
  /** The undici dispatcher (proxy agent, agent with a custom CA, MockAgent). Default: undici's global dispatcher. */
  dispatcher?: Dispatcher | undefined;
  /** Aborts the exchange (the token scope left the state that started it). */
  signal?: AbortSignal | undefined;
  /** Overall deadline in milliseconds, body included. Default {@link DEFAULT_HTTP_TIMEOUT_MS}. */
  timeoutMs?: number | undefined;
  /** Largest accepted body in bytes. Default {@link DEFAULT_MAX_BODY_BYTES}. */
  maxBodyBytes?: number | undefined;
  /** Current time in milliseconds since the epoch, for `Retry-After` dates. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/** What one request sends. */
export interface HttpRequest {
  /** `GET` or `POST`. */
  method: 'GET' | 'POST';
  /** Absolute URL. `https:`, or `http:` on a loopback address only. */
  url: string;
  /** Request headers. */
  headers?: Record<string, string>;
  /** Request body (already encoded). */
  body?: string;
}

/** A complete response, body read within the size cap. */
export interface HttpResponse {
  /** HTTP status code. */
  status: number;
  /** Response headers, lower-case names; repeated headers joined with `, `. */
  headers: Readonly<Record<string, string>>;
  /** The body as UTF-8 text. */
  text: string;
  /** The server's `Retry-After`, in milliseconds from now, when it sent a valid one. */
  retryAfterMs: number | undefined;
}

/**
 * Sends one HTTP request and reads the whole response within the deadline and the size cap.
 * Any failure is a {@link MailOAuthError}: `ERR_HTTP_TIMEOUT`, `ERR_HTTP`, `ERR_DNS` (transient),
 * `ERR_TLS` (configuration), `ERR_HTTP_BODY_TOO_LARGE` (protocol), `ERR_ABORTED`
 * when `signal` aborted it. HTTP error statuses are returned, not thrown.
 *
 * @example
 * ```ts
 * const res = await httpRequest({ method: 'GET', url: 'https://login.example.com/.well-known/openid-configuration' },
 *   { dispatcher, signal, timeoutMs: 10_000 });
 * const metadata = parseJsonObject(res, 'discovery document');
 * ```
 */
export async function httpRequest(req: HttpRequest, options: HttpOptions = {}): Promise<HttpResponse> {
  const url = assertAllowedUrl(req.url);
  const where = `${url.origin}${url.pathname}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const outer = options.signal;
  if (outer?.aborted) throw cancelled(where, outer.reason);
  // Loaded before the deadline starts: the deadline is the provider's, not the local module load's.
  const { request } = await loadUndici();
  if (outer?.aborted) throw cancelled(where, outer.reason);

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('deadline'));
  }, timeoutMs);
  timer.unref?.();
  const onAbort = (): void => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });

  try {
    const res = await request(url, {
      method: req.method,
      headers: req.headers ?? {},
      body: req.body ?? null,
      signal: controller.signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
    });
    const headers = flattenHeaders(res.headers);
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBodyBytes) {
      res.body.destroy();
      throw tooLarge(where, maxBodyBytes, res.statusCode);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > maxBodyBytes) {
        res.body.destroy();
        throw tooLarge(where, maxBodyBytes, res.statusCode);
      }
      chunks.push(buf);
    }
    const now = options.now ?? Date.now;
    return {
      status: res.statusCode,
      headers,
      text: Buffer.concat(chunks).toString('utf8'),
      retryAfterMs: parseRetryAfter(headers['retry-after'], now()),
    };
  } catch (err) {
    if (err instanceof MailOAuthError) throw err;
    if (timedOut) {
      throw new TransportError('ERR_HTTP_TIMEOUT', `No complete answer from ${where} within ${timeoutMs} ms`, {
        kind: 'transient',
        cause: err,
      });
    }
    if (outer?.aborted) throw cancelled(where, outer.reason);
    throw normaliseNetworkError(err, where);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
  }
}

/**
 * Parses a response body as one JSON object. Anything else — another content type, malformed
 * JSON, an array — is the server breaking the protocol: `ERR_PROTOCOL`, kind `protocol`.
 *
 * @example
 * ```ts
 * const json = parseJsonObject(await httpRequest({ method: 'GET', url }), 'JWKS');
 * ```
 */
export function parseJsonObject(res: HttpResponse, what: string): Record<string, unknown> {
  const type = res.headers['content-type'] ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type.trim())) {
    // A header may echo what was sent; only a plain media type is worth naming.
    const media = (type.split(';', 1)[0] ?? '').trim();
    const shown = /^[\w.+-]{1,30}\/[\w.+-]{1,30}$/.test(media) ? media : '…';
    throw protocolError(`The ${what} is not JSON (HTTP ${res.status}, content type "${shown}")`, res.status);
  }
  let value: unknown;
  try {
    value = JSON.parse(res.text);
  } catch {
    // JSON.parse's message quotes the body, which may echo a sent secret: it is not kept as cause.
    throw protocolError(`The ${what} is malformed JSON (HTTP ${res.status})`, res.status);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw protocolError(`The ${what} is not a JSON object (HTTP ${res.status})`, res.status);
  }
  return value as Record<string, unknown>;
}

/**
 * Reads a `Retry-After` header (delta seconds or an HTTP date) as milliseconds from `nowMs`.
 * Returns `undefined` for a missing or invalid value; caps at 24 hours.
 *
 * @example
 * ```ts
 * parseRetryAfter('120', Date.now()); // 120_000
 * ```
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) {
    ms = Number(trimmed) * 1000;
  } else {
    const date = Date.parse(trimmed);
    if (Number.isNaN(date) || !/[a-z]/i.test(trimmed)) return undefined;
    ms = Math.max(0, date - nowMs);
  }
  return Math.min(ms, 24 * 60 * 60 * 1000);
}

/** Builds a protocol error (`ERR_PROTOCOL`). @internal */
export function protocolError(message: string, status?: number, cause?: unknown): TransportError {
  return new TransportError('ERR_PROTOCOL', message, {
    kind: 'protocol',
    ...(cause === undefined ? {} : { cause }),
    ...(status === undefined ? {} : { responseCode: status }),
  });
}

/** Accepts `https:` anywhere and `http:` on loopback only (RFC 8252; the tests' peers). */
function assertAllowedUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SettingsError('ERR_INVALID_OPTION', 'An endpoint URL is not a valid absolute URL', {});
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost';
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return url;
  throw new SettingsError('ERR_INVALID_OPTION', `Refusing to send OAuth requests to ${url.origin}: HTTPS is required`, {
    params: { option: 'endpoint' },
  });
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function tooLarge(where: string, max: number, status: number): TransportError {
  return new TransportError('ERR_HTTP_BODY_TOO_LARGE', `The answer from ${where} exceeds ${max} bytes`, {
    kind: 'protocol',
    responseCode: status,
  });
}

function cancelled(where: string, reason: unknown): MailOAuthError {
  if (reason instanceof MailOAuthError) return reason;
  return new UsageError('ERR_ABORTED', `The request to ${where} was aborted`, { cause: reason });
}

const TLS_CODES = /^(?:ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_SSL_|HOSTNAME_MISMATCH)/;

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

function normaliseNetworkError(err: unknown, where: string): TransportError {
  const codes = errorCodes(err);
  const first = codes.find((c) => c !== 'UND_ERR_SOCKET') ?? codes[0] ?? 'unknown';
  let code: ErrorCode = 'ERR_HTTP';
  let kind: ErrorKind = 'transient';
  if (
    codes.some(
      (c) => c === 'UND_ERR_HEADERS_TIMEOUT' || c === 'UND_ERR_BODY_TIMEOUT' || c === 'UND_ERR_CONNECT_TIMEOUT' || c === 'ETIMEDOUT',
    )
  ) {
    code = 'ERR_HTTP_TIMEOUT';
  } else if (codes.some((c) => c === 'ENOTFOUND' || c === 'EAI_AGAIN')) {
    code = 'ERR_DNS';
  } else if (codes.some((c) => TLS_CODES.test(c))) {
    code = 'ERR_TLS';
    kind = 'configuration';
  }
  return new TransportError(code, `The request to ${where} failed (${first})`, { kind, cause: err });
}
