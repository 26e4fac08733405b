/**
 * The authorization-code grant with PKCE S256, `state` and `nonce` (RFC 6749 §4.1, RFC 7636,
 * OpenID Connect Core): build the sign-in URL, read the redirect the browser arrived at (the
 * device web UI's callback, a loopback listener, or a URL the administrator pasted), and
 * exchange the code.
 * @packageDocumentation
 */
import { AuthorizationError, OAuthError } from '../errors.js';
import type { GrantContext } from '../providers/types.js';
import type { ClientAuth } from './client-auth.js';
import { classifyOAuthError } from './errors.js';
import { codeChallengeS256, randomToken } from './pkce.js';
import { tokenEndpointRequest } from './token-endpoint.js';
import type { EndpointOptions } from './token-endpoint.js';
import { parseTokenResponse } from './token-response.js';
import type { ParsedTokenResponse } from './token-response.js';
import type { RedirectPending } from './types.js';

/** How long the device waits for the redirect by default: 10 minutes. */
export const DEFAULT_REDIRECT_TTL_MS = 600_000;

/** Options of {@link createAuthorizationRequest}. */
export interface AuthorizationRequestOptions {
  /** The provider's authorization endpoint. */
  authorizationEndpoint: string;
  /** The client id. */
  clientId: string;
  /** Where the provider sends the browser back. */
  redirectUri: string;
  /** Space-separated scopes. */
  scope: string;
  /** Extra query parameters (`prompt`, `access_type`, `login_hint`, `resource`). */
  extraParams?: Readonly<Record<string, string>> | undefined;
  /** Current time, milliseconds since the epoch. */
  now: number;
  /** How long the authorization stays pending, in milliseconds. Default {@link DEFAULT_REDIRECT_TTL_MS}. */
  ttlMs?: number | undefined;
}

/**
 * Builds the sign-in URL with fresh `state`, `nonce` and PKCE S256 verifier, and the pending
 * authorization that holds them (the verifier is secret; the URL is not).
 *
 * @example
 * ```ts
 * const pending = createAuthorizationRequest({ authorizationEndpoint, clientId, redirectUri: 'http://127.0.0.1:8765/callback',
 *   scope: 'openid email offline_access https://outlook.office.com/SMTP.Send', now: Date.now() });
 * openBrowser(pending.url);
 * ```
 */
export function createAuthorizationRequest(options: AuthorizationRequestOptions): RedirectPending {
  const state = randomToken();
  const nonce = randomToken();
  const codeVerifier = randomToken();
  const url = new URL(options.authorizationEndpoint);
  const params: Record<string, string> = {
    ...options.extraParams,
    response_type: 'code',
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    scope: options.scope,
    state,
    nonce,
    code_challenge: codeChallengeS256(codeVerifier),
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return {
    flow: 'authorization-code',
    url: url.toString(),
    redirectUri: options.redirectUri,
    state,
    codeVerifier,
    nonce,
    expiresAt: options.now + (options.ttlMs ?? DEFAULT_REDIRECT_TTL_MS),
  };
}

/**
 * Reads the redirect the browser arrived at and returns the authorization code. Refuses, with
 * nothing exchanged: an expired authorization (`ERR_AUTHORIZATION_EXPIRED`), a URL that is not
 * the redirect URI or has another `state` (`ERR_STATE_MISMATCH`), an `error` from the provider
 * (`ERR_AUTHORIZATION_DENIED` for `access_denied`, else `ERR_AUTHORIZATION_FAILED`, RFC 6749
 * fields kept), a missing code (`ERR_AUTHORIZATION_FAILED`), and an `iss` (RFC 9207) that is
 * not `expectedIssuer`.
 *
 * @example
 * ```ts
 * const code = readAuthorizationCallback(pending, 'http://127.0.0.1:8765/callback?code=…&state=…', Date.now());
 * ```
 */
export function readAuthorizationCallback(pending: RedirectPending, callbackUrl: string, now: number, expectedIssuer?: string): string {
  if (now > pending.expiresAt) {
    throw new AuthorizationError('ERR_AUTHORIZATION_EXPIRED', 'The sign-in took too long; press Get Token again', { kind: 'definite' });
  }
  let url: URL;
  try {
    url = new URL(callbackUrl.trim());
  } catch {
    throw new AuthorizationError('ERR_STATE_MISMATCH', 'The pasted address is not a URL', { kind: 'usage' });
  }
  const expected = new URL(pending.redirectUri);
  if (url.origin !== expected.origin || url.pathname !== expected.pathname) {
    throw new AuthorizationError('ERR_STATE_MISMATCH', 'The address is not the redirect address of this authorization', { kind: 'usage' });
  }
  const params = url.searchParams;
  if (params.get('state') !== pending.state) {
    throw new AuthorizationError('ERR_STATE_MISMATCH', 'The redirect does not belong to this authorization (state mismatch)', { kind: 'usage' });
  }
  const iss = params.get('iss');
  if (iss !== null && expectedIssuer !== undefined && !expectedIssuer.includes('{') && iss !== expectedIssuer) {
    throw new AuthorizationError('ERR_STATE_MISMATCH', 'The redirect names another issuer (RFC 9207)', { kind: 'usage' });
  }
  const error = params.get('error');
  if (error !== null) {
    const description = params.get('error_description');
    const uri = params.get('error_uri');
    const denied = error === 'access_denied' || error === 'consent_required' || error === 'interaction_required';
    throw new OAuthError(
      denied ? 'ERR_AUTHORIZATION_DENIED' : 'ERR_AUTHORIZATION_FAILED',
      `The provider refused the authorization: ${error}${description === null ? '' : `: ${description.slice(0, 300)}`}`,
      {
        error,
        ...(description === null ? {} : { errorDescription: description }),
        ...(uri === null ? {} : { errorUri: uri }),
      },
      { kind: denied ? 'definite' : classifyOAuthError(error, 400), params: { error } },
    );
  }
  const code = params.get('code');
  if (code === null || code.length === 0) {
    throw new AuthorizationError('ERR_AUTHORIZATION_FAILED', 'The redirect carries no authorization code', { kind: 'protocol' });
  }
  return code;
}

/** Options of {@link exchangeAuthorizationCode}. */
export interface CodeExchangeOptions extends EndpointOptions {
  /** Extra body parameters (e.g. RFC 8707 `resource`). */
  extraParams?: Readonly<Record<string, string>> | undefined;
}

/**
 * Exchanges an authorization code (with the PKCE verifier) for tokens.
 *
 * @example
 * ```ts
 * const { tokens, idToken } = await exchangeAuthorizationCode(tokenUrl, client, pending, code, context);
 * ```
 */
export async function exchangeAuthorizationCode(
  tokenEndpoint: string,
  client: ClientAuth,
  pending: RedirectPending,
  code: string,
  context: GrantContext,
  options: CodeExchangeOptions = {},
): Promise<ParsedTokenResponse> {
  const json = await tokenEndpointRequest(
    tokenEndpoint,
    {
      ...options.extraParams,
      grant_type: 'authorization_code',
      code,
      redirect_uri: pending.redirectUri,
      code_verifier: pending.codeVerifier,
    },
    client,
    context,
    options,
  );
  return parseTokenResponse(json, { flow: 'authorization-code', now: context.clock.now() });
}
