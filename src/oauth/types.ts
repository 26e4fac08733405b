import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';

/**
 * How the administrator authorizes the device at the provider.
 * @category Pages and tokens
 */
export type InteractiveFlow = 'device-code' | 'authorization-code';

/**
 * Every way a token can be obtained.
 * @category Pages and tokens
 */
export type Flow = InteractiveFlow | 'client-credentials' | 'jwt-bearer';

/**
 * Tokens held for one scope. Serialisable; it holds secrets, so it never reaches a log,
 * an error or a snapshot shown to users.
 */
export interface TokenSet {
  /** The bearer access token. */
  accessToken: string;
  /** The refresh token, when the provider issued one. */
  refreshToken?: string;
  /** Token type, normally `Bearer`. */
  tokenType: string;
  /** Expiry as milliseconds since the epoch (clock of the device). */
  expiresAt: number;
  /** Granted scopes as the server reported them. */
  scope?: string;
  /** The signed-in account, when the provider told us (ID token `email`/`preferred_username`). */
  account?: string;
  /** The flow that produced the grant (decides how it is renewed). */
  flow: Flow;
}

/** A device authorization (RFC 8628) in progress. Holds the secret device code. */
export interface DeviceCodePending {
  /** Discriminator. */
  flow: 'device-code';
  /** Secret device code used for polling. */
  deviceCode: string;
  /** The code the administrator types at the provider. */
  userCode: string;
  /** Where the administrator goes. */
  verificationUri: string;
  /** A URI that already contains the user code, when the provider offers one. */
  verificationUriComplete?: string;
  /** When the device code expires, milliseconds since the epoch. */
  expiresAt: number;
  /** Polling interval in milliseconds (grows by 5 s on each `slow_down`). */
  intervalMs: number;
}

/** An authorization-code + PKCE authorization in progress. Holds the secret PKCE verifier. */
export interface RedirectPending {
  /** Discriminator. */
  flow: 'authorization-code';
  /** The URL the administrator opens to sign in. */
  url: string;
  /** Where the provider redirects back. */
  redirectUri: string;
  /** The `state` sent; a callback with another state is refused. */
  state: string;
  /** PKCE code verifier (secret). */
  codeVerifier: string;
  /** The `nonce` sent, checked in the ID token. */
  nonce: string;
  /** When the device stops waiting for the callback, milliseconds since the epoch. */
  expiresAt: number;
}

/** Any authorization in progress. */
export type PendingAuthorization = DeviceCodePending | RedirectPending;

/**
 * What `page.getToken()` gives the administrator to act on. Contains no secret.
 * @category Pages and tokens
 */
export type AuthorizationPrompt =
  | {
      /** Device code flow: show the code and the address. */
      kind: 'device-code';
      /** Code to enter at the provider. */
      userCode: string;
      /** Address where it is entered. */
      verificationUri: string;
      /** Address with the code already filled in, when offered. */
      verificationUriComplete?: string;
      /** Expiry, milliseconds since the epoch. */
      expiresAt: number;
    }
  | {
      /** Redirect flow: send the administrator's browser to `url`. */
      kind: 'redirect';
      /** The provider's sign-in URL. */
      url: string;
      /** Expiry, milliseconds since the epoch. */
      expiresAt: number;
    }
  | {
      /** Non-interactive flows (client credentials, JWT bearer): the token is already there. */
      kind: 'none';
    };

/** Derives the administrator-facing prompt from a pending authorization (drops the secrets). */
export function promptOf(pending: PendingAuthorization): AuthorizationPrompt {
  if (pending.flow === 'device-code') {
    const prompt: AuthorizationPrompt = {
      kind: 'device-code',
      userCode: pending.userCode,
      verificationUri: pending.verificationUri,
      expiresAt: pending.expiresAt,
    };
    if (pending.verificationUriComplete !== undefined) prompt.verificationUriComplete = pending.verificationUriComplete;
    return prompt;
  }
  return { kind: 'redirect', url: pending.url, expiresAt: pending.expiresAt };
}

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
