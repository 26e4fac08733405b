/**
 * The authorization-code grant with PKCE S256, `state` and `nonce` (RFC 6749 §4.1, RFC 7636,
 * OpenID Connect Core): build the sign-in URL, read the redirect the browser arrived at (the
 * device web UI's callback, a loopback listener, or a URL the administrator pasted), and
 * exchange the code.
 * @packageDocumentation
 */
import { AuthorizationError, OAuthError, SettingsError, TransportError } from '../errors.js';
import type { GrantContext } from './types.js';
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
  assertRedirectUri(options.redirectUri);
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
 * Refuses, with `ERR_INVALID_REDIRECT_URI` (kind `usage`), a redirect URI the provider must not
 * send a code to: not an absolute URL, with a fragment (RFC 6749 §3.1.2), or neither `https:`
 * nor `http:` to a loopback host (127.0.0.0/8, `[::1]`, `localhost`; RFC 8252 §7.3) — plain
 * HTTP elsewhere would carry the code across the network in clear.
 *
 * @example
 * ```ts
 * assertRedirectUri('http://127.0.0.1:8765/callback'); // passes
 * assertRedirectUri('http://printer.local/callback');   // throws ERR_INVALID_REDIRECT_URI
 * ```
 */
export function assertRedirectUri(redirectUri: string): void {
  const refuse = (reason: string): SettingsError =>
    new SettingsError('ERR_INVALID_REDIRECT_URI', `The redirect URI ${reason}`, { kind: 'usage', params: { option: 'redirectUri' } });
  // URL parsing trims and drops tabs/newlines, but the provider compares the string as sent.
  if (typeof redirectUri !== 'string' || /[\s\u0000-\u001f\u007f]/.test(redirectUri)) throw refuse('is not an absolute URL');
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    throw refuse('is not an absolute URL');
  }
  if (redirectUri.includes('#')) throw refuse('must not contain a fragment (#)');
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return;
  throw refuse('must use https://, or http:// only to 127.0.0.1, [::1] or localhost');
}

function isLoopbackHost(hostname: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) || hostname === '[::1]' || hostname.toLowerCase() === 'localhost';
}

/** What the `iss` of an authorization response (RFC 9207) must satisfy. */
export interface CallbackIssuerExpectation {
  /** The accepted issuer(s); a single one may be Microsoft's `{tenantid}` template. */
  issuer: string | readonly string[];
  /** The issuer advertises `authorization_response_iss_parameter_supported`: a response without `iss` is refused. */
  required?: boolean | undefined;
  /** With a `{tenantid}` template: the configured tenant GUID the `iss` must name. */
  tenantId?: string | undefined;
}

/** A redirect that passed every check. */
export interface AuthorizationResponse {
  /** The authorization code (secret). */
  code: string;
  /** The response's `iss` (RFC 9207), when it had one; already checked against the expectation. */
  issuer: string | undefined;
}

const TENANT_GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

/**
 * Reads the redirect the browser arrived at and returns the authorization code with the
 * response's `iss`. Refuses, with nothing exchanged: an expired authorization
 * (`ERR_AUTHORIZATION_EXPIRED`); `ERR_STATE_MISMATCH` for a URL that is not the redirect URI,
 * has another `state`, or fails RFC 9207 — an `iss` that is not the expected issuer (for a
 * `{tenantid}` template: not that shape with a tenant GUID, or another tenant than a configured
 * GUID), or no `iss` although the issuer advertises it; an `error` from the provider
 * (`ERR_AUTHORIZATION_DENIED` for `access_denied`, else `ERR_OAUTH`, RFC 6749
 * fields kept); a missing code (`ERR_PROTOCOL`).
 *
 * @example
 * ```ts
 * const { code } = readAuthorizationResponse(pending, 'http://127.0.0.1:8765/callback?code=…&state=…&iss=…', Date.now(),
 *   { issuer: 'https://login.example', required: true });
 * ```
 */
