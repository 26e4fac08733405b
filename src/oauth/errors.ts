/**
 * Classification of OAuth error responses (RFC 6749 §5.2, RFC 8628 §3.5, RFC 7009 §2.2.1) into
 * mail-oauth's taxonomy. The `error` field decides the kind; provider details (Microsoft's
 * AADSTS numbers) only choose the administrator hint.
 * @packageDocumentation
 */
import { OAuthError, TransportError } from '../errors.js';
import type { ErrorCode, ErrorKind, MailOAuthError } from '../errors.js';
import { parseJsonObject } from './http.js';
import type { HttpResponse } from './http.js';
import type { Redact } from './redact.js';

/** The fields of an OAuth error response a hint resolver may look at. Contains no secret. */
export interface OAuthErrorDetails {
  /** RFC 6749 `error`, or {@link INVALID_ERROR_CODE} when the server's value is not one. */
  error: string;
  /** RFC 6749 `error_description`. */
  errorDescription?: string;
  /** Numeric provider error codes (Microsoft's `error_codes`, e.g. `[7000218]`). */
  errorCodes: readonly number[];
  /** HTTP status. */
  status: number;
}

/**
 * Picks an administrator hint for a provider error (for Microsoft: by AADSTS number), or
 * `undefined` when it knows none.
 */
export type HintResolver = (details: OAuthErrorDetails) => string | undefined;

/**
 * Longest `error` value kept, 64 characters. Registered values are at most 26
 * (`account_selection_required`); a longer one is text an issuer or an echoing proxy put there,
 * and it would otherwise reach every log line and the Invalid reason kept in the store.
 */
export const MAX_ERROR_CODE_LENGTH = 64;

/**
 * Longest `error_description` kept on an {@link OAuthError}, 1000 characters (Microsoft's, with
 * AADSTS text, trace and correlation IDs, stay well below). The message quotes only its first line, cut at 300.
 */
export const MAX_ERROR_DESCRIPTION_LENGTH = 1000;

/**
 * Longest `error_uri` kept, 200 characters: a longer one is cut (its origin and path still say
 * where to look; echoing proxies put whole requests into the query). Only an `http(s)` URL in
 * RFC 6749's character set is kept at all.
 */
export const MAX_ERROR_URI_LENGTH = 200;

/**
 * What stands for an `error` value that is not an RFC 6749 §5.2 error code (characters outside
 * `%x20-21 / %x23-5B / %x5D-7E`, or longer than {@link MAX_ERROR_CODE_LENGTH}). Being no known
 * value, it is classified by the HTTP status, as any unknown error is: never `definite`.
 */
export const INVALID_ERROR_CODE = 'invalid_error_code';

// RFC 6749 §5.2: error = 1*NQSCHAR; error_uri chars = %x21 / %x23-5B / %x5D-7E.
const ERROR_CODE_SYNTAX = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/;
const ERROR_URI_SYNTAX = /^https?:\/\/[\x21\x23-\x5b\x5d-\x7e]+$/i;

const DEFINITE = new Set([
  'invalid_grant',
  'access_denied',
  'authorization_declined',
  'expired_token',
  'interaction_required',
  'consent_required',
  'login_required',
  'account_selection_required',
  'invalid_token',
]);

const CONFIGURATION = new Set([
  'invalid_client',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_request',
  'unsupported_response_type',
  'invalid_target',
  'unsupported_token_type',
  'invalid_client_metadata',
  'invalid_dpop_proof',
]);

const TRANSIENT = new Set(['temporarily_unavailable', 'server_error', 'slow_down', 'authorization_pending']);

/**
 * How an OAuth `error` value is treated: `definite` only for answers that say the grant or
 * authorization is dead; unknown values follow the HTTP status (5xx and 429 transient, else
 * configuration) so they never make a token Invalid.
 *
 * @example
 * ```ts
 * classifyOAuthError('invalid_grant', 400); // 'definite'
 * classifyOAuthError('temporarily_unavailable', 400); // 'transient'
 * ```
 */
export function classifyOAuthError(error: string, status: number): ErrorKind {
  if (DEFINITE.has(error)) return 'definite';
  if (CONFIGURATION.has(error)) return 'configuration';
  if (TRANSIENT.has(error)) return 'transient';
  return status >= 500 || status === 429 ? 'transient' : 'configuration';
}

/** The mail-oauth code for an OAuth `error` value. */
function codeFor(error: string): ErrorCode {
  if (error === 'access_denied' || error === 'authorization_declined') return 'ERR_AUTHORIZATION_DENIED';
  if (error === 'expired_token') return 'ERR_AUTHORIZATION_EXPIRED';
  return 'ERR_OAUTH';
}

/** Reads a JSON body as an RFC 6749 error, or `undefined` when it is not one. @internal */
export function readOAuthErrorBody(json: Record<string, unknown>, status: number): OAuthErrorDetails | undefined {
  const { error, error_description: description, error_codes: codes } = json;
  if (typeof error !== 'string' || error.length === 0) return undefined;
  const details: OAuthErrorDetails = {
    error: errorCode(error),
    errorCodes: Array.isArray(codes) ? codes.filter((c): c is number => typeof c === 'number') : [],
    status,
  };
  if (typeof description === 'string') details.errorDescription = description;
  return details;
}

