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
 * @category Errors and languages
 */
export type ErrorKind = 'definite' | 'configuration' | 'transient' | 'protocol' | 'usage';

/**
 * Stable error codes. New codes may be added in minor releases; existing ones never change meaning.
 * @category Errors and languages
 */
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
  | 'ERR_MAILBOX_REFUSED'
  | 'ERR_ABORTED';

/** The name of each error class, as `errorTable` names it. */
export type ErrorClassName =
  | 'MailOAuthError'
  | 'UsageError'
  | 'SettingsError'
  | 'TopologyError'
  | 'TokenStateError'
  | 'AuthorizationError'
  | 'OAuthError'
  | 'TransportError'
  | 'StoreError';

/**
 * What a code means, fixed once. `kind` is one kind, or the kinds a peer's answer chooses between
 * (an RFC 6749 `error`, an HTTP or mail reply status); the first is the default. A code's message
 * key in the catalogs is the code itself.
 */
export interface ErrorTableEntry {
  /** The class every error with this code is an instance of. */
  readonly class: ErrorClassName;
  /** The code's kind, or the kinds it may take. */
  readonly kind: ErrorKind | readonly [ErrorKind, ...ErrorKind[]];
}

/**
 * Every code with its class and kind. Errors are only created through it: the constructors
 * refuse (TypeError) a code under another class or with another kind, so a wrong throw site
 * fails its first test instead of reaching a user.
 * @category Errors and languages
 */
