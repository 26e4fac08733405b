/**
 * The device authorization grant (RFC 8628): start (§3.1–3.2) and one poll (§3.4–3.5). The
 * polling loop, its timers and cancellation live in the token-scope machine: it waits
 * `intervalMs`, calls {@link pollDeviceToken} once, and stops the moment tokens arrive
 * (a replayed device code revokes the grant at real servers).
 * @packageDocumentation
 */
import { AuthorizationError, TransportError, toMailOAuthError } from '../errors.js';
import type { MailOAuthError } from '../errors.js';
import type { DevicePollResult, GrantContext } from './types.js';
import type { ClientAuth } from './client-auth.js';
import { errorFromResponse, oauthError, readOAuthErrorBody } from './errors.js';
import type { HintResolver } from './errors.js';
import { parseJsonObject, protocolError } from './http.js';
import { postForm } from './token-endpoint.js';
import type { EndpointOptions } from './token-endpoint.js';
import { parseTokenResponse } from './token-response.js';
import type { ParsedTokenResponse } from './token-response.js';
import type { DeviceCodePending } from './types.js';

/** RFC 8628 §3.2: the polling interval when the server sends none, 5 s. */
export const DEFAULT_DEVICE_INTERVAL_MS = 5_000;
/**
 * The shortest polling interval accepted from a server, 1 s: a smaller `interval` would have the
 * device poll hundreds of times a second.
 */
export const MIN_DEVICE_INTERVAL_MS = 1_000;
/**
 * The longest polling interval taken from a server, 60 s; a larger `interval` counts as this.
 * RFC 8628 sets no ceiling, but a provider asking for more than a minute between polls is
 * pathological (Microsoft and Google ask 5 s), and `1e308` made the wait `Infinity`, which Node
 * turns into a timer of about 24.8 days. Polling sooner than asked is safe: the server answers
 * `slow_down` and the interval grows.
 */
export const MAX_DEVICE_INTERVAL_MS = 60_000;
/** RFC 8628 §3.5: what `slow_down` adds to the interval, 5 s. */
export const SLOW_DOWN_STEP_MS = 5_000;
/** The device code lifetime assumed when the server sends no `expires_in`: 900 s. */
export const DEFAULT_DEVICE_EXPIRES_MS = 900_000;
/**
 * The longest device code lifetime taken from a server, 1 h; a larger `expires_in` counts as
 * this. Microsoft sends 900 s and Google 1800 s; without a ceiling `1e308` gave a code that
 * never expired locally (and `null` once the record was JSON). Stopping early is harmless: the
 * administrator presses Get Token again.
 */
export const MAX_DEVICE_EXPIRES_MS = 3_600_000;

/** The grant type of a device code poll. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** Options of {@link startDeviceAuthorization}. */
export interface DeviceAuthorizationOptions extends EndpointOptions {
  /** Extra body parameters (e.g. RFC 8707 `resource`). */
  extraParams?: Readonly<Record<string, string>> | undefined;
}

/**
 * Asks the device authorization endpoint for a user code. Google's `verification_url` is
 * normalised to `verificationUri`; a missing `interval` means 5 s, and `interval` is held between
 * {@link MIN_DEVICE_INTERVAL_MS} and {@link MAX_DEVICE_INTERVAL_MS}, `expires_in` at most
 * {@link MAX_DEVICE_EXPIRES_MS}.
 *
 * @example
 * ```ts
 * const pending = await startDeviceAuthorization(deviceUrl, { method: 'none', clientId }, 'openid offline_access mail', context);
 * show(pending.userCode, pending.verificationUri);
 * ```
 */
