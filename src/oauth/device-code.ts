/**
 * The device authorization grant (RFC 8628): start (§3.1–3.2) and one poll (§3.4–3.5). The
 * polling loop, its timers and cancellation live in the token-scope machine: it waits
 * `intervalMs`, calls {@link pollDeviceToken} once, and stops the moment tokens arrive
 * (a replayed device code revokes the grant at real servers).
 * @packageDocumentation
 */
import type { GrantContext, DevicePollResult } from '../providers/types.js';
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
/** RFC 8628 §3.5: what `slow_down` adds to the interval, 5 s. */
export const SLOW_DOWN_STEP_MS = 5_000;
/** The device code lifetime assumed when the server sends no `expires_in`: 900 s. */
export const DEFAULT_DEVICE_EXPIRES_MS = 900_000;

/** The grant type of a device code poll. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** Options of {@link startDeviceAuthorization}. */
export interface DeviceAuthorizationOptions extends EndpointOptions {
  /** Extra body parameters (e.g. RFC 8707 `resource`). */
  extraParams?: Readonly<Record<string, string>> | undefined;
}

/**
 * Asks the device authorization endpoint for a user code. Google's `verification_url` is
 * normalised to `verificationUri`; a missing `interval` means 5 s.
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
  const res = await postForm(endpoint, { ...options.extraParams, scope }, client, context, options);
  if (res.status !== 200) throw errorFromResponse(res, 'device authorization endpoint', options.hint);
  const json = parseJsonObject(res, 'device authorization response');
  const deviceCode = json.device_code;
  const userCode = json.user_code;
  const verificationUri = json.verification_uri ?? json.verification_url;
  if (typeof deviceCode !== 'string' || deviceCode.length === 0) throw protocolError('The device authorization response has no device_code');
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
    expiresAt: now + positiveSeconds(json.expires_in, DEFAULT_DEVICE_EXPIRES_MS / 1000) * 1000,
    intervalMs: positiveSeconds(json.interval, DEFAULT_DEVICE_INTERVAL_MS / 1000) * 1000,
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
 * `definite`); a timeout or 5xx is transient (back off and poll again).
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
  const res = await postForm(tokenEndpoint, { grant_type: DEVICE_CODE_GRANT, device_code: pending.deviceCode }, client, context, options);
  if (res.status === 200) {
    const json = parseJsonObject(res, 'token response');
    return { kind: 'tokens', ...parseTokenResponse(json, { flow: 'device-code', now: context.clock.now() }) };
  }
  if (res.status === 400 || res.status === 401) {
    let json: Record<string, unknown> | undefined;
    try {
      json = parseJsonObject(res, 'token response');
    } catch {
      json = undefined;
    }
    const details = json === undefined ? undefined : readOAuthErrorBody(json, res.status);
    if (details?.error === 'authorization_pending') return { kind: 'pending' };
    if (details?.error === 'slow_down') return { kind: 'slow-down' };
    if (details !== undefined && json !== undefined) throw oauthError(res, details, json, options.hint);
  }
  throw errorFromResponse(res, 'token endpoint', options.hint);
}

function positiveSeconds(value: unknown, fallback: number): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : fallback;
}
