/**
 * Socket helpers shared by the transports: endpoint resolution, verified TLS (implicit and
 * upgraded), and one place that turns Node's network errors into coded {@link TransportError}s.
 * @internal
 * @packageDocumentation
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { systemClock, type Clock } from '../clock.js';
import { MailOAuthError, TokenStateError, TransportError } from '../errors.js';
import type { Protocol, Security, PageSettings } from '../settings/types.js';
import type { TransportOptions } from './options.js';
import { trustContext } from './trust.js';

/** A resolved server address. @internal */
export interface Endpoint {
  host: string;
  port: number;
  security: Security;
  timeout: number;
}

const DEFAULT_PORTS: Record<Protocol, Record<Security, number>> = {
  smtp: { tls: 465, starttls: 587, none: 25 },
  pop3: { tls: 995, starttls: 110, none: 110 },
  imap: { tls: 993, starttls: 143, none: 143 },
};

/** Default connection/reply timeout in milliseconds. @internal */
export const DEFAULT_TIMEOUT = 30_000;

/** Reads server, port, security and timeout from a page's settings. @internal */
export function resolveEndpoint(settings: PageSettings, protocol: Protocol, options: TransportOptions): Endpoint {
  const host = settings.server?.trim();
  if (host === undefined || host.length === 0) {
    throw new TokenStateError('ERR_NOT_CONFIGURED', `No ${protocol.toUpperCase()} server is configured`, {
      params: { field: 'server' },
    });
  }
  const security = settings.security ?? 'tls';
  const port = settings.port ?? DEFAULT_PORTS[protocol][security];
  const timeout = options.timeout ?? settings.timeout ?? DEFAULT_TIMEOUT;
  return { host, port, security, timeout };
}

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether `host` names the local machine: an address in 127.0.0.0/8, `::1` (also written out
 * or IPv4-mapped, with or without brackets) or the name `localhost`. Decided from the text alone,
 * without a DNS lookup. @internal
 */
export function isLoopbackHost(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name === 'localhost.') return true;
  const family = net.isIP(name);
  return family !== 0 && LOOPBACK.check(name, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Whether a token may be sent over an unencrypted connection to this endpoint: only with
 * security `none`, `allowPlaintext` set, and a loopback host. Required TLS (`tls`, `starttls`)
 * is never relaxed (RFC 3207 §4, RFC 2595 §2.2, RFC 8314). @internal
 */
export function plaintextAllowed(
  endpoint: Pick<Endpoint, 'host' | 'security'>,
  options: Pick<TransportOptions, 'allowPlaintext'>,
): boolean {
  return endpoint.security === 'none' && options.allowPlaintext === true && isLoopbackHost(endpoint.host);
}

/**
 * Refuses an endpoint with security `none` unless {@link plaintextAllowed}; call it before
 * connecting, so that a refused host is never looked up or contacted. Endpoints with `tls` or
 * `starttls` pass (the transport must then get TLS or fail).
 * @throws TransportError `ERR_TLS_REQUIRED`.
 * @internal
 */
export function assertPlaintextAllowed(
  endpoint: Pick<Endpoint, 'host' | 'security'>,
  options: Pick<TransportOptions, 'allowPlaintext'>,
  protocol: string,
): void {
  if (endpoint.security !== 'none' || plaintextAllowed(endpoint, options)) return;
  throw plaintextRefused(endpoint, options, protocol);
}

/** The error for a secret (`what`: "a token", "a password") that would travel unencrypted. @internal */
export function plaintextRefused(
  endpoint: Pick<Endpoint, 'host' | 'security'>,
  options: Pick<TransportOptions, 'allowPlaintext'>,
  protocol: string,
  what = 'a token',
): TransportError {
  if (endpoint.security === 'none' && options.allowPlaintext === true && !isLoopbackHost(endpoint.host)) {
    return new TransportError(
      'ERR_TLS_REQUIRED',
      `Refusing an unencrypted ${protocol} connection to ${endpoint.host}: allowPlaintext applies to loopback hosts only`,
      { kind: 'configuration', hint: "Set security to 'tls' or 'starttls'" },
    );
  }
  return new TransportError('ERR_TLS_REQUIRED', `Refusing to send ${what} over an unencrypted ${protocol} connection`, {
    kind: 'configuration',
    hint: "Set security to 'tls' or 'starttls'",
  });
}

/** Node's TLS options for a verified connection to `host`. @internal */
export function tlsOptions(host: string, ca: TransportOptions['ca']): tls.ConnectionOptions {
  const options: tls.ConnectionOptions = { rejectUnauthorized: true, minVersion: 'TLSv1.2' };
  if (net.isIP(host) === 0) options.servername = host;
  // Built once per CA value and shared, not re-parsed (~150 roots) on every connection.
  const context = trustContext(ca);
  if (context !== undefined) options.secureContext = context;
  return options;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT']);
const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'HOSTNAME_MISMATCH',
  'EPROTO',
]);