export async function startDeviceAuthorization(
  endpoint: string,
  client: ClientAuth,
  scope: string,
  context: GrantContext,
  options: DeviceAuthorizationOptions = {},
): Promise<DeviceCodePending> {
  const json = await postForm(endpoint, { ...options.extraParams, scope }, client, context, options, (res, redact) => {
    if (res.status !== 200) throw errorFromResponse(res, 'device authorization endpoint', options.hint, redact);
    return parseJsonObject(res, 'device authorization response');
  });
  const deviceCode = json.device_code;
  const userCode = json.user_code;
  const verificationUri = json.verification_uri ?? json.verification_url;
  if (typeof deviceCode !== 'string' || deviceCode.length === 0)
    throw protocolError('The device authorization response has no device_code');
  if (typeof userCode !== 'string' || userCode.length === 0) throw protocolError('The device authorization response has no user_code');
  if (typeof verificationUri !== 'string' || !/^https?:\/\//.test(verificationUri)) {
    throw protocolError('The device authorization response has no verification_uri');
  }
  const now = context.clock.now();
  const pending: DeviceCodePending = {
    flow: 'device-code',
    deviceCode,
    userCode,
    verificationUri,
    expiresAt: now + Math.min(MAX_DEVICE_EXPIRES_MS, positiveSeconds(json.expires_in, DEFAULT_DEVICE_EXPIRES_MS / 1000) * 1000),
    intervalMs: Math.min(
      MAX_DEVICE_INTERVAL_MS,
      Math.max(MIN_DEVICE_INTERVAL_MS, positiveSeconds(json.interval, DEFAULT_DEVICE_INTERVAL_MS / 1000) * 1000),
    ),
  };
  const complete = json.verification_uri_complete;
  if (typeof complete === 'string' && /^https?:\/\//.test(complete)) pending.verificationUriComplete = complete;
  return pending;
}

/** The result of one poll with the parsed token response. */
export type DevicePoll = Exclude<DevicePollResult, { kind: 'tokens' }> | ({ kind: 'tokens' } & ParsedTokenResponse);

/**
 * Polls the token endpoint once (RFC 8628 §3.4). `authorization_pending` → `pending`,
 * `slow_down` → `slow-down` (the caller adds {@link SLOW_DOWN_STEP_MS} for the rest of the
 * session), tokens → `tokens`. `access_denied` and Microsoft's `authorization_declined` throw
 * `ERR_AUTHORIZATION_DENIED`, `expired_token` throws `ERR_AUTHORIZATION_EXPIRED` (both
 * `definite`); a timeout or 5xx is transient (back off and poll again). A 2xx answer the client
 * cannot use ends the authorization (see {@link authorizationEnded}): the device code is spent.
 *
 * @example
 * ```ts
 * const result = await pollDeviceToken(tokenUrl, client, pending, context);
 * if (result.kind === 'slow-down') pending.intervalMs += SLOW_DOWN_STEP_MS;
 * ```
 */
export async function pollDeviceToken(
  tokenEndpoint: string,
  client: ClientAuth,
  pending: DeviceCodePending,
  context: GrantContext,
  options: EndpointOptions & { hint?: HintResolver | undefined } = {},
): Promise<DevicePoll> {
  try {
    return await postForm(
      tokenEndpoint,
      { grant_type: DEVICE_CODE_GRANT, device_code: pending.deviceCode },
      client,
      context,
      options,
      (res, redact) => {
        if (isSuccess(res.status)) {
          try {
            const json = parseJsonObject(res, 'token response');
            const parsed = parseTokenResponse(json, {
              flow: 'device-code',
              now: context.clock.now(),
              minLifetimeMs: options.minTokenLifetimeMs,
            });
            return { kind: 'tokens' as const, ...parsed };
          } catch (err) {
            throw authorizationEnded(err);
          }
        }
        if (res.status === 400 || res.status === 401) {
          let json: Record<string, unknown> | undefined;
          try {
            json = parseJsonObject(res, 'token response');
          } catch {
            json = undefined;
          }
          const details = json === undefined ? undefined : readOAuthErrorBody(json, res.status);
          if (details?.error === 'authorization_pending') return { kind: 'pending' as const };
          if (details?.error === 'slow_down') return { kind: 'slow-down' as const };
          if (details !== undefined && json !== undefined) throw oauthError(res, details, json, options.hint, redact);
        }
        throw errorFromResponse(res, 'token endpoint', options.hint, redact);
      },
    );
  } catch (err) {
    // A 2xx answer cut off by the size cap was still an answer: the code may already be spent.
    if (err instanceof TransportError && err.responseCode !== undefined && isSuccess(err.responseCode)) throw authorizationEnded(err);
    throw err;
  }
}

/**
 * The error that ends a device authorization after the token endpoint answered 2xx with
 * something the client refused (no access_token, wrong token_type, short expires_in, not JSON,
 * an ID token that does not verify). Polling again would replay the device code, which real
 * issuers treat as an attack and answer by revoking the grant; so a retryable failure becomes
 * `ERR_AUTHORIZATION_FAILED` of kind `definite`. Failures that already end it are returned as they are.
 *
 * @example
 * ```ts
 * const tokens = await finish(parsed).catch((err: unknown) => { throw authorizationEnded(err); });
 * ```
 */
export function authorizationEnded(err: unknown): MailOAuthError {
  const error = toMailOAuthError(err);
  if (error.kind !== 'transient' && error.kind !== 'protocol') return error;
  return new AuthorizationError(
    'ERR_AUTHORIZATION_FAILED',
    `The provider answered the sign-in with tokens the device refused (${error.code}); the device code is spent. Press Get Token again`,
    { kind: 'definite', cause: error, params: { reason: error.code } },
  );
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function positiveSeconds(value: unknown, fallback: number): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : fallback;
}
