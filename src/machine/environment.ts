import type { Dispatcher } from 'undici';
import type { InspectionEvent } from 'xstate';
import type { Clock } from '../clock.js';
import { OAuthError, TokenStateError, toMailOAuthError } from '../errors.js';
import type { EventFact } from '../events.js';
import type { Logger } from '../logger.js';
import type { Flow, PendingAuthorization, TokenSet } from '../oauth/types.js';
import type { AuthorizationRequest, AuthorizationStart, DevicePollResult, GrantContext, ProviderAdapter } from '../providers/types.js';
import type { PageSettings, Protocol } from '../settings/types.js';
import type { TokenStore } from '../store/types.js';
import type { BackoffPolicy } from './backoff.js';
import type { ScopePersistence } from './persistence.js';
import type { ScopeRecord } from './record.js';
import { notConfigured } from './replies.js';
import type { ProviderFacts, RenewResult, ScopeServices } from './token-scope.js';

/** What a scope needs from the device. @internal */
export interface ScopeDeps {
  id: string;
  protocol: Protocol;
  store: TokenStore;
  clock: Clock;
  logger: Logger;
  /** The HTTP dispatcher, resolved on first use (an agent with the device's CA is built lazily). */
  dispatcher: () => Promise<Dispatcher | undefined>;
  providers: ReadonlyMap<string, ProviderAdapter>;
  refreshMarginMs: number;
  /** Renew a refresh token unused this long (ms); 0 turns the keep-alive off. */
  keepAliveMs: number;
  backoff: BackoffPolicy;
  random: () => number;
  persistRefreshTokens: boolean;
  /** Receives the machine's lifecycle facts (no secrets); the device stamps and publishes them. */
  onEvent?: (fact: EventFact) => void;
  /** Receives the actor's inspection events (model-based tests trace every transition taken). */
  inspect?: (event: InspectionEvent) => void;
}

// Answers that say the refresh token was already spent (rotation with reuse detection): Keycloak,
// Auth0/Okta-style wording, Microsoft's "already redeemed". oidc-provider's "grant request is
// invalid" says nothing more and is left without this hint.
const REPLAYED = /reuse|already (been )?(used|redeemed)|stale token|AADSTS54005/i;

/** Said when the provider shows a replayed refresh token: typically a token file restored onto a second device. */
export const REPLAYED_HINT =
  'The refresh token was already used: was the token file copied to another device (a settings backup)? Delete the token on both devices and obtain a new one on each.';

function withReplayHint(err: unknown): unknown {
  if (!(err instanceof OAuthError) || err.error !== 'invalid_grant' || err.hint !== undefined || !REPLAYED.test(err.errorDescription ?? ''))
    return err;
  const details = {
    error: err.error,
    ...(err.errorDescription === undefined ? {} : { errorDescription: err.errorDescription }),
    ...(err.status === undefined ? {} : { status: err.status }),
  };
  return new OAuthError(err.code, err.message, details, { kind: err.kind, params: err.params, hint: REPLAYED_HINT, cause: err });
}

const interactive: ReadonlySet<Flow> = new Set<Flow>(['device-code', 'authorization-code']);

/**
 * Binds the shared token-scope machine to one scope's provider, store and clock. A class, so
 * that its methods live once on the prototype rather than as closures in every scope.
 * @internal
 */
export class ScopeEnvironment implements ScopeServices {
  readonly #deps: ScopeDeps;
  readonly #persistence: ScopePersistence;

  constructor(deps: ScopeDeps, persistence: ScopePersistence) {
    this.#deps = deps;
    this.#persistence = persistence;
  }

  now(): number {
    return this.#deps.clock.now();
  }

  random(): number {
    return this.#deps.random();
  }

  get refreshMarginMs(): number {
    return this.#deps.refreshMarginMs;
  }

  get keepAliveMs(): number {
    return this.#deps.keepAliveMs;
  }

  get backoff(): BackoffPolicy {
    return this.#deps.backoff;
  }

  provider(settings: PageSettings): ProviderFacts | undefined {
    return settings.provider === undefined ? undefined : this.#deps.providers.get(settings.provider);
  }

