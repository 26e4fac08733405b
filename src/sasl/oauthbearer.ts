import { UsageError } from '../errors.js';
import { assertSaslInput } from './input.js';

/** Where the client connects, sent inside an OAUTHBEARER message (RFC 7628 §3.1). */
export interface OAuthBearerOptions {
  /** The server host name the client connected to. Omitted from the message when absent. */
  host?: string;
  /** The server port the client connected to. Omitted from the message when absent. */
  port?: number;
}

/** RFC 5801 saslname: `,` and `=` must be escaped as `=2C` and `=3D`. */
function saslName(user: string): string {
  return user.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/**
 * Builds the raw (not yet base64-encoded) OAUTHBEARER initial client response of RFC 7628:
 * `n,a=<user>,\x01host=<host>\x01port=<port>\x01auth=Bearer <token>\x01\x01`.
 *
 * @param user - The mailbox account; `,` and `=` are escaped as RFC 5801 requires.
 * @param token - The OAuth 2.0 access token.
 * @param options - Host and port of the server (each omitted when absent).
 * @throws MailOAuthError `ERR_SASL_INVALID_INPUT` for an empty value or a control character
 * in the user, token or host, or a port outside 1–65535.
 *
 * @example
 * ```ts
 * const raw = buildOAuthBearerRaw('scanner@contoso.com', accessToken, { host: 'imap.gmail.com', port: 993 });
 * ```
 */
export function buildOAuthBearerRaw(user: string, token: string, options: OAuthBearerOptions = {}): string {
  assertSaslInput('user', user);
  assertSaslInput('token', token);
  let kv = '';
  if (options.host !== undefined) {
    assertSaslInput('host', options.host);
    kv += `host=${options.host}\x01`;
  }
  if (options.port !== undefined) {
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
      throw new UsageError('ERR_SASL_INVALID_INPUT', 'The OAUTHBEARER port is not 1–65535', {
        kind: 'usage',
        params: { field: 'port' },
      });
    }
    kv += `port=${options.port}\x01`;
  }
  return `n,a=${saslName(user)},\x01${kv}auth=Bearer ${token}\x01\x01`;
}

/**
 * Builds the base64-encoded OAUTHBEARER initial client response (RFC 7628).
 *
 * @param user - The mailbox account.
 * @param token - The OAuth 2.0 access token.
 * @param options - Host and port of the server.
 * @throws MailOAuthError `ERR_SASL_INVALID_INPUT` for an empty value or a control character.
 *
 * @example
 * ```ts
 * socket.write(`AUTH OAUTHBEARER ${buildOAuthBearer(user, token, { host, port })}\r\n`);
 * ```
 */
export function buildOAuthBearer(user: string, token: string, options: OAuthBearerOptions = {}): string {
  return Buffer.from(buildOAuthBearerRaw(user, token, options), 'utf8').toString('base64');
}

/**
 * The base64 client response that ends a failed OAUTHBEARER exchange: a single `\x01`
 * (RFC 7628 §3.2.3). XOAUTH2 ends the same way with an empty line instead.
 *
 * @example
 * ```ts
 * if (reply.continuation) socket.write(`${OAUTHBEARER_FAILURE_RESPONSE}\r\n`);
 * ```
 */
export const OAUTHBEARER_FAILURE_RESPONSE = 'AQ==';
