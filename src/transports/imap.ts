/**
 * IMAP with OAuth 2.0 on imapflow (loaded on first use): XOAUTH2 or OAUTHBEARER (imapflow picks
 * OAUTHBEARER when offered), verified TLS (implicit or required STARTTLS), and one forced
 * refresh when the server rejects the token.
 * @packageDocumentation
 */
import type { ImapFlow, ImapFlowOptions, Logger as ImapLogger } from 'imapflow';
import { MailOAuthError, SettingsError, TransportError, UsageError } from '../errors.js';
import { resolveLogger } from '../logger.js';
import { buildXOAuth2 } from '../sasl/xoauth2.js';
import type { PageSettings } from '../settings/types.js';
import {
  assertPlaintextAllowed,
  createRedactor,
  errno,
  resolveEndpoint,
  tlsOptions,
  toTransportError,
  type Endpoint,
  type Redactor,
} from './net.js';
import type { TransportOptions } from './options.js';
import type { MailCredentials } from './credentials.js';
import type { TokenSource } from './token-source.js';

/** Options of {@link connectImap}. */
export interface ImapOptions extends TransportOptions {
  /** Extra imapflow options (never `auth`, `tls`, `host`, `port`, `secure`, `doSTARTTLS`, which this SDK sets). */
  imapflow?: Omit<ImapFlowOptions, 'auth' | 'tls' | 'host' | 'port' | 'secure' | 'doSTARTTLS' | 'logger'>;
}

interface ImapFailure {
  authenticationFailed?: boolean;
  serverResponseCode?: string;
  oauthError?: unknown;
  response?: unknown;
  code?: unknown;
}

function imapLogger(options: TransportOptions, secrets: Redactor): ImapLogger | false {
  const logger = resolveLogger(options.logger);
  const line = (entry: unknown): string => {
    const record = (entry ?? {}) as { msg?: unknown; src?: unknown };
    const text = typeof record.msg === 'string' ? record.msg : '';
    return secrets.redact(`imap ${typeof record.src === 'string' ? record.src : ''}: ${text}`);
  };
  const transcript = options.onTranscript;
  return {
    debug: (entry: unknown) => {
      const record = (entry ?? {}) as { src?: unknown; msg?: unknown };
      if (transcript !== undefined && (record.src === 's' || record.src === 'c') && typeof record.msg === 'string') {
        transcript({ direction: record.src === 'c' ? 'client' : 'server', line: secrets.redact(record.msg) });
      }
      logger.debug(line(entry));
    },
    info: (entry: unknown) => logger.debug(line(entry)),
    warn: (entry: unknown) => logger.warn(line(entry)),
    error: (entry: unknown) => logger.error(line(entry)),
  };
}

/** The server's text: imapflow hands over a string, `false` when there was none, or the parsed response before it ran its own lookup. */
function responseText(response: unknown): string | undefined {
  return typeof response === 'string' && response !== '' ? response : undefined;
}

function toImapError(err: unknown, endpoint: Endpoint): MailOAuthError {
  if (err instanceof MailOAuthError) return err;
  const failure = (err ?? {}) as ImapFailure;
  const code = errno(err);
  if (code === 'CONNECT_TIMEOUT' || code === 'ETIMEOUT' || code === 'GREETING_TIMEOUT' || code === 'ETIMEDOUT') {
    return new TransportError('ERR_MAIL_TIMEOUT', `IMAP ${endpoint.host}:${endpoint.port}: timed out (${code})`, {
      kind: 'transient',
      cause: err,
    });
  }
  if (code === 'LineTooLarge' || code === 'LiteralTooLarge' || code === 'ResponseTooLarge' || code === 'TooManyTokens') {
    return new TransportError('ERR_MAIL_LIMIT', `IMAP reply exceeded a limit (${code})`, { kind: 'protocol', cause: err });
  }
  const message = err instanceof Error ? err.message : '';
  if (/STARTTLS/i.test(message) && /not|support|fail|requir/i.test(message)) {
    return new TransportError('ERR_TLS_REQUIRED', 'The IMAP server does not offer STARTTLS; refusing to authenticate without TLS', {
      kind: 'configuration',
      cause: err,
    });
  }
  const coded = toTransportError(err, `IMAP ${endpoint.host}:${endpoint.port}`);
  if (coded.code === 'ERR_CONNECTION' && failure.response !== undefined) {
    const text = responseText(failure.response);
    return new TransportError('ERR_MAIL_PROTOCOL', 'The IMAP server refused a command', {
      kind: 'protocol',
      ...(text === undefined ? {} : { response: text.slice(0, 200) }),
      cause: err,
    });
  }
  return coded;
}

let imapflowModule: Promise<typeof import('imapflow')> | undefined;

