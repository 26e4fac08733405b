import {
  AuthorizationError,
  errorFromRecord,
  OAuthError,
  SettingsError,
  TokenStateError,
  type ErrorRecord,
  type MailOAuthError,
} from '../errors.js';
import type { AuthorizationPrompt, Flow } from '../oauth/types.js';

/**
 * What a caller waits for. A request event carries an `id`; the machine keeps the id in its
 * context while the answer is not known yet and emits exactly one {@link ScopeReply} for it.
 * @internal
 */
export type WaiterKind = 'prompt' | 'settled' | 'callback' | 'token' | 'forced-token' | 'delete';

/** A caller waiting for the machine. Serialisable. @internal */
export interface Waiter {
  id: number;
  on: WaiterKind;
}

/** The value a reply resolves with. @internal */
export type ReplyValue = AuthorizationPrompt | string | undefined;

/** The answer to one request, emitted by the machine. Carries an access token: never log it. @internal */
export type ScopeReply = { type: 'reply'; id: number } & ({ ok: true; value: ReplyValue } | { ok: false; error: MailOAuthError });

// Errors the machine answers with; built here so that each has one wording.

export const notConfigured = (): TokenStateError =>
  new TokenStateError('ERR_NOT_CONFIGURED', 'Choose OAuth 2.0, a provider and an account name first', { kind: 'usage' });

export const flowUnsupported = (flow: Flow, provider: string): TokenStateError =>
  new AuthorizationError('ERR_FLOW_UNSUPPORTED', `Provider "${provider}" does not support the ${flow} flow for mail`, {
    kind: 'configuration',
    params: { flow, provider },
  });

export const alreadyAcquired = (): TokenStateError =>
  new TokenStateError('ERR_TOKEN_ALREADY_ACQUIRED', 'A token is already acquired; delete it first', { kind: 'usage' });

export const settingsLocked = (): SettingsError =>
  new SettingsError('ERR_SETTINGS_LOCKED_BY_TOKEN', 'Delete the token before changing the provider or the account', { kind: 'usage' });

export const signInCancelled = (): TokenStateError =>
  new TokenStateError('ERR_AUTHORIZATION_CANCELLED', 'The sign-in was cancelled or replaced by another Get Token', { kind: 'usage' });

export const endedWithoutToken = (): TokenStateError =>
  new TokenStateError('ERR_AUTHORIZATION_CANCELLED', 'The authorization ended without a token', { kind: 'usage' });

export const notPending = (): TokenStateError =>
  new TokenStateError('ERR_AUTHORIZATION_NOT_PENDING', 'No sign-in is waiting for a redirect', { kind: 'usage' });

export const notAcquired = (status: string): TokenStateError =>
  new TokenStateError('ERR_TOKEN_NOT_ACQUIRED', 'No token has been acquired for this page', { kind: 'usage', params: { status } });

export const authorizationExpired = (): AuthorizationError =>
  new OAuthError(
    'ERR_AUTHORIZATION_EXPIRED',
    'The authorization expired before it was completed',
    { error: 'expired_token' },
    { kind: 'definite' },
  );

/** The manual's "Token update failed" for a scope that is Invalid, naming why. */
export function invalidToken(reason: ErrorRecord | undefined): TokenStateError {
  const cause = reason === undefined ? undefined : errorFromRecord(reason);
  const code =
    reason?.code === 'ERR_NO_REFRESH_TOKEN'
      ? 'ERR_NO_REFRESH_TOKEN'
      : reason?.code === 'ERR_TOKEN_INVALID' || reason === undefined
        ? 'ERR_TOKEN_INVALID'
        : 'ERR_TOKEN_REFRESH_FAILED';
  const options = { kind: 'definite' as const, cause, params: { reason: reason?.code ?? 'ERR_TOKEN_INVALID' } };
  return new TokenStateError(
    code,
    'Token update failed. Please delete the token and obtain it again.',
    reason?.hint === undefined ? options : { ...options, hint: reason.hint },
  );
}

/** A renewal that failed for now; keeps the provider's hint (an AADSTS explanation, say): a configuration problem needs the admin. */
export function renewalUnavailable(last: ErrorRecord | undefined): TokenStateError {
  const cause = last === undefined ? undefined : errorFromRecord(last);
  return new TokenStateError('ERR_TOKEN_REFRESH_UNAVAILABLE', 'The token could not be renewed now; the device will retry', {
    kind: 'transient',
    cause,
    ...(cause === undefined ? {} : { params: { reason: cause.code } }),
    ...(cause?.hint === undefined ? {} : { hint: cause.hint }),
  });
}
