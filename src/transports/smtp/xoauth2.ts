/**
 * XOAUTH2 for nodemailer's SMTP connections, as a custom AUTH handler: we keep the token
 * source's semantics (one forced renewal and one retry when the server rejects the token, on
 * the same connection), Microsoft's `535 5.7.139` as a configuration problem, and coded errors.
 * @internal
 * @packageDocumentation
 */
import type { SMTPConnectionCustomAuthContext, SMTPConnectionCustomAuthResponse } from 'nodemailer/lib/smtp-connection';
import { TransportError } from '../../errors.js';
import { parseSaslErrorChallenge, type SaslErrorChallenge } from '../../sasl/challenge.js';
import { buildXOAuth2 } from '../../sasl/xoauth2.js';
import type { Redactor } from '../net.js';
import type { TokenSource } from '../token-source.js';
import { authDisabled, carry } from './errors.js';

/**
 * The name our handler is registered under. Not `XOAUTH2`: nodemailer only runs a handler
 * named `XOAUTH2` when it also has its own token generator, and otherwise picks the first
 * method the server lists (often `LOGIN`). What goes over the wire is `AUTH XOAUTH2` either way.
 * @internal
 */
export const XOAUTH2_HANDLER = 'MAIL-OAUTH-XOAUTH2';

type Outcome =
  { ok: true } | { ok: false; response: string | undefined; responseCode: number | undefined; challenge: SaslErrorChallenge | undefined };

function lastLine(reply: SMTPConnectionCustomAuthResponse, redactor: Redactor): string {
  const line =
    reply.response
      .replace(/\r/g, '')
      .split('\n')
      .filter((l) => l.length > 0)
      .at(-1) ?? '';
  return redactor.redact(line).slice(0, 200);
}

async function attempt(ctx: SMTPConnectionCustomAuthContext, user: string, token: string, redactor: Redactor): Promise<Outcome> {
  const payload = buildXOAuth2(user, token); // refuses CR, LF and \x01 before anything is sent
  redactor.push(token);
  redactor.push(payload);
  let reply = await ctx.sendCommand(`AUTH XOAUTH2 ${payload}`);
  if (reply.status === 235) return { ok: true };
  let challenge: SaslErrorChallenge | undefined;
  if (reply.status === 334) {
    // The token was refused with a JSON challenge (Gmail, Dovecot): an empty line ends the exchange.
    challenge = parseSaslErrorChallenge(reply.text);
    reply = await ctx.sendCommand('');
    if (reply.status === 235) return { ok: true };
  }
  const response = lastLine(reply, redactor);
  if (/\b5\.7\.139\b/.test(response)) throw authDisabled(response, reply.status);
  if (reply.status === 538 || reply.status === 530) {
    throw new TransportError('ERR_TLS_REQUIRED', 'The SMTP server requires encryption before authentication', {
      kind: 'configuration',
      response,
      responseCode: reply.status,
    });
  }
  if ([535, 534, 501, 500, 504].includes(reply.status) || challenge !== undefined) {
    return { ok: false, response, responseCode: reply.status || undefined, challenge };
  }
  throw new TransportError('ERR_MAIL_PROTOCOL', 'The SMTP server refused AUTH', {
    kind: reply.status >= 400 && reply.status < 500 ? 'transient' : 'protocol',
    response,
    responseCode: reply.status,
  });
}

/**
 * The custom AUTH handler for a token source. Errors leave it wrapped by {@link carry}.
 * @internal
 */
export function xoauth2Handler(source: TokenSource, redactor: Redactor, onRetry: (status: string | undefined) => void) {
  return async (ctx: SMTPConnectionCustomAuthContext): Promise<void> => {
    try {
      let outcome = await attempt(ctx, source.user, await source.accessToken(), redactor);
      if (!outcome.ok) {
        onRetry(outcome.challenge?.status);
        outcome = await attempt(ctx, source.user, await source.refreshAfterRejection(), redactor);
      }
      if (!outcome.ok) {
        throw new TransportError('ERR_AUTH_REJECTED', 'The SMTP server rejected the access token', {
          kind: 'configuration',
          ...(outcome.response === undefined ? {} : { response: outcome.response }),
          ...(outcome.responseCode === undefined ? {} : { responseCode: outcome.responseCode }),
          ...(outcome.challenge?.scope === undefined ? {} : { hint: `Expected scope: ${outcome.challenge.scope}` }),
        });
      }
    } catch (err) {
      throw carry(err);
    }
  };
}
