import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Flow, InteractiveFlow, PendingAuthorization, TokenSet } from '../oauth/types.js';
import type { Protocol, Security } from '../settings/types.js';

/** What every provider call receives: the injected facilities and an abort signal. */
export interface GrantContext {
  /** Aborted when the token scope leaves the state that started the call (cancel, delete, close). */
  signal: AbortSignal;
  /** The undici dispatcher for every HTTP request (proxy, custom CA, MockAgent in tests). */
  dispatcher: Dispatcher | undefined;
  /** The device clock. */
  clock: Clock;
  /** The logger (never given tokens). */
  logger: Logger;
}

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

/** One poll of a device authorization (RFC 8628 §3.5). */
export type DevicePollResult =
  | {
      /** `authorization_pending`: ask again after the interval. */
      kind: 'pending';
    }
  | {
      /** `slow_down`: ask again after the interval plus 5 seconds. */
      kind: 'slow-down';
    }
  | {
      /** The administrator approved: stop polling. */
      kind: 'tokens';
      /** The issued tokens. */
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
 * Errors are {@link MailOAuthError}s whose `kind` says how to treat them: only `definite`
 * makes a held token Invalid.
 */
export interface ProviderAdapter {
  /** The id a page's `provider` setting names (`microsoft365`, `google`, or the oidc adapter's id). */
  readonly id: string;
  /** The flows this provider supports for mail. */
  readonly flows: readonly Flow[];
  /** The interactive flow used when the caller does not choose one. */
  readonly defaultFlow: Flow;
  /** The provider's own mail servers, to pre-fill a page. */
  mailServer(protocol: Protocol): MailServer | undefined;
  /** Starts an authorization (or, for non-interactive flows, obtains tokens at once). */
  startAuthorization(request: AuthorizationRequest, context: GrantContext): Promise<AuthorizationStart>;
  /** Polls a device authorization once. */
  pollDeviceAuthorization(pending: PendingAuthorization & { flow: 'device-code' }, request: AuthorizationRequest, context: GrantContext): Promise<DevicePollResult>;
  /** Completes an authorization-code authorization from the redirect URL the browser arrived at. */
  completeAuthorization(pending: PendingAuthorization & { flow: 'authorization-code' }, callbackUrl: string, request: AuthorizationRequest, context: GrantContext): Promise<TokenSet>;
  /** Renews a token (refresh grant, or re-running a non-interactive grant). */
  refresh(tokens: TokenSet, request: AuthorizationRequest, context: GrantContext): Promise<TokenSet>;
  /** Revokes a grant at the provider, where it has an endpoint. Best effort; errors are logged, not thrown to the UI. */
  revoke?(tokens: TokenSet, context: GrantContext): Promise<void>;
}

/** The interactive flows a provider offers, in order of preference. @internal */
export function interactiveFlows(adapter: ProviderAdapter): InteractiveFlow[] {
  return adapter.flows.filter((f): f is InteractiveFlow => f === 'device-code' || f === 'authorization-code');
}