/**
 * Turns an OAuth error body into an {@link OAuthError}: RFC 6749 fields kept, kind by
 * {@link classifyOAuthError}, hint from `hint`, `Retry-After` kept for transient answers. Kind and
 * hint are decided on the answer as sent; `redact` then removes what the request sent from
 * every kept field (`error`, `error_description`, `error_uri`, the hint, the message). What is
 * kept is bounded: `error` by RFC 6749's grammar and {@link MAX_ERROR_CODE_LENGTH} (else
 * {@link INVALID_ERROR_CODE}), `error_description` by {@link MAX_ERROR_DESCRIPTION_LENGTH},
 * `error_uri` to an `http(s)` URL (else dropped) cut at {@link MAX_ERROR_URI_LENGTH} characters.
 *
 * @example
 * ```ts
 * throw oauthError(res, { error: 'invalid_grant', errorCodes: [], status: 400 });
 * ```
 */
export function oauthError(
  res: HttpResponse,
  details: OAuthErrorDetails,
  json: Record<string, unknown> = {},
  hint?: HintResolver,
  redact: Redact = (text) => text,
): OAuthError {
  // Kind and hint (the AADSTS number) come from the answer as sent; only what is kept is redacted,
  // before truncation so that no fragment of a sent secret survives.
  const kind = classifyOAuthError(details.error, details.status);
  const resolvedHint = mapDefined(hint?.(details), redact);
  const error = redact(errorCode(details.error));
  const errorDescription =
    details.errorDescription === undefined ? undefined : clip(redact(details.errorDescription), MAX_ERROR_DESCRIPTION_LENGTH);
  const errorUri = typeof json.error_uri === 'string' ? errorUriOf(redact(json.error_uri)) : undefined;
  const description = errorDescription === undefined ? '' : `: ${firstLine(errorDescription)}`;
  return new OAuthError(
    codeFor(details.error),
    `The authorization server answered ${error}${description}`,
    {
      error,
      status: details.status,
      ...(errorDescription === undefined ? {} : { errorDescription }),
      ...(errorUri === undefined ? {} : { errorUri }),
    },
    {
      kind,
      params: { error },
      ...(resolvedHint === undefined ? {} : { hint: resolvedHint }),
      ...(kind === 'transient' && res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}),
    },
  );
}

/**
 * Turns a non-2xx response into an error: an OAuth error body becomes an {@link OAuthError};
 * otherwise 429/5xx are transient `ERR_HTTP` (with `Retry-After`), 404/405 a configuration
 * `ERR_HTTP` (wrong endpoint), anything else `ERR_PROTOCOL`. `redact` is passed on to {@link oauthError}.
 *
 * @example
 * ```ts
 * if (res.status !== 200) throw errorFromResponse(res, 'token endpoint');
 * ```
 */
export function errorFromResponse(res: HttpResponse, what: string, hint?: HintResolver, redact?: Redact): MailOAuthError {
  let json: Record<string, unknown> | undefined;
  try {
    json = parseJsonObject(res, what);
  } catch {
    json = undefined;
  }
  const details = json === undefined ? undefined : readOAuthErrorBody(json, res.status);
  if (details !== undefined) return oauthError(res, details, json, hint, redact);
  const retry = res.retryAfterMs === undefined ? {} : { retryAfterMs: res.retryAfterMs };
  if (res.status === 429 || res.status >= 500) {
    return new TransportError('ERR_HTTP', `The ${what} answered HTTP ${res.status}`, {
      kind: 'transient',
      responseCode: res.status,
      response: `HTTP ${res.status}`,
      ...retry,
    });
  }
  if (res.status === 404 || res.status === 405) {
    return new TransportError('ERR_HTTP', `The ${what} answered HTTP ${res.status}: check the endpoint`, {
      kind: 'configuration',
      responseCode: res.status,
      response: `HTTP ${res.status}`,
    });
  }
  return new TransportError('ERR_PROTOCOL', `The ${what} answered HTTP ${res.status} without an OAuth error`, {
    kind: 'protocol',
    responseCode: res.status,
    response: `HTTP ${res.status}`,
  });
}

function mapDefined(text: string | undefined, redact: Redact): string | undefined {
  return text === undefined ? undefined : redact(text);
}

function errorCode(error: string): string {
  return error.length <= MAX_ERROR_CODE_LENGTH && ERROR_CODE_SYNTAX.test(error) ? error : INVALID_ERROR_CODE;
}

function errorUriOf(uri: string): string | undefined {
  if (!ERROR_URI_SYNTAX.test(uri)) return undefined;
  // No ellipsis (not a URI character) and no half of a %-escape, so the cut URL still parses.
  return uri.length <= MAX_ERROR_URI_LENGTH ? uri : uri.slice(0, MAX_ERROR_URI_LENGTH).replace(/%[0-9a-f]?$/i, '');
}

function firstLine(text: string): string {
  return clip(text.split(/\r?\n/, 1)[0] ?? '', 300);
}

/** Cuts `text` to `max` UTF-16 units plus an ellipsis, never between the halves of a surrogate pair. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}
