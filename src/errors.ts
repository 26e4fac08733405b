/**
 * Every failure mail-oauth reports is a {@link MailOAuthError} with a stable `code`.
 * Switch on `code`, never on `message`: messages are for people and may change; codes are API.
 * @packageDocumentation
 */

/**
 * How a failure should be treated. The token-scope machine only makes a token Invalid on
 * `definite`; everything else leaves a held token as it is.
 *
 * - `definite`: the provider said the grant is dead (`invalid_grant` and kin); re-acquire.
 * - `configuration`: an administrator must change something (app registration, tenant policy, settings).
 * - `transient`: retry later (network, timeout, 5xx, 429).
 * - `protocol`: the peer broke the protocol (malformed reply); treated like transient for a held token.
 * - `usage`: the caller did something the current state does not allow, or passed bad input.
 */
export type ErrorKind = 'definite' | 'configuration' | 'transient' | 'protocol' | 'usage';

/** Stable error codes. New codes may be added in minor releases; existing ones never change meaning. */
export type ErrorCode =
  // settings given to configure()
  | 'ERR_INVALID_HOST'
  | 'ERR_INVALID_PORT'
  | 'ERR_INVALID_TIMEOUT'
  | 'ERR_INVALID_CHECK_INTERVAL'
  | 'ERR_INVALID_SECURITY'
  | 'ERR_INVALID_AUTH_METHOD'
  | 'ERR_INVALID_SENDER_NAME'
  | 'ERR_INVALID_SENDER_ADDRESS'
  | 'ERR_INVALID_ACCOUNT'
  | 'ERR_UNKNOWN_PROVIDER'
  | 'ERR_INVALID_OPTION'
  | 'ERR_SETTINGS_LOCKED_BY_TOKEN'
  | 'ERR_INVALID_PASSWORD'
  // pages and topology
  | 'ERR_UNKNOWN_PAGE'
  | 'ERR_TOPOLOGY_DUPLICATE_PAGE'
  | 'ERR_TOPOLOGY_PAGE_IN_TWO_GROUPS'
  | 'ERR_TOPOLOGY_UNKNOWN_PAGE'
  | 'ERR_TOPOLOGY_MIXED_PROTOCOLS'
  | 'ERR_TOPOLOGY_EMPTY'
  // token lifecycle
  | 'ERR_NOT_CONFIGURED'
  | 'ERR_TOKEN_NOT_ACQUIRED'
  | 'ERR_TOKEN_ALREADY_ACQUIRED'
  | 'ERR_TOKEN_INVALID'
  | 'ERR_TOKEN_REFRESH_FAILED'
  | 'ERR_TOKEN_REFRESH_UNAVAILABLE'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_NO_REFRESH_TOKEN'
  | 'ERR_AUTHORIZATION_NOT_PENDING'
  | 'ERR_AUTHORIZATION_EXPIRED'
  | 'ERR_AUTHORIZATION_DENIED'
  | 'ERR_AUTHORIZATION_CANCELLED'
  | 'ERR_AUTHORIZATION_FAILED'
  | 'ERR_STATE_MISMATCH'
  | 'ERR_INVALID_REDIRECT_URI'
  | 'ERR_ACCOUNT_MISMATCH'
  | 'ERR_FLOW_UNSUPPORTED'
  | 'ERR_DEVICE_CLOSED'
  | 'ERR_TIMEOUT'
  | 'ERR_INTERNAL'
  // OAuth / HTTP
  | 'ERR_OAUTH'
  | 'ERR_HTTP'
  | 'ERR_HTTP_TIMEOUT'
  | 'ERR_HTTP_BODY_TOO_LARGE'
  | 'ERR_PROTOCOL'
  | 'ERR_ID_TOKEN'
  | 'ERR_PROVIDER_METADATA'
  // store
  | 'ERR_STORE_READ'
  | 'ERR_STORE_WRITE'
  | 'ERR_STORE_CORRUPT'
  | 'ERR_STORE_KEY'
  | 'ERR_STORE_LOCKED'
  | 'ERR_STORE_VERSION'
  | 'ERR_STORE_DRIVER'
  // transports
  | 'ERR_SASL_INVALID_INPUT'
  | 'ERR_CONNECTION'
  | 'ERR_DNS'
  | 'ERR_TLS'
  | 'ERR_TLS_REQUIRED'
  | 'ERR_AUTH_REJECTED'
  | 'ERR_PASSWORD_REJECTED'
  | 'ERR_PASSWORD_NOT_SET'
  | 'ERR_SMTP_AUTH_DISABLED'
  | 'ERR_MAIL_PROTOCOL'
  | 'ERR_MAIL_TIMEOUT'
  | 'ERR_MAIL_LIMIT'
  | 'ERR_MESSAGE_TOO_LARGE'
  | 'ERR_ABORTED';

/** Options shared by every {@link MailOAuthError}. */
export interface MailOAuthErrorOptions {
  /** How to treat the failure. Default: `usage`. */
  kind?: ErrorKind;
  /** The underlying error, if any. It is never printed with tokens: callers must not put secrets in it. */
  cause?: unknown;
  /** A short, non-secret hint for the administrator (an AADSTS explanation, a field name). */
  hint?: string;
  /** Values the localized message may interpolate (field names, account names). Never tokens. */
  params?: Readonly<Record<string, string>>;
  /** For transient failures: how long the server asked us to wait, in milliseconds. */
  retryAfterMs?: number;
}

