import type { DevicePollResult, Flow, GrantContext, InteractiveFlow, PendingAuthorization, TokenSet } from '../oauth/types.js';

import type { Protocol, Security } from '../settings/types.js';

// Owned by the protocol layer (every grant takes a context); named here too for adapter authors.
export type { DevicePollResult, GrantContext } from '../oauth/types.js';

/** What the device asks for when the administrator presses Get Token. */
export interface AuthorizationRequest {
  /** The protocol of the page: decides the scopes. */
  protocol: Protocol;
  /** The account entered on the page; the signed-in account must match it. */
  account: string;
  /** The flow chosen. */
  flow: Flow;
  /** For the authorization-code flow: where the provider redirects back. */
  redirectUri?: string;
}

/** The outcome of starting an authorization. */
export type AuthorizationStart =
  | {
      /** The administrator must act at the provider. */
      kind: 'pending';
      /** The authorization in progress. */
      pending: PendingAuthorization;
    }
  | {
      /** A non-interactive flow obtained tokens at once. */
      kind: 'tokens';
      /** The tokens. */
      tokens: TokenSet;
    };

/** A mail server a provider hosts for a protocol. */
export interface MailServer {
  /** Host name. */
  host: string;
  /** Port. */
  port: number;
  /** How the connection is secured. */
  security: Security;
}

/**
 * One interface behind which every provider (Microsoft 365, Google, any OIDC issuer) plugs in.
 * The token-scope machine calls it; transports only ever see the resulting access token.
 *
 * Errors are `MailOAuthError`s (from `mail-oauth`) whose `kind` says how to treat them: only `definite`
 * makes a held token Invalid.
 */
export interface ProviderAdapter {
  /** The id a page's `provider` setting names (`microsoft365`, `google`, or the oidc adapter's id). */
  readonly id: string;
  /** The flows this provider supports for mail. */
  readonly flows: readonly Flow[];
  /** The interactive flow used when the caller does not choose one. */
  readonly defaultFlow: Flow;
  /**
   * The provider's own mail servers, to pre-fill a page.
   *
   * @example
   * ```ts
   * const adapter: ProviderAdapter = {
   *   // …
   *   mailServer: (protocol) => (protocol === 'smtp' ? { host: 'smtp.corp.example', port: 587, security: 'starttls' } : undefined),
   * };
   * ```
   */
  mailServer(protocol: Protocol): MailServer | undefined;
  /**
   * Starts an authorization (or, for non-interactive flows, obtains tokens at once).
   *
   * @example
   * ```ts
   * async startAuthorization(request, context) {
   *   // A token service without a user: tokens at once, the page becomes Acquired.
   *   const tokens = await issueToken(request.account, request.protocol, { signal: context.signal });
   *   return { kind: 'tokens', tokens };
   * }
   * ```
   */
  startAuthorization(request: AuthorizationRequest, context: GrantContext): Promise<AuthorizationStart>;
  /**
   * Polls a device authorization once.
   *
   * @example
   * ```ts
   * async pollDeviceAuthorization(pending, request, context) {
   *   const answer = await tokenEndpoint({ device_code: deviceCodeOf(pending) }, context);
   *   if (answer.error === 'authorization_pending') return { kind: 'pending' };
   *   if (answer.error === 'slow_down') return { kind: 'slow-down' };
   *   return { kind: 'tokens', tokens: toTokenSet(answer, 'device-code') };
   * }
   * ```
   */
  pollDeviceAuthorization(
    pending: PendingAuthorization & { flow: 'device-code' },
    request: AuthorizationRequest,
    context: GrantContext,
  ): Promise<DevicePollResult>;
  /**
   * Completes an authorization-code authorization from the redirect URL the browser arrived at.
   *
   * @example
   * ```ts
   * async completeAuthorization(pending, callbackUrl, request, context) {
   *   const code = new URL(callbackUrl).searchParams.get('code') ?? '';
   *   return toTokenSet(await exchangeCode(code, pending, context), 'authorization-code');
   * }
   * ```
   */
  completeAuthorization(
    pending: PendingAuthorization & { flow: 'authorization-code' },
    callbackUrl: string,
    request: AuthorizationRequest,
    context: GrantContext,
  ): Promise<TokenSet>;
  /**
   * Renews a token (refresh grant, or re-running a non-interactive grant).
   *
   * @example
   * ```ts
   * async refresh(tokens, request, context) {
   *   const answer = await tokenEndpoint({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken ?? '' }, context);
   *   // Keep the old refresh token when the provider sends none (Google's usual answer).
   *   return { ...toTokenSet(answer, tokens.flow), refreshToken: answer.refresh_token ?? tokens.refreshToken };
   * }
   * ```
   */
  refresh(tokens: TokenSet, request: AuthorizationRequest, context: GrantContext): Promise<TokenSet>;
  /**
   * Revokes a grant at the provider, where it has an endpoint. Best effort; errors are logged, not thrown to the UI.
   *
   * @example
   * ```ts
   * async revoke(tokens, context) {
   *   await revokeAt('https://auth.corp.example/revoke', tokens.refreshToken ?? tokens.accessToken, context);
   * }
   * ```
   */
  revoke?(tokens: TokenSet, context: GrantContext): Promise<void>;
}

/** The interactive flows a provider offers, in order of preference. @internal */
export function interactiveFlows(adapter: ProviderAdapter): InteractiveFlow[] {
  return adapter.flows.filter((f): f is InteractiveFlow => f === 'device-code' || f === 'authorization-code');
}