export const errorTable = {
  ERR_INVALID_HOST: { class: 'SettingsError', kind: 'usage' },
  ERR_INVALID_PORT: { class: 'SettingsError', kind: 'usage' },
  ERR_INVALID_TIMEOUT: { class: 'SettingsError', kind: 'usage' },
  ERR_INVALID_CHECK_INTERVAL: { class: 'SettingsError', kind: 'usage' },
  ERR_INVALID_SECURITY: { class: 'SettingsError', kind: 'usage' },
  ERR_INVALID_AUTH_METHOD: { class: 'SettingsError', kind: 'usage' },
  ERR_INVALID_SENDER_NAME: { class: 'SettingsError', kind: 'usage' },
  ERR_INVALID_SENDER_ADDRESS: { class: 'SettingsError', kind: 'usage' },
  ERR_INVALID_ACCOUNT: { class: 'SettingsError', kind: 'usage' },
  ERR_UNKNOWN_PROVIDER: { class: 'SettingsError', kind: 'usage' },
  ERR_INVALID_OPTION: { class: 'SettingsError', kind: 'usage' },
  ERR_SETTINGS_LOCKED_BY_TOKEN: { class: 'SettingsError', kind: 'usage' },
  ERR_INVALID_PASSWORD: { class: 'SettingsError', kind: 'usage' },
  ERR_INVALID_REDIRECT_URI: { class: 'SettingsError', kind: 'usage' },
  ERR_UNKNOWN_PAGE: { class: 'SettingsError', kind: 'usage' },
  ERR_PASSWORD_NOT_SET: { class: 'SettingsError', kind: 'configuration' },
  ERR_PROVIDER_METADATA: { class: 'SettingsError', kind: 'configuration' },
  ERR_TOPOLOGY_DUPLICATE_PAGE: { class: 'TopologyError', kind: 'usage' },
  ERR_TOPOLOGY_PAGE_IN_TWO_GROUPS: { class: 'TopologyError', kind: 'usage' },
  ERR_TOPOLOGY_UNKNOWN_PAGE: { class: 'TopologyError', kind: 'usage' },
  ERR_TOPOLOGY_MIXED_PROTOCOLS: { class: 'TopologyError', kind: 'usage' },
  ERR_TOPOLOGY_EMPTY: { class: 'TopologyError', kind: 'usage' },
  ERR_NOT_CONFIGURED: { class: 'TokenStateError', kind: 'usage' },
  ERR_TOKEN_NOT_ACQUIRED: { class: 'TokenStateError', kind: 'usage' },
  ERR_TOKEN_ALREADY_ACQUIRED: { class: 'TokenStateError', kind: 'usage' },
  ERR_AUTHORIZATION_NOT_PENDING: { class: 'TokenStateError', kind: 'usage' },
  ERR_AUTHORIZATION_CANCELLED: { class: 'TokenStateError', kind: 'usage' },
  ERR_TOKEN_INVALID: { class: 'TokenStateError', kind: 'definite' },
  ERR_TOKEN_REFRESH_FAILED: { class: 'TokenStateError', kind: 'definite' },
  ERR_NO_REFRESH_TOKEN: { class: 'TokenStateError', kind: 'definite' },
  ERR_TOKEN_REFRESH_UNAVAILABLE: { class: 'TokenStateError', kind: 'transient' },
  ERR_AUTHORIZATION_FAILED: { class: 'AuthorizationError', kind: 'definite' },
  ERR_ACCOUNT_MISMATCH: { class: 'AuthorizationError', kind: 'definite' },
  ERR_ID_TOKEN: { class: 'AuthorizationError', kind: 'definite' },
  ERR_STATE_MISMATCH: { class: 'AuthorizationError', kind: 'usage' },
  ERR_FLOW_UNSUPPORTED: { class: 'AuthorizationError', kind: 'configuration' },
  ERR_AUTHORIZATION_DENIED: { class: 'OAuthError', kind: 'definite' },
  ERR_AUTHORIZATION_EXPIRED: { class: 'OAuthError', kind: 'definite' },
  ERR_OAUTH: { class: 'OAuthError', kind: ['configuration', 'definite', 'transient', 'protocol'] },
  ERR_DEVICE_CLOSED: { class: 'UsageError', kind: 'usage' },
  ERR_ABORTED: { class: 'UsageError', kind: 'usage' },
  ERR_SASL_INVALID_INPUT: { class: 'UsageError', kind: 'usage' },
  ERR_INTERNAL: { class: 'MailOAuthError', kind: 'transient' },
  ERR_HTTP: { class: 'TransportError', kind: ['transient', 'configuration'] },
  ERR_HTTP_TIMEOUT: { class: 'TransportError', kind: 'transient' },
  ERR_HTTP_BODY_TOO_LARGE: { class: 'TransportError', kind: 'protocol' },
  ERR_PROTOCOL: { class: 'TransportError', kind: 'protocol' },
  ERR_CONNECTION: { class: 'TransportError', kind: ['transient', 'configuration', 'usage'] },
  ERR_DNS: { class: 'TransportError', kind: 'transient' },
  ERR_TLS: { class: 'TransportError', kind: ['configuration', 'protocol'] },
  ERR_TLS_REQUIRED: { class: 'TransportError', kind: 'configuration' },
  ERR_AUTH_REJECTED: { class: 'TransportError', kind: 'configuration' },
  ERR_PASSWORD_REJECTED: { class: 'TransportError', kind: 'configuration' },
  ERR_SMTP_AUTH_DISABLED: { class: 'TransportError', kind: 'configuration' },
  ERR_MAILBOX_REFUSED: { class: 'TransportError', kind: 'configuration' },
  ERR_MAIL_PROTOCOL: { class: 'TransportError', kind: ['protocol', 'transient'] },
  ERR_MAIL_TIMEOUT: { class: 'TransportError', kind: 'transient' },
  ERR_MAIL_LIMIT: { class: 'TransportError', kind: 'protocol' },
  ERR_MESSAGE_TOO_LARGE: { class: 'TransportError', kind: 'usage' },
  // A database the store cannot use as configured (no such database, bad credentials) is the administrator's.
  ERR_STORE_READ: { class: 'StoreError', kind: ['transient', 'configuration'] },
  ERR_STORE_WRITE: { class: 'StoreError', kind: ['transient', 'usage', 'configuration'] },
  ERR_STORE_CORRUPT: { class: 'StoreError', kind: 'configuration' },
  ERR_STORE_KEY: { class: 'StoreError', kind: ['configuration', 'transient'] },
  ERR_STORE_LOCKED: { class: 'StoreError', kind: 'transient' },
  ERR_STORE_VERSION: { class: 'StoreError', kind: 'configuration' },
  ERR_STORE_DRIVER: { class: 'StoreError', kind: 'configuration' },
} as const satisfies Record<ErrorCode, ErrorTableEntry>;

/** The kinds a code may take; the first is its default. @internal */
export function kindsOf(code: ErrorCode): readonly ErrorKind[] {
  const entry: ErrorTableEntry | undefined = Object.hasOwn(errorTable, code) ? errorTable[code] : undefined;
  if (entry === undefined) return [];
  return typeof entry.kind === 'string' ? [entry.kind] : entry.kind;
}

// Compares constructors, not names: bundlers may rename classes.
function checkedKind(code: ErrorCode, target: abstract new (...args: never[]) => MailOAuthError, kind: ErrorKind | undefined): ErrorKind {
  const entry: ErrorTableEntry | undefined = Object.hasOwn(errorTable, code) ? errorTable[code] : undefined;
  if (entry === undefined) throw new TypeError(`Unknown error code ${String(code)}`);
  if (classes[entry.class] !== target) throw new TypeError(`${code} is a ${entry.class}, not a ${target.name}`);
  const kinds = kindsOf(code);
  if (kind !== undefined && !kinds.includes(kind)) throw new TypeError(`${code} is of kind ${kinds.join(' or ')}, not ${kind}`);
  return kind ?? (kinds[0] as ErrorKind);
}

/**
 * Options shared by every {@link MailOAuthError}.
 * @category Errors and languages
 */