/**
 * Base class of every error mail-oauth throws.
 *
 * @example
 * ```ts
 * try { await page.accessToken(); }
 * catch (err) {
 *   if (err instanceof MailOAuthError && err.code === 'ERR_TOKEN_INVALID') showDeleteHint();
 * }
 * ```
 */
export class MailOAuthError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** How the failure should be treated. */
  readonly kind: ErrorKind;
  /** A short non-secret hint for the administrator, when one is known. */
  readonly hint: string | undefined;
  /** Values for the localized message. */
  readonly params: Readonly<Record<string, string>>;
  /** For transient failures: the server's requested wait in milliseconds, when it gave one. */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: MailOAuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.kind = options.kind ?? 'usage';
    this.hint = options.hint;
    this.params = Object.freeze({ ...options.params });
    this.retryAfterMs = options.retryAfterMs;
  }

  /** A plain, serialisable description (no cause, no secrets). */
  toJSON(): ErrorRecord {
    const record: ErrorRecord = { name: this.name, code: this.code, kind: this.kind, message: this.message };
    if (this.hint !== undefined) record.hint = this.hint;
    if (Object.keys(this.params).length > 0) record.params = { ...this.params };
    if (this.retryAfterMs !== undefined) record.retryAfterMs = this.retryAfterMs;
    return record;
  }
}

/** The serialisable form of an error, as kept in a token scope's state and store record. */
export interface ErrorRecord {
  /** The error class name. */
  name: string;
  /** Stable code. */
  code: ErrorCode;
  /** How it should be treated. */
  kind: ErrorKind;
  /** The English message (non-secret). */
  message: string;
  /** Administrator hint. */
  hint?: string;
  /** Message parameters. */
  params?: Record<string, string>;
  /** Requested wait in milliseconds. */
  retryAfterMs?: number;
}

/** Invalid settings passed to `page.configure()` or an option passed to a factory. */
export class SettingsError extends MailOAuthError {}

/** A page topology that cannot work (a page in two groups, SMTP and POP in one group, …). */
export class TopologyError extends MailOAuthError {}

/** An operation the token's current state does not allow, or a token that cannot be used. */
export class TokenStateError extends MailOAuthError {}

/** The authorization (Get Token) did not complete: denied, expired, forged redirect, wrong account. */
export class AuthorizationError extends MailOAuthError {}

/**
 * A failure reported by an OAuth server, keeping RFC 6749's `error`, `error_description`
 * and `error_uri` as the server sent them.
 */
export class OAuthError extends MailOAuthError {
  /** RFC 6749 `error` value. */
  readonly error: string;
  /** RFC 6749 `error_description`, if sent. */
  readonly errorDescription: string | undefined;
  /** RFC 6749 `error_uri`, if sent. */
  readonly errorUri: string | undefined;
  /** HTTP status of the response. */
  readonly status: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    details: { error: string; errorDescription?: string; errorUri?: string; status?: number },
    options: MailOAuthErrorOptions = {},
  ) {
    super(code, message, options);
    this.error = details.error;
    this.errorDescription = details.errorDescription;
    this.errorUri = details.errorUri;
    this.status = details.status;
  }
}

/** A transport-level failure: HTTP or mail server unreachable, timeout, TLS, malformed reply. */
export class TransportError extends MailOAuthError {
  /** The server's reply line or status, when there was one (never contains tokens). */
  readonly response: string | undefined;
  /** The numeric reply code (SMTP 535, HTTP 503, …), when there was one. */
  readonly responseCode: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: MailOAuthErrorOptions & { response?: string; responseCode?: number } = {},
  ) {
    super(code, message, options);
    this.response = options.response;
    this.responseCode = options.responseCode;
  }
}

/** The token store could not read, decrypt, lock or write its data. */
export class StoreError extends MailOAuthError {}

const classes = {
  MailOAuthError,
  SettingsError,
  TopologyError,
  TokenStateError,
  AuthorizationError,
  OAuthError,
  TransportError,
  StoreError,
} as const;

/**
 * Rebuilds an error from its {@link ErrorRecord} (as kept in a scope's state).
 * @internal
 */
export function errorFromRecord(record: ErrorRecord): MailOAuthError {
  const options: MailOAuthErrorOptions = { kind: record.kind };
  if (record.hint !== undefined) options.hint = record.hint;
  if (record.params !== undefined) options.params = record.params;
  if (record.retryAfterMs !== undefined) options.retryAfterMs = record.retryAfterMs;
  const Class = record.name in classes ? classes[record.name as keyof typeof classes] : MailOAuthError;
  if (Class === OAuthError) {
    return new OAuthError(record.code, record.message, { error: record.params?.error ?? 'unknown' }, options);
  }
  return new (Class as typeof MailOAuthError)(record.code, record.message, options);
}

/**
 * Wraps anything thrown into a {@link MailOAuthError}; unknown failures count as transient so
 * that a bug or a local fault never makes a token Invalid.
 * @internal
 */
export function toMailOAuthError(err: unknown): MailOAuthError {
  if (err instanceof MailOAuthError) return err;
  const name = err instanceof Error ? err.name : typeof err;
  return new MailOAuthError('ERR_INTERNAL', `Unexpected failure (${name})`, { kind: 'transient', cause: err });
}
