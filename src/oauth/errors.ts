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

/** The fields of an OAuth error response a hint resolver may look at. Contains no secret. */
export interface OAuthErrorDetails {
  /** RFC 6749 `error`. */
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
    error,
    errorCodes: Array.isArray(codes) ? codes.filter((c): c is number => typeof c === 'number') : [],
    status,
  };
  if (typeof description === 'string') details.errorDescription = description;
  return details;
}

/**
 * Turns an OAuth error body into an {@link OAuthError}: RFC 6749 fields kept, kind by
 * {@link classifyOAuthError}, hint from `hint`, `Retry-After` kept for transient answers.
 *
 * @example
 * ```ts
 * throw oauthError(res, { error: 'invalid_grant', errorCodes: [], status: 400 });
 * ```
 */
export function oauthError(res: HttpResponse, details: OAuthErrorDetails, json: Record<string, unknown> = {}, hint?: HintResolver): OAuthError {
  const kind = classifyOAuthError(details.error, details.status);
  const description = details.errorDescription === undefined ? '' : `: ${firstLine(details.errorDescription)}`;
  const resolvedHint = hint?.(details);
  const errorUri = typeof json.error_uri === 'string' ? json.error_uri : undefined;
  return new OAuthError(
    codeFor(details.error),
    `The authorization server answered ${details.error}${description}`,
    {
      error: details.error,
      status: details.status,
      ...(details.errorDescription === undefined ? {} : { errorDescription: details.errorDescription }),
      ...(errorUri === undefined ? {} : { errorUri }),
    },
    {
      kind,
      params: { error: details.error },
      ...(resolvedHint === undefined ? {} : { hint: resolvedHint }),
      ...(kind === 'transient' && res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}),
    },
  );
}

/**
 * Turns a non-2xx response into an error: an OAuth error body becomes an {@link OAuthError};
 * otherwise 429/5xx are transient `ERR_HTTP` (with `Retry-After`), 404/405 a configuration
 * `ERR_HTTP` (wrong endpoint), anything else `ERR_PROTOCOL`.
 *
 * @example
 * ```ts
 * if (res.status !== 200) throw errorFromResponse(res, 'token endpoint');
 * ```
 */
export function errorFromResponse(res: HttpResponse, what: string, hint?: HintResolver): MailOAuthError {
  let json: Record<string, unknown> | undefined;
  try {
    json = parseJsonObject(res, what);
  } catch {
    json = undefined;
  }
  const details = json === undefined ? undefined : readOAuthErrorBody(json, res.status);
  if (details !== undefined) return oauthError(res, details, json, hint);
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

function firstLine(text: string): string {
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