export interface MailOAuthErrorOptions {
  /**
   * How to treat the failure. Default: the code's kind in `errorTable`. Only codes whose
   * table entry lists several kinds accept one here; any other kind is a TypeError.
   */
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
 * @category Errors and languages
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

  /** @throws TypeError when `code` belongs to another class or `options.kind` is not the code's kind (see `errorTable`). */
  constructor(code: ErrorCode, message: string, options: MailOAuthErrorOptions = {}) {
    const kind = checkedKind(code, new.target, options.kind);
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.kind = kind;
    this.hint = options.hint;
    this.params = Object.freeze({ ...options.params });
    this.retryAfterMs = options.retryAfterMs;
  }

  /** A plain, serialisable description (no cause, no secrets). @internal — its shape is the store's record format. */
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

/**
 * A caller's mistake that is not a setting: a call after `close()`, an aborted call, input a
 * SASL builder refuses. Retrying the same call cannot succeed.
 * @category Errors and languages
 */
export class UsageError extends MailOAuthError {}

/**
 * Invalid settings passed to `page.configure()` or an option passed to a factory.
 * @category Errors and languages
 */
export class SettingsError extends MailOAuthError {}

/**
 * A page topology that cannot work (a page in two groups, SMTP and POP in one group, …).
 * @category Errors and languages
 */
export class TopologyError extends MailOAuthError {}

/**
 * An operation the token's current state does not allow, or a token that cannot be used.
 * @category Errors and languages
 */
export class TokenStateError extends MailOAuthError {}

/**
 * The authorization (Get Token) did not complete: denied, expired, forged redirect, wrong account.
 * @category Errors and languages
 */
export class AuthorizationError extends MailOAuthError {}

/**
 * A failure reported by an OAuth server, keeping RFC 6749's `error`, `error_description`
 * and `error_uri` as the server sent them.
 * @category Errors and languages
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

/**
 * A transport-level failure: HTTP or mail server unreachable, timeout, TLS, malformed reply.
 * @category Errors and languages
 */
export class TransportError extends MailOAuthError {
  /** The server's reply line or status, when there was one (never contains tokens). */
  readonly response: string | undefined;
  /** The numeric reply code (SMTP 535, HTTP 503, …), when there was one. */
  readonly responseCode: number | undefined;

  constructor(code: ErrorCode, message: string, options: MailOAuthErrorOptions & { response?: string; responseCode?: number } = {}) {
    super(code, message, options);
    this.response = options.response;
    this.responseCode = options.responseCode;
  }
}

/**
 * The token store could not read, decrypt, lock or write its data.
 * @category Errors and languages
 */
export class StoreError extends MailOAuthError {}

const classes = {
  MailOAuthError,
  UsageError,
  SettingsError,
  TopologyError,
  TokenStateError,
  AuthorizationError,
  OAuthError,
  TransportError,
  StoreError,
} as const;

/**
 * Creates the error for `code` with the class `errorTable` gives it. An `OAuthError`
 * created here carries the `error` parameter (or `unknown`) as its RFC 6749 `error`.
 *
 * @example
 * ```ts
 * throw createError('ERR_ABORTED', 'The connection test was aborted');
 * ```
 */
export function createError(code: ErrorCode, message: string, options: MailOAuthErrorOptions = {}): MailOAuthError {
  const Class = classes[errorTable[code].class];
  if (Class === OAuthError) return new OAuthError(code, message, { error: options.params?.error ?? 'unknown' }, options);
  return new (Class as typeof MailOAuthError)(code, message, options);
}

/**
 * Rebuilds an error from its {@link ErrorRecord} (as kept in a scope's state). The class comes
 * from the table, so records written before a code changed class still load; a kind the code no
 * longer takes, or a code that no longer exists, falls back to the table's answer.
 * @internal
 */
export function errorFromRecord(record: ErrorRecord): MailOAuthError {
  const known = Object.hasOwn(errorTable, record.code);
  const code: ErrorCode = known ? record.code : 'ERR_INTERNAL';
  const options: MailOAuthErrorOptions = {};
  if (kindsOf(code).includes(record.kind)) options.kind = record.kind;
  if (record.hint !== undefined) options.hint = record.hint;
  const params = known ? record.params : { ...record.params, reason: String(record.code) };
  if (params !== undefined) options.params = params;
  if (record.retryAfterMs !== undefined) options.retryAfterMs = record.retryAfterMs;
  return createError(code, record.message, options);
}

/**
 * Wraps anything thrown into a {@link MailOAuthError}; unknown failures count as transient so
 * that a bug or a local fault never makes a token Invalid.
 * @internal
 */
export function toMailOAuthError(err: unknown): MailOAuthError {
  if (err instanceof MailOAuthError) return err;
  const name = err instanceof Error ? err.name : typeof err;
  return new MailOAuthError('ERR_INTERNAL', `Unexpected failure (${name})`, { cause: err });
}