/**
 * Connects to the IMAP server of a page's settings and authenticates with the page's token
 * (XOAUTH2, or OAUTHBEARER when the server offers it). When the server rejects the token, one
 * forced refresh and one more attempt follow. imapflow is loaded on the first call.
 *
 * Security `starttls` requires the upgrade (a server without STARTTLS is refused before any
 * authentication); certificates are verified on implicit TLS and after STARTTLS; `none` is
 * refused — before any DNS lookup or connection — unless the host is loopback and
 * `allowPlaintext` is set.
 *
 * @param settings - The page's `server`, `port`, `security`, `timeout`.
 * @param source - The page's token source.
 * @param options - CA, plaintext permission, timeout, logger, extra imapflow options.
 * @returns A connected, authenticated imapflow client; call `logout()` when done.
 * @throws TransportError `ERR_CONNECTION`, `ERR_DNS`, `ERR_TLS`, `ERR_TLS_REQUIRED`,
 * `ERR_AUTH_REJECTED`, `ERR_MAIL_TIMEOUT`, `ERR_MAIL_PROTOCOL`; errors of the token source unchanged.
 *
 * @example
 * ```ts
 * const imap = await connectImap({ server: 'outlook.office365.com', port: 993, security: 'tls' }, source);
 * const lock = await imap.getMailboxLock('INBOX');
 * try { for await (const m of imap.fetch('1:*', { envelope: true })) console.log(m.envelope?.subject); }
 * finally { lock.release(); await imap.logout(); }
 * ```
 */
export async function connectImap(
  settings: PageSettings,
  credentials: TokenSource | MailCredentials,
  options: ImapOptions = {},
): Promise<ImapFlow> {
  const endpoint = resolveEndpoint(settings, 'imap', options);
  assertPlaintextAllowed(endpoint, options, 'IMAP');
  const login = 'method' in credentials ? credentials : ({ method: 'oauth2', source: credentials } as const);
  if (login.method === 'none') {
    throw new SettingsError('ERR_INVALID_AUTH_METHOD', 'An IMAP mailbox cannot be read without signing in', {});
  }
  imapflowModule ??= import('imapflow');
  const { ImapFlow } = await imapflowModule;
  const secrets = createRedactor();

  const attempt = async (auth: ImapFlowOptions['auth']): Promise<{ client: ImapFlow } | { rejected: ImapFailure }> => {
    const tls = tlsOptions(endpoint.host, options.ca);
    const client = new ImapFlow({
      ...options.imapflow,
      host: endpoint.host,
      port: endpoint.port,
      secure: endpoint.security === 'tls',
      doSTARTTLS: endpoint.security === 'starttls' ? true : endpoint.security === 'none' ? false : undefined,
      ...(tls.servername === undefined ? {} : { servername: tls.servername }),
      auth,
      tls,
      logger: imapLogger(options, secrets),
      connectionTimeout: endpoint.timeout,
      greetingTimeout: endpoint.timeout,
      socketTimeout: Math.max(endpoint.timeout, 60_000),
      disableAutoIdle: true,
    });
    client.on('error', () => {
      // surfaced through connect() and command promises
    });
    try {
      await client.connect();
      return { client };
    } catch (err) {
      client.close();
      const failure = (err ?? {}) as ImapFailure;
      if (failure.authenticationFailed === true) return { rejected: failure };
      throw toImapError(err, endpoint);
    }
  };

  if (login.method !== 'oauth2') {
    const password = await login.password();
    // The same input rule as the SASL builders: nothing with CR, LF or NUL reaches the wire.
    if (/[\r\n\0]/.test(login.user) || /[\r\n\0]/.test(password)) {
      throw new UsageError('ERR_SASL_INVALID_INPUT', 'The account name or password contains characters that are not allowed', {});
    }
    secrets.push(password);
    // `login` is IMAP's LOGIN command (the USER/PASS of IMAP); `plain` is SASL PLAIN (RFC 4616).
    const result = await attempt({ user: login.user, pass: password, loginMethod: login.method === 'plain' ? 'AUTH=PLAIN' : 'LOGIN' });
    if ('rejected' in result) {
      const response = responseText(result.rejected.response);
      throw new TransportError('ERR_PASSWORD_REJECTED', 'The IMAP server rejected the account name or password', {
        kind: 'configuration',
        ...(response === undefined ? {} : { response: secrets.redact(response).slice(0, 200) }),
      });
    }
    return result.client;
  }

  const source = login.source;
  const withToken = (token: string): ImapFlowOptions['auth'] => {
    buildXOAuth2(source.user, token); // validates user and token before anything is sent
    secrets.push(token, buildXOAuth2(source.user, token));
    return { user: source.user, accessToken: token };
  };
  let result = await attempt(withToken(await source.accessToken()));
  if ('rejected' in result) {
    resolveLogger(options.logger).info('imap: token rejected, refreshing once');
    result = await attempt(withToken(await source.refreshAfterRejection()));
  }
  if ('rejected' in result) {
    const response = responseText(result.rejected.response);
    throw new TransportError('ERR_AUTH_REJECTED', 'The IMAP server rejected the access token', {
      kind: 'configuration',
      ...(response === undefined ? {} : { response: secrets.redact(response).slice(0, 200) }),
    });
  }
  return result.client;
}

/**
 * Maps anything an imapflow command threw into a coded error (for callers that run commands on
 * the client {@link connectImap} returned).
 *
 * @example
 * ```ts
 * try { await imap.mailboxOpen('INBOX'); } catch (err) { throw imapError(err, settings); }
 * ```
 */
export function imapError(err: unknown, settings: PageSettings): MailOAuthError {
  return toImapError(err, resolveEndpoint(settings, 'imap', {}));
}