export function readAuthorizationResponse(
  pending: RedirectPending,
  callbackUrl: string,
  now: number,
  expected?: string | CallbackIssuerExpectation,
): AuthorizationResponse {
  if (now > pending.expiresAt) {
    throw new OAuthError(
      'ERR_AUTHORIZATION_EXPIRED',
      'The sign-in took too long; press Get Token again',
      { error: 'expired_token' },
      { kind: 'definite' },
    );
  }
  let url: URL;
  try {
    url = new URL(callbackUrl.trim());
  } catch {
    throw new AuthorizationError('ERR_STATE_MISMATCH', 'The pasted address is not a URL', { kind: 'usage' });
  }
  const expectedUrl = new URL(pending.redirectUri);
  if (url.origin !== expectedUrl.origin || url.pathname !== expectedUrl.pathname) {
    throw new AuthorizationError('ERR_STATE_MISMATCH', 'The address is not the redirect address of this authorization', { kind: 'usage' });
  }
  const params = url.searchParams;
  if (params.get('state') !== pending.state) {
    throw new AuthorizationError('ERR_STATE_MISMATCH', 'The redirect does not belong to this authorization (state mismatch)', {
      kind: 'usage',
    });
  }
  const iss = params.get('iss') ?? undefined;
  // RFC 9207 §2.4: checked before the error fields, which an attacker's server could also send.
  checkResponseIssuer(iss, typeof expected === 'string' ? { issuer: expected } : expected);
  const error = params.get('error');
  if (error !== null) {
    const description = params.get('error_description');
    const uri = params.get('error_uri');
    const denied = error === 'access_denied' || error === 'consent_required' || error === 'interaction_required';
    throw new OAuthError(
      denied ? 'ERR_AUTHORIZATION_DENIED' : 'ERR_OAUTH',
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
    throw new TransportError('ERR_PROTOCOL', 'The redirect carries no authorization code', { kind: 'protocol' });
  }
  return { code, issuer: iss };
}

/**
 * {@link readAuthorizationResponse}, returning only the code.
 *
 * @example
 * ```ts
 * const code = readAuthorizationCallback(pending, 'http://127.0.0.1:8765/callback?code=…&state=…', Date.now());
 * ```
 */
export function readAuthorizationCallback(
  pending: RedirectPending,
  callbackUrl: string,
  now: number,
  expected?: string | CallbackIssuerExpectation,
): string {
  return readAuthorizationResponse(pending, callbackUrl, now, expected).code;
}

function checkResponseIssuer(iss: string | undefined, expected: CallbackIssuerExpectation | undefined): void {
  if (expected === undefined) return;
  const mismatch = (why: string): AuthorizationError =>
    new AuthorizationError('ERR_STATE_MISMATCH', `The redirect ${why} (RFC 9207)`, { kind: 'usage', params: { reason: 'issuer' } });
  if (iss === undefined) {
    if (expected.required === true) throw mismatch('carries no iss although the issuer sends one');
    return;
  }
  const accepted = typeof expected.issuer === 'string' ? [expected.issuer] : expected.issuer;
  const template = accepted.length === 1 && accepted[0]?.includes('{tenantid}') === true ? accepted[0] : undefined;
  if (template === undefined) {
    if (!accepted.includes(iss)) throw mismatch('names another issuer');
    return;
  }
  const [before, after] = template.split('{tenantid}') as [string, string];
  const shape = new RegExp(`^${escapeRegExp(before)}(${TENANT_GUID})${escapeRegExp(after)}$`);
  const tenant = shape.exec(iss)?.[1];
  if (tenant === undefined) throw mismatch('names an issuer that is not a tenant of this provider');
  if (expected.tenantId !== undefined && tenant.toLowerCase() !== expected.tenantId.toLowerCase()) throw mismatch('names another tenant');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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
  return parseTokenResponse(json, { flow: 'authorization-code', now: context.clock.now(), minLifetimeMs: options.minTokenLifetimeMs });
}