  async start(
    { settings, flow, redirectUri }: { settings: PageSettings; flow: Flow; redirectUri: string | undefined },
    signal: AbortSignal,
  ): Promise<AuthorizationStart> {
    const { adapter, request } = this.#request(settings, flow, redirectUri);
    return adapter.startAuthorization(request, await this.#grantContext(signal));
  }

  async poll(
    { settings, pending }: { settings: PageSettings; pending: PendingAuthorization & { flow: 'device-code' } },
    signal: AbortSignal,
  ): Promise<DevicePollResult> {
    const { adapter, request } = this.#request(settings, 'device-code');
    return adapter.pollDeviceAuthorization(pending, request, await this.#grantContext(signal));
  }

  async exchange(
    { settings, pending, url }: { settings: PageSettings; pending: PendingAuthorization & { flow: 'authorization-code' }; url: string },
    signal: AbortSignal,
  ): Promise<TokenSet> {
    const { adapter, request } = this.#request(settings, 'authorization-code', pending.redirectUri);
    return adapter.completeAuthorization(pending, url, request, await this.#grantContext(signal));
  }

  renew(
    { settings, tokens, record }: { settings: PageSettings; tokens: TokenSet; record: ScopeRecord },
    signal: AbortSignal,
  ): Promise<RenewResult> {
    const deps = this.#deps;
    const persistence = this.#persistence;
    return persistence.withLock(async (): Promise<RenewResult> => {
      // Another process on the device may have renewed already: use its token, don't spend ours.
      const stored = await persistence.load();
      const now = deps.clock.now();
      // Adopt a token obtained after ours; if it is itself due, the machine renews again from it.
      if (
        stored?.phase === 'acquired' &&
        stored.tokens !== undefined &&
        stored.tokens.accessToken !== tokens.accessToken &&
        (stored.obtainedAt ?? 0) >= (record.obtainedAt ?? 0)
      ) {
        const adopted: TokenSet =
          stored.tokens.refreshToken === undefined && tokens.refreshToken !== undefined
            ? { ...stored.tokens, refreshToken: tokens.refreshToken }
            : stored.tokens;
        return { saved: true, tokens: adopted, obtainedAt: stored.obtainedAt ?? now };
      }
      if (tokens.refreshToken === undefined && interactive.has(tokens.flow)) {
        throw new TokenStateError('ERR_NO_REFRESH_TOKEN', 'The token cannot be renewed: no refresh token is held', {
          kind: 'definite',
          ...(record.refreshTokenWithheld === true || !deps.persistRefreshTokens
            ? { hint: 'Refresh tokens are not stored on this device by policy.' }
            : {}),
        });
      }
      const { adapter, request } = this.#request(settings, tokens.flow);
      const renewed = await adapter.refresh(tokens, request, await this.#grantContext(signal)).catch((err: unknown) => {
        throw withReplayHint(err);
      });
      // A response without a refresh token keeps the one we have (Google's usual answer).
      const next: TokenSet =
        renewed.refreshToken === undefined && tokens.refreshToken !== undefined
          ? { ...renewed, refreshToken: tokens.refreshToken }
          : renewed;
      const obtainedAt = deps.clock.now();
      try {
        await persistence.writeLocked({ ...record, tokens: next, obtainedAt });
        return { saved: true, tokens: next, obtainedAt };
      } catch (err) {
        return { saved: false, tokens: next, obtainedAt, error: toMailOAuthError(err).toJSON() };
      }
    });
  }

  save(record: ScopeRecord): Promise<void> {
    return this.#persistence.save(record);
  }

  saveLater(record: ScopeRecord): void {
    this.#persistence.saveLater(record);
  }

  async loadStored(): Promise<ScopeRecord | undefined> {
    try {
      return await this.#persistence.load();
    } catch (err) {
      this.#deps.logger.warn('could not read a token another instance stored', { scope: this.#deps.id, code: toMailOAuthError(err).code });
      return undefined;
    }
  }

  async revoke({ settings, tokens }: { settings: PageSettings; tokens: TokenSet }, signal: AbortSignal): Promise<boolean> {
    const adapter = settings.provider === undefined ? undefined : this.#deps.providers.get(settings.provider);
    if (adapter?.revoke === undefined) return false;
    try {
      await adapter.revoke(tokens, await this.#grantContext(signal));
      return true;
    } catch (err) {
      this.#deps.logger.warn('token revocation failed; the token was deleted locally', {
        scope: this.#deps.id,
        code: toMailOAuthError(err).code,
      });
      return false;
    }
  }

  async #grantContext(signal: AbortSignal): Promise<GrantContext> {
    return { signal, dispatcher: await this.#deps.dispatcher(), clock: this.#deps.clock, logger: this.#deps.logger };
  }

  #request(settings: PageSettings, flow: Flow, redirectUri?: string): { adapter: ProviderAdapter; request: AuthorizationRequest } {
    const adapter = settings.provider === undefined ? undefined : this.#deps.providers.get(settings.provider);
    if (adapter === undefined || settings.account === undefined) throw notConfigured();
    const request: AuthorizationRequest = { protocol: this.#deps.protocol, account: settings.account, flow };
    if (redirectUri !== undefined) request.redirectUri = redirectUri;
    return { adapter, request };
  }
}
