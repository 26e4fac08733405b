/**
 * Socket helpers shared by the transports: endpoint resolution, verified TLS (implicit and
 * upgraded), and one place that turns Node's network errors into coded {@link TransportError}s.
 * @internal
 * @packageDocumentation
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { systemClock, type Clock } from '../clock.js';
import { MailOAuthError, TransportError } from '../errors.js';
import type { Protocol, Security, PageSettings } from '../settings/types.js';
import type { TransportOptions } from './options.js';

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
    throw new MailOAuthError('ERR_NOT_CONFIGURED', `No ${protocol.toUpperCase()} server is configured`, {
      kind: 'configuration',
      params: { field: 'server' },
    });
  }
  const security = settings.security ?? 'tls';
  const port = settings.port ?? DEFAULT_PORTS[protocol][security];
  const timeout = options.timeout ?? settings.timeout ?? DEFAULT_TIMEOUT;
  return { host, port, security, timeout };
}

/** Node's TLS options for a verified connection to `host`. @internal */
export function tlsOptions(host: string, ca: TransportOptions['ca']): tls.ConnectionOptions {
  const options: tls.ConnectionOptions = { rejectUnauthorized: true, minVersion: 'TLSv1.2' };
  if (net.isIP(host) === 0) options.servername = host;
  if (ca !== undefined) {
    const extra = (Array.isArray(ca) ? ca : [ca]) as Array<string | Buffer>;
    options.ca = [...tls.rootCertificates, ...extra];
  }
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
  if (code !== undefined && (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.startsWith('ERR_OSSL'))) {
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
      reject(coded.code === 'ERR_CONNECTION' ? new TransportError('ERR_TLS', `TLS upgrade failed (${errno(err) ?? 'closed'})`, { kind: 'configuration', cause: err }) : coded);
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

/** Replaces every occurrence of the given secrets in a text. @internal */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('/* secret */');
  }
  return out;
}

/**
 * Redacts secrets from a failure a mail library produced (its message and the server reply it
 * carries, along its `previous`/`cause` chain), in place. A server that echoes the AUTH line in
 * its error reply must not carry the token into an error the integrator logs.
 * @internal
 */
export function scrubError(err: unknown, secrets: Iterable<string>): void {
  const list = [...secrets];
  let current = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const record = current as { message?: unknown; smtp?: unknown; previous?: unknown; cause?: unknown };
    if (typeof record.message === 'string') record.message = redact(record.message, list);
    if (typeof record.smtp === 'string') record.smtp = redact(record.smtp, list);
    current = record.previous ?? record.cause;
  }
}