/** The error's `code`, if it has one. @internal */
export function errno(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Turns anything a socket, TLS or a mail library threw into a coded error. Already coded
 * {@link MailOAuthError}s pass through unchanged.
 * @internal
 */
export function toTransportError(err: unknown, where: string): MailOAuthError {
  if (err instanceof MailOAuthError) return err;
  const code = errno(err);
  const detail = code ?? (err instanceof Error ? err.name : 'unknown');
  if (code !== undefined && DNS_CODES.has(code)) {
    return new TransportError('ERR_DNS', `${where}: the server name could not be resolved (${code})`, { kind: 'transient', cause: err });
  }
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new TransportError('ERR_MAIL_TIMEOUT', `${where}: timed out (${code})`, { kind: 'transient', cause: err });
  }
  if (
    code !== undefined &&
    (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.startsWith('ERR_OSSL'))
  ) {
    return new TransportError('ERR_TLS', `${where}: TLS failed or the server certificate is not trusted (${code})`, {
      kind: 'configuration',
      cause: err,
    });
  }
  return new TransportError('ERR_CONNECTION', `${where}: connection failed (${detail})`, { kind: 'transient', cause: err });
}

/** A timeout error. @internal */
export function timeoutError(what: string, ms: number): TransportError {
  return new TransportError('ERR_MAIL_TIMEOUT', `${what} timed out after ${ms} ms`, { kind: 'transient' });
}

/**
 * Opens a TCP or implicit-TLS connection with a connect timeout; the promise resolves once the
 * connection (and handshake, with a verified certificate) is complete.
 * @internal
 */
export function openSocket(
  endpoint: Endpoint,
  implicitTls: boolean,
  ca: TransportOptions['ca'],
  clock: Clock = systemClock,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = implicitTls
      ? tls.connect({ ...tlsOptions(endpoint.host, ca), host: endpoint.host, port: endpoint.port })
      : net.connect({ host: endpoint.host, port: endpoint.port });
    const timer = clock.setTimeout(() => {
      socket.destroy();
      reject(timeoutError(`Connecting to ${endpoint.host}:${endpoint.port}`, endpoint.timeout));
    }, endpoint.timeout);
    const onError = (err: unknown): void => {
      clock.clearTimeout(timer);
      socket.destroy();
      reject(toTransportError(err, `${endpoint.host}:${endpoint.port}`));
    };
    socket.once('error', onError);
    socket.once(implicitTls ? 'secureConnect' : 'connect', () => {
      clock.clearTimeout(timer);
      socket.removeListener('error', onError);
      // Line protocols end each command with a short write; Nagle would hold it back until the
      // peer's delayed ACK (up to 200 ms per command). Set on the TCP socket, it survives STARTTLS.
      socket.setNoDelay(true);
      if (socket instanceof tls.TLSSocket && !socket.authorized) {
        socket.destroy();
        reject(untrusted(socket));
        return;
      }
      resolve(socket);
    });
  });
}

function untrusted(socket: tls.TLSSocket): TransportError {
  const reason = socket.authorizationError;
  const text = reason instanceof Error ? (errno(reason) ?? reason.message) : String(reason ?? 'unknown');
  return new TransportError('ERR_TLS', `The server certificate is not trusted (${text})`, { kind: 'configuration' });
}

/**
 * Upgrades a connected plain socket to TLS (STARTTLS/STLS), verifying the certificate chain and
 * the host name before resolving. Nothing may be written to the returned socket before that.
 * @internal
 */
export function upgradeSocket(
  socket: net.Socket,
  endpoint: Endpoint,
  ca: TransportOptions['ca'],
  clock: Clock = systemClock,
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tls.connect({ ...tlsOptions(endpoint.host, ca), socket, host: endpoint.host });
    const timer = clock.setTimeout(() => {
      secure.destroy();
      socket.destroy();
      reject(timeoutError('TLS handshake', endpoint.timeout));
    }, endpoint.timeout);
    const onError = (err: unknown): void => {
      clock.clearTimeout(timer);
      secure.destroy();
      socket.destroy();
      const coded = toTransportError(err, 'TLS upgrade');
      reject(
        coded.code === 'ERR_CONNECTION'
          ? new TransportError('ERR_TLS', `TLS upgrade failed (${errno(err) ?? 'closed'})`, { kind: 'configuration', cause: err })
          : coded,
      );
    };
    secure.once('error', onError);
    secure.once('secureConnect', () => {
      clock.clearTimeout(timer);
      secure.removeListener('error', onError);
      if (!secure.authorized) {
        secure.destroy();
        reject(untrusted(secure));
        return;
      }
      resolve(secure);
    });
  });
}

