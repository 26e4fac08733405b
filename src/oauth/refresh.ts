/**
 * The refresh grant (RFC 6749 §6), rotation-aware: a new refresh token replaces the old one, a
 * response without one keeps it (RFC 6749 §6 allows either). The caller (the token-scope
 * machine) stores the result durably before handing the access token to anyone.
 * @packageDocumentation
 */
import { TokenStateError } from '../errors.js';
import type { GrantContext } from './types.js';
import type { ClientAuth } from './client-auth.js';
import { tokenGrant } from './token-endpoint.js';
import type { EndpointOptions } from './token-endpoint.js';
import { parseTokenResponse } from './token-response.js';
import type { ParsedTokenResponse } from './token-response.js';
import type { TokenSet } from './types.js';

/** Options of {@link refreshTokenGrant}. */
export interface RefreshOptions extends EndpointOptions {
  /** Scopes to ask for (Microsoft wants them on every refresh). Default: none sent. */
  scope?: string | undefined;
  /** Extra body parameters (e.g. RFC 8707 `resource`). */
  extraParams?: Readonly<Record<string, string>> | undefined;
}

/**
 * Spends `tokens.refreshToken` at the token endpoint and returns the renewed tokens.
 * Throws `ERR_NO_REFRESH_TOKEN` (kind `definite`) when there is no refresh token to spend;
 * `invalid_grant` arrives as an `OAuthError` of kind `definite`.
 *
 * @example
 * ```ts
 * const { tokens: renewed } = await refreshTokenGrant(tokenUrl, { method: 'none', clientId }, tokens, context,
 *   { scope: 'https://outlook.office.com/SMTP.Send offline_access' });
 * await store.set(key, renewed); // before anyone sees renewed.accessToken
 * ```
 */
export async function refreshTokenGrant(
  tokenEndpoint: string,
  client: ClientAuth,
  tokens: TokenSet,
  context: GrantContext,
  options: RefreshOptions = {},
): Promise<ParsedTokenResponse> {
  if (tokens.refreshToken === undefined || tokens.refreshToken.length === 0) {
    throw new TokenStateError('ERR_NO_REFRESH_TOKEN', 'The token has no refresh token; obtain it again', { kind: 'definite' });
  }
  const params: Record<string, string> = {
    ...options.extraParams,
    grant_type: 'refresh_token',
    refresh_token: tokens.refreshToken,
  };
  if (options.scope !== undefined) params.scope = options.scope;
  return tokenGrant(tokenEndpoint, params, client, context, options, (json) =>
    parseTokenResponse(json, { flow: tokens.flow, now: context.clock.now(), previous: tokens, minLifetimeMs: options.minTokenLifetimeMs }),
  );
}
