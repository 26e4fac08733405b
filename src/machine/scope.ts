import type { Dispatcher } from 'undici';
import { createActor, waitFor, type SnapshotFrom } from 'xstate';
import { holdProcessOpen, type Clock } from '../clock.js';
import {
  errorFromRecord,
  MailOAuthError,
  SettingsError,
  TokenStateError,
  toMailOAuthError,
  type ErrorRecord,
} from '../errors.js';
import type { Logger } from '../logger.js';
import { promptOf, type AuthorizationPrompt, type Flow, type TokenSet } from '../oauth/types.js';
import type { AuthorizationRequest, GrantContext, ProviderAdapter } from '../providers/types.js';
import type { PageSettings, Protocol } from '../settings/types.js';
import type { TokenStore } from '../store/types.js';
import type { BackoffPolicy } from './backoff.js';
import { ScopePersistence } from './persistence.js';
import type { ScopePhase, ScopeRecord } from './record.js';
import { createTokenScopeMachine, recordOf, type RenewResult, type ScopeServices, type TokenScopeMachine, type TokenStatus } from './token-scope.js';

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
  backoff: BackoffPolicy;
  random: () => number;
  persistRefreshTokens: boolean;
}

type Snapshot = SnapshotFrom<TokenScopeMachine>;

const statuses: readonly TokenStatus[] = ['not-acquired', 'waiting-for-authorization', 'acquired', 'invalid'];
const interactive: ReadonlySet<Flow> = new Set<Flow>(['device-code', 'authorization-code']);

function notConfigured(): TokenStateError {
  return new TokenStateError('ERR_NOT_CONFIGURED', 'Choose OAuth 2.0, a provider and an account name first', { kind: 'usage' });
}

function statusOf(snapshot: Snapshot): TokenStatus {
  return statuses.find((status) => snapshot.hasTag(status)) ?? 'not-acquired';
}

function phaseOf(snapshot: Snapshot): ScopePhase {
  const status = statusOf(snapshot);
  return status === 'waiting-for-authorization' ? 'authorizing' : status;
}

/** Options of {@link Scope.getToken}. @internal */
export interface GetTokenRequest {
  flow?: Flow;
  redirectUri?: string;
}

/** A Get Token whose provider request is in flight. */
interface StartingSignIn {
  flow: Flow;
  redirectUri: string | undefined;
  prompt: Promise<AuthorizationPrompt>;
  /** Rejects `prompt` with ERR_AUTHORIZATION_CANCELLED. */
  abandon(): void;
}

/**
 * One token scope: the XState actor, its persistence, and the awaitable operations the pages
 * expose. All state lives in the actor; this class only translates calls into events and waits.
 * @internal
 */
export class Scope {
  readonly id: string;
  readonly protocol: Protocol;
  readonly #deps: ScopeDeps;
  readonly #persistence: ScopePersistence;
  readonly #actor;
  /** The Get Token whose start is in flight, joined by a second request for the same flow. */
  #starting: StartingSignIn | undefined;
  /** Changes whenever a sign-in is abandoned, so that its waiters can tell. */
  #signIn = 0;

