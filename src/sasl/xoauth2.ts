import { assertSaslInput } from './input.js';

/**
 * Builds the raw (not yet base64-encoded) XOAUTH2 initial client response:
 * `user=<user>\x01auth=Bearer <token>\x01\x01`.
 *
 * @param user - The mailbox account (SASL user).
 * @param token - The OAuth 2.0 access token.
 * @throws MailOAuthError `ERR_SASL_INVALID_INPUT` when `user` or `token` is empty or contains
 * a control character (CR, LF, `\x01`, …); nothing is built, so nothing can be sent.
 *
 * @example
 * ```ts
 * const raw = buildXOAuth2Raw('scanner@contoso.com', accessToken);
 * ```
 */
export function buildXOAuth2Raw(user: string, token: string): string {
  assertSaslInput('user', user);
  assertSaslInput('token', token);
  return `user=${user}\x01auth=Bearer ${token}\x01\x01`;
}

/**
 * Builds the base64-encoded XOAUTH2 initial client response, ready to put after
 * `AUTH XOAUTH2 ` (SMTP, POP3) or `AUTHENTICATE XOAUTH2 ` (IMAP), or to send alone after the
 * server's empty `+` continuation.
 *
 * @param user - The mailbox account (SASL user).
 * @param token - The OAuth 2.0 access token.
 * @throws MailOAuthError `ERR_SASL_INVALID_INPUT` for an empty value or a control character.
 *
 * @example
 * ```ts
 * socket.write(`AUTH XOAUTH2 ${buildXOAuth2('scanner@contoso.com', accessToken)}\r\n`);
 * ```
 */
export function buildXOAuth2(user: string, token: string): string {
  return Buffer.from(buildXOAuth2Raw(user, token), 'utf8').toString('base64');
}
