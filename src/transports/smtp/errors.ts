/**
 * One place that turns nodemailer's failures (`EAUTH`, `ECONNECTION`, `ETIMEDOUT`, `ETLS`,
 * `EPROTOCOL`, `EENVELOPE`, `EMESSAGE`, `EABORT`, … with the server's reply) into coded errors.
 * @internal
 * @packageDocumentation
 */
import { MailOAuthError, SettingsError, TransportError, UsageError } from '../../errors.js';
import { toTransportError, type Redactor } from '../net.js';

const CARRIED = Symbol('mail-oauth.coded');

/**
 * Wraps a coded error so that it survives nodemailer's error path: nodemailer rewrites the
 * `code` and appends the server reply to the message of whatever a custom AUTH handler throws.
 * @internal
 */
export function carry(err: unknown): Error {
  return Object.assign(new Error('authentication failed'), { [CARRIED]: err });
}

interface NodemailerFailure {
  code?: unknown;
  originalCode?: unknown;
  response?: unknown;
  responseCode?: unknown;
  command?: unknown;
  message?: unknown;
  timeoutType?: unknown;
}

/** The last line of a (possibly multi-line) reply, redacted and bounded. */
function replyLine(response: unknown, redactor: Redactor): string | undefined {
  if (typeof response !== 'string' || response.length === 0) return undefined;
  const last =
    response
      .replace(/\r/g, '')
      .split('\n')
      .filter((l) => l.length > 0)
      .at(-1) ?? '';
  return redactor.redact(last).slice(0, 200);
}

/** Nodemailer's failure with its message and reply redacted, safe to keep as a `cause`. */
function scrubbed(err: unknown, redactor: Redactor): unknown {
  if (typeof err !== 'object' || err === null) return err;
  const record = err as { message?: unknown; response?: unknown };
  if (typeof record.message === 'string') record.message = redactor.redact(record.message);
  if (typeof record.response === 'string') record.response = redactor.redact(record.response);
  return err;
}

/** What the connection knows when it maps a failure. @internal */
export interface FailureContext {
  /** Secrets handed out on this transport (tokens, SASL payloads, the password). */
  redactor: Redactor;
  /** Set when our reply watchdog cut a stalled server off. */
  stalled: boolean;
  /** The `SIZE` limit the server advertised, when it did. */
  sizeLimit: number | undefined;
}

function tooLarge(limit: number | undefined, cause: unknown, response?: string): MailOAuthError {
  const params: Record<string, string> = limit === undefined ? {} : { limit: String(limit) };
  return new TransportError(
    'ERR_MESSAGE_TOO_LARGE',
    `The message is larger than the SMTP server accepts${limit === undefined ? '' : ` (${limit} bytes)`}`,
    {
      kind: 'usage',
      params,
      cause,
      ...(response === undefined ? {} : { response }),
    },
  );
}

/**
 * Maps anything nodemailer (or our AUTH handler through it) failed with to a coded error.
 * Already coded errors pass through; nothing secret reaches the message, response or cause.
 * @internal
 */
export function toSmtpError(err: unknown, context: FailureContext): MailOAuthError {
  const carried = (err as { [CARRIED]?: unknown } | null)?.[CARRIED];
  if (carried !== undefined) return carried instanceof MailOAuthError ? carried : toSmtpError(carried, context);
  if (err instanceof MailOAuthError) return err;
  const failure = (err ?? {}) as NodemailerFailure;
  const code = typeof failure.code === 'string' ? failure.code : undefined;
  const cause = scrubbed(err, context.redactor);
  if (code === 'EABORT') return new UsageError('ERR_ABORTED', 'Sending was aborted', { kind: 'usage', cause });
  if (context.stalled || code === 'ETIMEDOUT') {
    return new TransportError('ERR_MAIL_TIMEOUT', 'The SMTP server did not answer in time', { kind: 'transient', cause });
  }
  const message = typeof failure.message === 'string' ? failure.message : '';
  const response = replyLine(failure.response, context.redactor);
  const responseCode = typeof failure.responseCode === 'number' ? failure.responseCode : undefined;
  const command = typeof failure.command === 'string' ? failure.command : '';
  // nodemailer refuses a message above the advertised SIZE before MAIL FROM; a server may also
  // refuse MAIL FROM … SIZE= or the data itself with 552 (RFC 1870 §6.1).
  if (code === 'EMESSAGE' && /larger than allowed/i.test(message)) {
    return tooLarge(Number(/(\d+)\s*$/.exec(message)?.[1]) || context.sizeLimit, cause);
  }
  if (responseCode === 552 || (response !== undefined && /\b5\.3\.4\b/.test(response))) return tooLarge(context.sizeLimit, cause, response);
  if (code === 'ETLS') {
    // A server that does not do STARTTLS answers the command with an error reply; a failed
    // handshake (untrusted certificate, wrong name) has none.
    if (command === 'STARTTLS' && responseCode !== undefined) {
      return new TransportError('ERR_TLS_REQUIRED', 'The SMTP server does not offer STARTTLS; refusing to authenticate without TLS', {
        kind: 'configuration',
        ...(response === undefined ? {} : { response, responseCode }),
      });
    }
    return new TransportError('ERR_TLS', 'SMTP: TLS failed or the server certificate is not trusted', { kind: 'configuration', cause });
  }
  if (code === 'EAUTH' && responseCode !== undefined) {
    if (responseCode === 538 || responseCode === 530) {
      return new TransportError('ERR_TLS_REQUIRED', 'The SMTP server requires encryption before authentication', {
        kind: 'configuration',
        ...(response === undefined ? {} : { response }),
        responseCode,
      });
    }
    if (response !== undefined && /\b5\.7\.139\b/.test(response)) return authDisabled(response, responseCode);
    return new TransportError('ERR_PASSWORD_REJECTED', 'The SMTP server rejected the account name or password', {
      kind: 'configuration',
      ...(response === undefined ? {} : { response }),
      responseCode,
    });
  }
  if (responseCode !== undefined) {
    return new TransportError('ERR_MAIL_PROTOCOL', `The SMTP server refused ${command || 'the message'}`, {
      kind: responseCode >= 400 && responseCode < 500 ? 'transient' : 'protocol',
      ...(response === undefined ? {} : { response }),
      responseCode,
      cause,
    });
  }
  if (code === 'ESTREAM' || code === 'EFILEACCESS' || code === 'EURLACCESS') {
    return new SettingsError('ERR_INVALID_OPTION', 'An attachment could not be read', { kind: 'usage', cause });
  }
  if (code === 'EDNS') return new TransportError('ERR_DNS', 'SMTP: the server name could not be resolved', { kind: 'transient', cause });
  const original = typeof failure.originalCode === 'string' ? failure.originalCode : undefined;
  if (original !== undefined) return toTransportError(Object.assign(new Error(original), { code: original, cause }), 'SMTP');
  return new TransportError('ERR_CONNECTION', `SMTP: the connection failed or was closed (${code ?? 'unknown'})`, {
    kind: 'transient',
    cause,
  });
}

/** Microsoft's `535 5.7.139`: SMTP AUTH is switched off for the tenant or mailbox, the token is fine. @internal */
export function authDisabled(response: string, responseCode: number): TransportError {
  return new TransportError('ERR_SMTP_AUTH_DISABLED', 'SMTP AUTH (client authentication) is disabled for this tenant or mailbox', {
    kind: 'configuration',
    response,
    responseCode,
    hint: 'Enable Authenticated SMTP (SmtpClientAuthentication) for the mailbox or the tenant in Exchange Online',
  });
}