  private constructor(deps: ScopeDeps, persistence: ScopePersistence, record: ScopeRecord | undefined) {
    this.id = deps.id;
    this.protocol = deps.protocol;
    this.#deps = deps;
    this.#persistence = persistence;
    const machine = createTokenScopeMachine(this.#services());
    this.#actor = createActor(machine, { input: { record, defaults: {} }, clock: deps.clock, id: deps.id });
    this.#actor.subscribe({ error: (err: unknown) => deps.logger.error('token scope stopped on an error', { scope: deps.id, code: toMailOAuthError(err).code }) });
    this.#actor.start();
    this.#unwatch = deps.store.watch?.(deps.id, () => void this.#adoptStored()) ?? (() => undefined);
  }

  /** Stops the store's change notifications for this scope. */
  readonly #unwatch: () => void;

  /**
   * Another instance stored a token (a shared store told us): when it is newer than ours, renew
   * now. The renew path re-reads under the lock and adopts that token instead of calling the
   * provider, so callers stop using a token the other instance may already have seen rejected.
   */
  async #adoptStored(): Promise<void> {
    try {
      if (this.#closed || !this.#actor.getSnapshot().matches({ acquired: 'ready' })) return;
      const stored = await this.#persistence.load();
      const snapshot = this.#actor.getSnapshot();
      const { tokens, obtainedAt } = snapshot.context;
      const newer = stored?.phase === 'acquired' && stored.tokens !== undefined && stored.tokens.accessToken !== tokens?.accessToken && (stored.obtainedAt ?? 0) > (obtainedAt ?? 0);
      if (newer && !this.#closed && snapshot.matches({ acquired: 'ready' })) this.#actor.send({ type: 'REFRESH' });
    } catch (err) {
      this.#deps.logger.warn('could not read a token another instance stored', { scope: this.id, code: toMailOAuthError(err).code });
    }
  }

  /** Loads the scope's record and starts its actor. Throws a StoreError for unreadable records. */
  static async open(deps: ScopeDeps): Promise<Scope> {
    const persistence = new ScopePersistence(deps.store, deps.id, { persistRefreshTokens: deps.persistRefreshTokens, logger: deps.logger });
    const record = await persistence.load();
    return new Scope(deps, persistence, record);
  }

  get status(): TokenStatus {
    return statusOf(this.#actor.getSnapshot());
  }

  get settings(): PageSettings {
    return structuredClone(this.#actor.getSnapshot().context.settings);
  }

  /** Why the scope is Invalid, or the last failure of an operation; non-secret. */
  get lastError(): ErrorRecord | undefined {
    const { context } = this.#actor.getSnapshot();
    return context.invalidReason ?? context.lastError;
  }

  /** The prompt of the authorization in progress, if any. */
  get prompt(): AuthorizationPrompt | undefined {
    const { pending } = this.#actor.getSnapshot().context;
    return pending === undefined ? undefined : promptOf(pending);
  }

  /** The account the token was issued to, when known. */
  get tokenAccount(): string | undefined {
    return this.#actor.getSnapshot().context.tokens?.account;
  }

  subscribe(listener: (status: TokenStatus) => void): () => void {
    let last = this.status;
    const subscription = this.#actor.subscribe((snapshot) => {
      const status = statusOf(snapshot);
      if (status === last) return;
      last = status;
      listener(status);
    });
    return () => subscription.unsubscribe();
  }

  async configure(settings: PageSettings): Promise<void> {
    this.#assertOpen();
    const snapshot = this.#actor.getSnapshot();
    const current = snapshot.context.settings;
    const holdsGrant = snapshot.context.tokens !== undefined || snapshot.context.pending !== undefined;
    if (holdsGrant && (settings.provider !== current.provider || settings.account?.toLowerCase() !== current.account?.toLowerCase())) {
      throw new SettingsError('ERR_SETTINGS_LOCKED_BY_TOKEN', 'Delete the token before changing the provider or the account', { kind: 'usage' });
    }
    this.#actor.send({ type: 'CONFIGURE', settings });
    const after = this.#actor.getSnapshot();
    try {
      await this.#persistence.save(recordOf(after.context, phaseOf(after)));
    } catch (err) {
      const error = toMailOAuthError(err);
      if (!this.#closed) this.#actor.send({ type: 'CONFIGURE_FAILED', settings: after.context.settings, previous: current, error: error.toJSON() });
      throw error;
    }
    if (!this.#closed) this.#actor.send({ type: 'CONFIGURE_SAVED' });
  }

  /**
   * Starts a sign-in, or joins the one in progress. Rule for a second Get Token while one is
   * starting or waiting: the same flow (and redirect URI) gets the same prompt; another flow
   * replaces the first, whose callers still waiting (getToken, authorizationSettled) reject with
   * ERR_AUTHORIZATION_CANCELLED, so nobody keeps a prompt the device abandoned without being told.
   */
  async getToken(request: GetTokenRequest): Promise<AuthorizationPrompt> {
    this.#assertOpen();
    let snapshot = this.#actor.getSnapshot();
    // Other work (a deletion, a code exchange) ends first; a start in flight is joined or replaced below.
    if (snapshot.hasTag('busy') && !snapshot.matches({ authorizing: 'starting' })) snapshot = await this.#waitIdle(snapshot.context.errorSeq);
    if (snapshot.hasTag('acquired')) {
      throw new TokenStateError('ERR_TOKEN_ALREADY_ACQUIRED', 'A token is already acquired; delete it first', { kind: 'usage' });
    }
    const adapter = this.#requireConfigured();
    const flow = request.flow ?? adapter.defaultFlow;
    if (!adapter.flows.includes(flow)) {
      throw new TokenStateError('ERR_FLOW_UNSUPPORTED', `Provider "${adapter.id}" does not support the ${flow} flow for mail`, { kind: 'configuration', params: { flow, provider: adapter.id } });
    }
    const { redirectUri } = request;
    const starting = this.#starting;
    if (starting !== undefined && starting.flow === flow && starting.redirectUri === redirectUri) return starting.prompt;
    snapshot = this.#actor.getSnapshot();
    const { pending } = snapshot.context;
    if (
      starting === undefined &&
      snapshot.hasTag('waiting-for-authorization') &&
      pending?.flow === flow &&
      (pending.flow !== 'authorization-code' || redirectUri === undefined || pending.redirectUri === redirectUri)
    ) {
      return promptOf(pending);
    }
    this.#abandonSignIn();
    const seq = snapshot.context.errorSeq;
    let abandon!: () => void;
    const abandoned = new Promise<never>((_, reject) => {
      abandon = () => reject(new TokenStateError('ERR_AUTHORIZATION_CANCELLED', 'The sign-in was cancelled or replaced by another Get Token', { kind: 'usage' }));
    });
    this.#actor.send(redirectUri === undefined ? { type: 'GET_TOKEN', flow } : { type: 'GET_TOKEN', flow, redirectUri });
    const started = (async (): Promise<AuthorizationPrompt> => {
      const after = await this.#waitIdle(seq);
      if (after.context.errorSeq !== seq && !after.hasTag('acquired')) throw errorFromRecord(after.context.lastError as ErrorRecord);
      if (after.hasTag('acquired')) return { kind: 'none' };
      const { pending: next } = after.context;
      if (next === undefined) throw new TokenStateError('ERR_AUTHORIZATION_NOT_PENDING', 'The authorization did not start', { kind: 'transient' });
      return promptOf(next);
    })();
    const entry: StartingSignIn = { flow, redirectUri, abandon, prompt: Promise.race([started, abandoned]) };
    this.#starting = entry;
    void entry.prompt
      .catch(() => undefined)
      .finally(() => {
        if (this.#starting === entry) this.#starting = undefined;
      });
    return entry.prompt;
  }

  /** Tells the callers of the sign-in in progress (if any) that it is being abandoned. */
  #abandonSignIn(): void {
    this.#starting?.abandon();
    this.#starting = undefined;
    this.#signIn += 1;
  }

  async completeAuthorization(callbackUrl: string): Promise<void> {
    this.#assertOpen();
    const snapshot = this.#actor.getSnapshot();
    if (!snapshot.matches({ authorizing: 'awaitingCallback' })) {
      throw new TokenStateError('ERR_AUTHORIZATION_NOT_PENDING', 'No sign-in is waiting for a redirect', { kind: 'usage' });
    }
    const seq = snapshot.context.errorSeq;
    this.#actor.send({ type: 'CALLBACK', url: callbackUrl });
    const after = await this.#waitIdle(seq);
    if (after.context.errorSeq !== seq) throw errorFromRecord(after.context.lastError as ErrorRecord);
  }

  /** Resolves when the scope leaves Waiting for Authorization; rejects with the reason when it did not end Acquired. */
  async authorizationSettled(): Promise<void> {
    this.#assertOpen();
    const seq = this.#actor.getSnapshot().context.errorSeq;
    const signIn = this.#signIn;
    const after = await this.#wait((s) => this.#signIn !== signIn || (!s.hasTag('waiting-for-authorization') && !s.hasTag('busy')));
    if (this.#signIn !== signIn) {
      throw new TokenStateError('ERR_AUTHORIZATION_CANCELLED', 'The sign-in was cancelled or replaced by another Get Token', { kind: 'usage' });
    }
    if (after.hasTag('acquired')) return;
    if (after.context.errorSeq !== seq && after.context.lastError !== undefined) throw errorFromRecord(after.context.lastError);
    throw new TokenStateError('ERR_AUTHORIZATION_CANCELLED', 'The authorization ended without a token', { kind: 'usage' });
  }

  cancel(): void {
    this.#assertOpen();
    if (this.#actor.getSnapshot().hasTag('waiting-for-authorization')) this.#abandonSignIn();
    this.#actor.send({ type: 'CANCEL' });
  }

  async deleteToken(): Promise<void> {
    this.#assertOpen();
    const seq = this.#actor.getSnapshot().context.errorSeq;
    this.#actor.send({ type: 'DELETE' });
    const after = await this.#waitIdle(seq);
    if (after.context.errorSeq !== seq && after.context.lastError !== undefined) throw errorFromRecord(after.context.lastError);
  }

  /**
   * The current access token, renewed first when due. With `rejected`, the caller reports that a
   * server refused that token: one forced renewal is shared by every caller that reports it.
   */
  async accessToken(rejected?: string): Promise<string> {
    this.#assertOpen();
    let force = rejected !== undefined;
    for (let round = 0; round < 4; round++) {
      const snapshot = this.#actor.getSnapshot();
      const { tokens } = snapshot.context;
      const now = this.#deps.clock.now();
      if (force && tokens !== undefined && tokens.accessToken !== rejected && snapshot.matches({ acquired: 'ready' })) return tokens.accessToken;
      if (!force && tokens !== undefined) {
        if (snapshot.matches({ acquired: 'ready' }) && !this.#renewalDue(snapshot)) return tokens.accessToken;
        if (snapshot.matches({ acquired: 'backoff' }) && now < tokens.expiresAt) return tokens.accessToken;
      }
      if (snapshot.hasTag('invalid')) throw this.#invalidError(snapshot);
      if (!snapshot.hasTag('acquired')) {
        throw new TokenStateError('ERR_TOKEN_NOT_ACQUIRED', 'No token has been acquired for this page', { kind: 'usage', params: { status: statusOf(snapshot) } });
      }
      const seq = snapshot.context.errorSeq;
      if (!snapshot.hasTag('busy')) this.#actor.send({ type: force ? 'REFRESH' : 'TOKEN_NEEDED' });
      force = false;
      const after = await this.#waitIdle(seq);
      if (after.context.errorSeq !== seq && !after.matches({ acquired: 'ready' })) {
        const held = after.context.tokens;
        if (after.matches({ acquired: 'backoff' }) && held !== undefined && this.#deps.clock.now() < held.expiresAt && rejected === undefined) {
          return held.accessToken;
        }
        if (after.hasTag('invalid')) throw this.#invalidError(after);
        const cause = after.context.lastError === undefined ? undefined : errorFromRecord(after.context.lastError);
        // Keep the provider's hint (an AADSTS explanation, say): a configuration problem needs the admin.
        throw new TokenStateError('ERR_TOKEN_REFRESH_UNAVAILABLE', 'The token could not be renewed now; the device will retry', {
          kind: 'transient',
          cause,
          ...(cause === undefined ? {} : { params: { reason: cause.code } }),
          ...(cause?.hint === undefined ? {} : { hint: cause.hint }),
        });
      }
    }
    throw new TokenStateError('ERR_TOKEN_REFRESH_UNAVAILABLE', 'The token could not be renewed now; the device will retry', { kind: 'transient' });
  }

  /** Stops the actor (aborting anything in flight) and waits for queued writes. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#unwatch();
    this.#actor.stop();
    await this.#persistence.flush();
  }

  /** Closed is the actor's own state: stopped actors are never restarted. */
  get #closed(): boolean {
    return this.#actor.getSnapshot().status === 'stopped';
  }

  #assertOpen(): void {
    if (this.#closed) throw new TokenStateError('ERR_DEVICE_CLOSED', 'The device has been closed', { kind: 'usage' });
  }

  #renewalDue(snapshot: Snapshot): boolean {
    // Same rule as the machine's renewalDue guard, read from outside to avoid an event per call.
    const { tokens, obtainedAt } = snapshot.context;
    if (tokens === undefined) return true;
    const life = obtainedAt === undefined ? Infinity : tokens.expiresAt - obtainedAt;
    const margin = Math.min(this.#deps.refreshMarginMs, Math.max(0, life / 2));
    return this.#deps.clock.now() >= tokens.expiresAt - margin;
  }

  #invalidError(snapshot: Snapshot): MailOAuthError {
    const reason = snapshot.context.invalidReason;
    const cause = reason === undefined ? undefined : errorFromRecord(reason);
    const code = reason?.code === 'ERR_NO_REFRESH_TOKEN' ? 'ERR_NO_REFRESH_TOKEN' : reason?.code === 'ERR_TOKEN_INVALID' || reason === undefined ? 'ERR_TOKEN_INVALID' : 'ERR_TOKEN_REFRESH_FAILED';
    const options = { kind: 'definite' as const, cause, params: { reason: reason?.code ?? 'ERR_TOKEN_INVALID' } };
    return new TokenStateError(code, 'Token update failed. Please delete the token and obtain it again.', reason?.hint === undefined ? options : { ...options, hint: reason.hint });
  }

  /** The adapter for Get Token: the page must have chosen OAuth 2.0 as well as a provider and an account. */
  #requireConfigured(): ProviderAdapter {
    const settings = this.#actor.getSnapshot().context.settings;
    if (settings.authMethod !== 'oauth2') throw notConfigured();
    return this.#request(settings, 'device-code').adapter;
  }

  #wait(predicate: (snapshot: Snapshot) => boolean): Promise<Snapshot> {
    // The machine's timers are unref'd (background renewals must not hold a process open), so a
    // caller awaiting one of them holds the process open until its wait settles.
    const release = holdProcessOpen();
    return waitFor(this.#actor, predicate)
      .catch((err: unknown) => {
        if (this.#closed) throw new TokenStateError('ERR_DEVICE_CLOSED', 'The device was closed while waiting', { kind: 'usage' });
        throw toMailOAuthError(err);
      })
      .finally(release);
  }

  #waitIdle(seq: number): Promise<Snapshot> {
    return this.#wait((s) => !s.hasTag('busy') || s.context.errorSeq !== seq);
  }

  async #grantContext(signal: AbortSignal): Promise<GrantContext> {
    return { signal, dispatcher: await this.#deps.dispatcher(), clock: this.#deps.clock, logger: this.#deps.logger };
  }

  #request(settings: PageSettings, flow: Flow, redirectUri?: string): { adapter: ProviderAdapter; request: AuthorizationRequest } {
    const adapter = settings.provider === undefined ? undefined : this.#deps.providers.get(settings.provider);
    if (adapter === undefined || settings.account === undefined) throw notConfigured();
    const request: AuthorizationRequest = { protocol: this.protocol, account: settings.account, flow };
    if (redirectUri !== undefined) request.redirectUri = redirectUri;
    return { adapter, request };
  }

  #services(): ScopeServices {
    const deps = this.#deps;
    const persistence = (): ScopePersistence => this.#persistence;
    const scopeId = deps.id;
    return {
      now: () => deps.clock.now(),
      random: deps.random,
      refreshMarginMs: deps.refreshMarginMs,
      backoff: deps.backoff,
      start: async ({ settings, flow, redirectUri }, signal) => {
        const { adapter, request } = this.#request(settings, flow, redirectUri);
        deps.logger.info('authorization started', { scope: scopeId, provider: adapter.id, flow });
        return adapter.startAuthorization(request, await this.#grantContext(signal));
      },
      poll: async ({ settings, pending }, signal) => {
        const { adapter, request } = this.#request(settings, 'device-code');
        return adapter.pollDeviceAuthorization(pending, request, await this.#grantContext(signal));
      },
      exchange: async ({ settings, pending, url }, signal) => {
        const { adapter, request } = this.#request(settings, 'authorization-code', pending.redirectUri);
        return adapter.completeAuthorization(pending, url, request, await this.#grantContext(signal));
      },
      renew: ({ settings, tokens, record }, signal) =>
        persistence().withLock(async (): Promise<RenewResult> => {
          // Another process on the device may have renewed already: use its token, don't spend ours.
          const stored = await persistence().load();
          const now = deps.clock.now();
          // Adopt a token obtained after ours; if it is itself due, the machine renews again from it.
          if (stored?.phase === 'acquired' && stored.tokens !== undefined && stored.tokens.accessToken !== tokens.accessToken && (stored.obtainedAt ?? 0) >= (record.obtainedAt ?? 0)) {
            const adopted: TokenSet = stored.tokens.refreshToken === undefined && tokens.refreshToken !== undefined ? { ...stored.tokens, refreshToken: tokens.refreshToken } : stored.tokens;
            return { saved: true, tokens: adopted, obtainedAt: stored.obtainedAt ?? now };
          }
          if (tokens.refreshToken === undefined && interactive.has(tokens.flow)) {
            throw new TokenStateError('ERR_NO_REFRESH_TOKEN', 'The token cannot be renewed: no refresh token is held', {
              kind: 'definite',
              ...(record.refreshTokenWithheld === true || !deps.persistRefreshTokens ? { hint: 'Refresh tokens are not stored on this device by policy.' } : {}),
            });
          }
          const { adapter, request } = this.#request(settings, tokens.flow);
          const renewed = await adapter.refresh(tokens, request, await this.#grantContext(signal));
          // A response without a refresh token keeps the one we have (Google's usual answer).
          const next: TokenSet = renewed.refreshToken === undefined && tokens.refreshToken !== undefined ? { ...renewed, refreshToken: tokens.refreshToken } : renewed;
          const obtainedAt = deps.clock.now();
          try {
            await persistence().writeLocked({ ...record, tokens: next, obtainedAt });
            deps.logger.info('token renewed', { scope: scopeId });
            return { saved: true, tokens: next, obtainedAt };
          } catch (err) {
            return { saved: false, tokens: next, obtainedAt, error: toMailOAuthError(err).toJSON() };
          }
        }),
      save: (record) => persistence().save(record),
      saveLater: (record) => persistence().saveLater(record),
      revoke: async ({ settings, tokens }, signal) => {
        const adapter = settings.provider === undefined ? undefined : deps.providers.get(settings.provider);
        if (adapter?.revoke === undefined) return;
        try {
          await adapter.revoke(tokens, await this.#grantContext(signal));
        } catch (err) {
          deps.logger.warn('token revocation failed; the token was deleted locally', { scope: scopeId, code: toMailOAuthError(err).code });
        }
      },
    };
  }
}