const REDACTED = '/* secret */';
/** Shortest run of a secret that is redacted wherever it appears (shorter secrets: exact matches only). */
const MIN_FRAGMENT = 16;
/** Longest text scanned; the rest is dropped rather than shown unscanned (status lines are shorter). */
const MAX_SCAN = 64 * 1024;

/**
 * Hides secrets (tokens, SASL payloads) in text a server sent back. Beyond exact matches it
 * redacts every run of at least 16 characters that is part of a secret or of its base64 form
 * (at each of the three byte alignments, so the token inside any SASL payload is covered), also
 * when the run is folded over lines or broken by whitespace. Linear in the text: it looks up
 * each 16-character window in a set built once per secret.
 * @internal
 */
export interface Redactor {
  /** Adds secrets (tokens, passwords, SASL payloads); named like the array it replaces. */
  push(...secrets: string[]): void;
  /** The text with every secret, and every long enough part of one, replaced. */
  redact(text: string): string;
}

/** Creates an empty {@link Redactor}; secrets live only in its closure. @internal */
export function createRedactor(initial: Iterable<string> = []): Redactor {
  const exact: string[] = [];
  const windows = new Set<string>();
  const addWindows = (form: string): void => {
    // Matched against text with whitespace removed, so built the same way.
    const compact = form.replace(/[ \t\r\n]/g, '');
    for (let i = 0; i + MIN_FRAGMENT <= compact.length; i++) windows.add(compact.slice(i, i + MIN_FRAGMENT));
  };
  const addOne = (secret: string): void => {
    if (secret.length < 4 || exact.includes(secret)) return;
    exact.push(secret);
    exact.sort((a, b) => b.length - a.length);
    addWindows(secret);
    const bytes = Buffer.from(secret, 'utf8');
    for (let skip = 0; skip < 3 && skip < bytes.length; skip++) {
      // The last group depends on what follows in the real payload: leave it out.
      const encoded = bytes.subarray(skip).toString('base64').replace(/=+$/, '');
      addWindows(encoded.slice(0, Math.max(0, encoded.length - 4)));
    }
  };
  for (const secret of initial) addOne(secret);
  return {
    push: (...secrets: string[]) => secrets.forEach(addOne),
    redact(text: string): string {
      if (exact.length === 0) return text;
      let out = text.length > MAX_SCAN ? `${text.slice(0, MAX_SCAN)}[${text.length - MAX_SCAN} characters not shown]` : text;
      for (const secret of exact) out = out.split(secret).join(REDACTED);
      return windows.size === 0 ? out : redactWindows(out, windows);
    },
  };
}

/** Replaces every run covered by a window of `windows`, matched with whitespace (folding) removed. */
function redactWindows(text: string, windows: ReadonlySet<string>): string {
  const positions: number[] = [];
  let compact = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) continue;
    positions.push(i);
    compact += text[i];
  }
  const hidden = new Uint8Array(text.length);
  let any = false;
  let markedTo = 0;
  for (let i = 0; i + MIN_FRAGMENT <= compact.length; i++) {
    if (!windows.has(compact.slice(i, i + MIN_FRAGMENT))) continue;
    any = true;
    const last = positions[i + MIN_FRAGMENT - 1] as number;
    for (let p = Math.max(positions[i] as number, markedTo); p <= last; p++) hidden[p] = 1;
    markedTo = last + 1;
  }
  if (!any) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (hidden[i] === 0) out += text[i];
    else if (i === 0 || hidden[i - 1] === 0) out += REDACTED;
  }
  return out;
}

/** Replaces the given secrets, and every long enough part of one, in a text (see {@link Redactor}). @internal */
export function redact(text: string, secrets: Iterable<string>): string {
  return createRedactor(secrets).redact(text);
}

/**
 * Redacts secrets from a failure a mail library produced (its message and the server reply it
 * carries, along its `previous`/`cause` chain), in place. A server that echoes the AUTH line in
 * its error reply must not carry the token into an error the integrator logs.
 * @internal
 */
export function scrubError(err: unknown, secrets: Iterable<string>): void {
  const redactor = createRedactor(secrets);
  let current = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const record = current as { message?: unknown; smtp?: unknown; response?: unknown; previous?: unknown; cause?: unknown };
    if (typeof record.message === 'string') record.message = redactor.redact(record.message);
    if (typeof record.smtp === 'string') record.smtp = redactor.redact(record.smtp);
    if (typeof record.response === 'string') record.response = redactor.redact(record.response);
    current = record.previous ?? record.cause;
  }
}
