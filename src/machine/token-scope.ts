import { assign, fromPromise, setup } from 'xstate';
import type { ErrorRecord } from '../errors.js';
import { AuthorizationError, toMailOAuthError } from '../errors.js';
import type { Flow, PendingAuthorization, TokenSet } from '../oauth/types.js';
import { MAX_DEVICE_INTERVAL_MS, MIN_DEVICE_INTERVAL_MS } from '../oauth/device-code.js';
import type { AuthorizationStart, DevicePollResult } from '../providers/types.js';
import type { PageSettings } from '../settings/types.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { ScopePhase, ScopeRecord } from './record.js';

/** The statuses the device shows, as the manual names them. */
export type TokenStatus = 'not-acquired' | 'waiting-for-authorization' | 'acquired' | 'invalid';

/** The result of a renewal: the new tokens, and whether they were durably stored. @internal */
export type RenewResult =
  | { saved: true; tokens: TokenSet; obtainedAt: number }
  | { saved: false; tokens: TokenSet; obtainedAt: number; error: ErrorRecord };

/**
 * Everything a token-scope machine does outside itself. The device facade binds these to the
 * provider adapter, the store and the lock; tests bind doubles. Each call gets an AbortSignal
 * that fires when the machine leaves the state that started it.
 * @internal
 */
export interface ScopeServices {
  /** Current time, ms since the epoch (the same clock the actor's timers run on). */
  now(): number;
  /** Uniform random number in [0, 1) for back-off jitter. */
  random(): number;
  /** Renew this long before expiry (ms). */
  refreshMarginMs: number;
  /** Back-off for transient failures. */
  backoff: BackoffPolicy;
  start(input: { settings: PageSettings; flow: Flow; redirectUri: string | undefined }, signal: AbortSignal): Promise<AuthorizationStart>;
  poll(input: { settings: PageSettings; pending: PendingAuthorization & { flow: 'device-code' } }, signal: AbortSignal): Promise<DevicePollResult>;
  exchange(input: { settings: PageSettings; pending: PendingAuthorization & { flow: 'authorization-code' }; url: string }, signal: AbortSignal): Promise<TokenSet>;
  /** Refreshes under the store lock, adopting a newer stored token if another process already refreshed, and persists before returning. */
  renew(input: { settings: PageSettings; tokens: TokenSet; record: ScopeRecord }, signal: AbortSignal): Promise<RenewResult>;
  /** Durably writes a record; resolves only once it is stored. */
  save(record: ScopeRecord, signal: AbortSignal): Promise<void>;
  /** Writes a record in the background (status changes that gate nothing). */
  saveLater(record: ScopeRecord): void;
  /** Best-effort revocation at the provider. Never throws. */
  revoke(input: { settings: PageSettings; tokens: TokenSet }, signal: AbortSignal): Promise<void>;
}

/** Serialisable context of a token scope. Holds secrets: never log or print it. @internal */
export interface ScopeContext {
  settings: PageSettings;
  tokens: TokenSet | undefined;
  obtainedAt: number | undefined;
  refreshTokenWithheld: boolean;
  pending: PendingAuthorization | undefined;
  flow: Flow | undefined;
  invalidReason: ErrorRecord | undefined;
  /** The most recent failure, for callers waiting on an operation. */
  lastError: ErrorRecord | undefined;
  /** Increments with every failure so a waiting caller can tell a new failure from an old one. */
  errorSeq: number;
  /** Consecutive transient failures (drives back-off). */
  attempt: number;
}

/** Events a token scope accepts. @internal */
export type ScopeEvent =
  | { type: 'CONFIGURE'; settings: PageSettings }
  | { type: 'CONFIGURE_SAVED' }
  | { type: 'CONFIGURE_FAILED'; settings: PageSettings; previous: PageSettings; error: ErrorRecord }
  | { type: 'GET_TOKEN'; flow: Flow; redirectUri?: string }
  | { type: 'CALLBACK'; url: string }
  | { type: 'CANCEL' }
  | { type: 'DELETE' }
  | { type: 'TOKEN_NEEDED' }
  | { type: 'REFRESH' };

/** Input of a token-scope actor: the record restored from the store, if any. @internal */
export interface ScopeInput {
  record: ScopeRecord | undefined;
  /** Settings used when there is no record (a page's defaults). */
  defaults: PageSettings;
}

/** Builds the record a context persists as in a given phase. @internal */
export function recordOf(context: ScopeContext, phase: ScopePhase): ScopeRecord {
  const record: ScopeRecord = { v: 1, settings: context.settings, phase };
  if ((phase === 'acquired' || phase === 'invalid') && context.tokens !== undefined) {
    record.tokens = context.tokens;
    if (context.obtainedAt !== undefined) record.obtainedAt = context.obtainedAt;
    if (context.refreshTokenWithheld) record.refreshTokenWithheld = true;
  }
  if (phase === 'authorizing' && context.pending !== undefined) {
    record.pending = context.pending;
    if (context.flow !== undefined) record.flow = context.flow;
  }
  if (phase === 'invalid' && context.invalidReason !== undefined) record.invalidReason = context.invalidReason;
  return record;
}

function errorRecord(err: unknown): ErrorRecord {
  return toMailOAuthError(err).toJSON();
}

function failed(context: ScopeContext, err: unknown): Partial<ScopeContext> {
  return { lastError: errorRecord(err), errorSeq: context.errorSeq + 1 };
}

const authorizationExpired = (): AuthorizationError =>
  new AuthorizationError('ERR_AUTHORIZATION_EXPIRED', 'The authorization expired before it was completed', { kind: 'definite' });

const cleared = { tokens: undefined, obtainedAt: undefined, refreshTokenWithheld: false, pending: undefined, flow: undefined, invalidReason: undefined } as const;

/**
 * The token-scope machine: one actor per token scope (a set of linked settings pages).
 * Each state carries a tag naming the status it shows; see `docs/state-machine.md`.
 * @internal
 */
export function createTokenScopeMachine(services: ScopeServices) {
  // Proactive refresh margin, bounded to half the token's life so short-lived tokens do not spin.
  const marginFor = (context: ScopeContext): number => {
    const { tokens, obtainedAt } = context;
    if (tokens === undefined) return services.refreshMarginMs;
    const life = obtainedAt === undefined ? Infinity : tokens.expiresAt - obtainedAt;
    return Math.min(services.refreshMarginMs, Math.max(0, life / 2));
  };
  const renewAt = (context: ScopeContext): number =>
    context.tokens === undefined ? 0 : context.tokens.expiresAt - marginFor(context);
  const retryDelay = (context: ScopeContext): number =>
    backoffDelay(services.backoff, context.attempt, services.random(), context.lastError?.retryAfterMs);

  return setup({
    types: {
      context: {} as ScopeContext,
      events: {} as ScopeEvent,
      input: {} as ScopeInput,
      tags: {} as TokenStatus | 'busy',
    },
    actors: {
      start: fromPromise<AuthorizationStart, { settings: PageSettings; flow: Flow; redirectUri: string | undefined }>(
        ({ input, signal }) => services.start(input, signal),
      ),
      poll: fromPromise<DevicePollResult, { settings: PageSettings; pending: PendingAuthorization }>(({ input, signal }) =>
        services.poll({ settings: input.settings, pending: input.pending as PendingAuthorization & { flow: 'device-code' } }, signal),
      ),
      exchange: fromPromise<TokenSet, { settings: PageSettings; pending: PendingAuthorization; url: string }>(({ input, signal }) =>
        services.exchange(
          { settings: input.settings, pending: input.pending as PendingAuthorization & { flow: 'authorization-code' }, url: input.url },
          signal,
        ),
      ),
      renew: fromPromise<RenewResult, { settings: PageSettings; tokens: TokenSet; record: ScopeRecord }>(({ input, signal }) =>
        services.renew(input, signal),
      ),
      save: fromPromise<void, ScopeRecord>(({ input, signal }) => services.save(input, signal)),
      remove: fromPromise<void, { settings: PageSettings; tokens: TokenSet | undefined; record: ScopeRecord }>(
        async ({ input, signal }) => {
          await services.save(input.record, signal);
          // Local deletion must not wait on, or fail because of, the provider; and a token the
          // device still holds (its deletion could not be stored) must not be revoked under it.
          if (input.tokens !== undefined) void services.revoke({ settings: input.settings, tokens: input.tokens }, signal);
        },
      ),
    },
    guards: {
      restoredAcquired: ({ context }) => context.tokens !== undefined && context.invalidReason === undefined && context.pending === undefined,
      restoredInvalid: ({ context }) => context.invalidReason !== undefined,
      restoredDeviceCode: ({ context }) => context.pending?.flow === 'device-code' && context.pending.expiresAt > services.now(),
      restoredRedirect: ({ context }) => context.pending?.flow === 'authorization-code' && context.pending.expiresAt > services.now(),
      hasTokens: ({ event }) => (event as unknown as { output: AuthorizationStart }).output.kind === 'tokens',
      isDeviceCode: ({ event }) => {
        const output = (event as unknown as { output: AuthorizationStart }).output;
        return output.kind === 'pending' && output.pending.flow === 'device-code';
      },
      pollHasTokens: ({ event }) => (event as unknown as { output: DevicePollResult }).output.kind === 'tokens',
      pollSlowDown: ({ event }) => (event as unknown as { output: DevicePollResult }).output.kind === 'slow-down',
      definiteFailure: ({ event }) => {
        const kind = toMailOAuthError((event as unknown as { error: unknown }).error).kind;
        return kind === 'definite';
      },
      retryableFailure: ({ event }) => {
        const kind = toMailOAuthError((event as unknown as { error: unknown }).error).kind;
        return kind === 'transient' || kind === 'protocol';
      },
      forgedCallback: ({ event }) => toMailOAuthError((event as unknown as { error: unknown }).error).code === 'ERR_STATE_MISMATCH',
      storeWriteFailed: ({ context }) => context.lastError?.code === 'ERR_STORE_WRITE',
      renewSaved: ({ event }) => (event as unknown as { output: RenewResult }).output.saved,
      renewalDue: ({ context }) => services.now() >= renewAt(context),
      expired: ({ context }) => context.tokens === undefined || services.now() >= context.tokens.expiresAt,
    },
    delays: {
      untilRenewal: ({ context }) => Math.max(0, renewAt(context) - services.now()),
      retry: ({ context }) => retryDelay(context),
      untilAuthorizationExpires: ({ context }) => Math.max(0, (context.pending?.expiresAt ?? 0) - services.now()),
      pollInterval: ({ context }) => {
        // The bounds also cover a device code restored from a record written before they existed.
        const requested = context.pending?.flow === 'device-code' ? context.pending.intervalMs : 5_000;
        const interval = Math.min(MAX_DEVICE_INTERVAL_MS, Math.max(MIN_DEVICE_INTERVAL_MS, requested));
        // RFC 8628 §3.5: back off further on timeouts and connection failures.
        return context.attempt === 0 ? interval : Math.max(interval, retryDelay(context));
      },
    },
    actions: {
      chooseFlow: assign({ flow: ({ event }) => (event.type === 'GET_TOKEN' ? event.flow : undefined), attempt: 0 }),
      expireAuthorization: assign(({ context }) => ({ ...cleared, ...failed(context, authorizationExpired()) })),
      persist: ({ context }, params: { phase: ScopePhase }) => services.saveLater(recordOf(context, params.phase)),
    },
  }).createMachine({
    id: 'tokenScope',
    context: ({ input }) => {
      const record = input.record;
      return {
        settings: record?.settings ?? input.defaults,
        tokens: record?.phase === 'acquired' || record?.phase === 'invalid' ? record.tokens : undefined,
        obtainedAt: record?.obtainedAt,
        refreshTokenWithheld: record?.refreshTokenWithheld ?? false,
        pending: record?.phase === 'authorizing' ? record.pending : undefined,
        flow: record?.phase === 'authorizing' ? record.flow : undefined,
        invalidReason: record?.phase === 'invalid' ? (record.invalidReason ?? { name: 'TokenStateError', code: 'ERR_TOKEN_INVALID', kind: 'definite', message: 'Token is invalid' }) : undefined,
        lastError: undefined,
        errorSeq: 0,
        attempt: 0,
      };
    },
    on: {
      CONFIGURE: { actions: assign({ settings: ({ event }) => event.settings }) },
      // A write just succeeded: an earlier store failure no longer describes the page.
      CONFIGURE_SAVED: { guard: 'storeWriteFailed', actions: assign({ lastError: undefined }) },
      // The settings are applied before their write so that records written meanwhile carry them;
      // a failed write puts the previous ones back unless another configure has replaced them since.
      // No errorSeq bump: callers waiting on a sign-in or a renewal must not take this for their failure.
      CONFIGURE_FAILED: {
        actions: assign(({ context, event }) => ({
          settings: context.settings === event.settings ? event.previous : context.settings,
          lastError: event.error,
        })),
      },
    },
    initial: 'restoring',
    states: {
      restoring: {
        tags: ['busy'],
        always: [
          { guard: 'restoredInvalid', target: 'invalid' },
          { guard: 'restoredAcquired', target: 'acquired' },
          { guard: 'restoredDeviceCode', target: 'authorizing.deviceCode' },
          { guard: 'restoredRedirect', target: 'authorizing.awaitingCallback' },
          { target: 'notAcquired', actions: assign(cleared) },
        ],
      },
      notAcquired: {
        tags: ['not-acquired'],
        entry: { type: 'persist', params: { phase: 'not-acquired' } },
        on: {
          GET_TOKEN: { target: 'authorizing', actions: 'chooseFlow' },
          DELETE: 'deleting',
        },
      },
      authorizing: {
        tags: ['waiting-for-authorization'],
        initial: 'starting',
        on: {
          GET_TOKEN: { target: '.starting', reenter: true, actions: assign({ flow: ({ event }) => event.flow, pending: undefined, attempt: 0 }) },
          CANCEL: { target: 'notAcquired', actions: assign(cleared) },
          DELETE: 'deleting',
        },
        states: {
          starting: {
            tags: ['busy'],
            invoke: {
              src: 'start',
              input: ({ context, event }) => ({
                settings: context.settings,
                flow: context.flow ?? 'device-code',
                redirectUri: event.type === 'GET_TOKEN' ? event.redirectUri : undefined,
              }),
              onDone: [
                {
                  guard: 'hasTokens',
                  target: 'saving',
                  actions: assign(({ event }) => {
                    const output = event.output as AuthorizationStart & { kind: 'tokens' };
                    return { tokens: output.tokens, obtainedAt: services.now() };
                  }),
                },
                {
                  guard: 'isDeviceCode',
                  target: 'deviceCode',
                  actions: assign({ pending: ({ event }) => (event.output as AuthorizationStart & { kind: 'pending' }).pending }),
                },
                {
                  target: 'awaitingCallback',
                  actions: assign({ pending: ({ event }) => (event.output as AuthorizationStart & { kind: 'pending' }).pending }),
                },
              ],
              onError: { target: '#tokenScope.notAcquired', actions: assign(({ context, event }) => ({ ...cleared, ...failed(context, event.error) })) },
            },
          },
          deviceCode: {
            entry: { type: 'persist', params: { phase: 'authorizing' } },
            initial: 'waiting',
            after: {
              untilAuthorizationExpires: {
                target: '#tokenScope.notAcquired',
                actions: 'expireAuthorization',
              },
            },
            states: {
              waiting: { after: { pollInterval: 'polling' } },
              polling: {
                invoke: {
                  src: 'poll',
                  input: ({ context }) => ({ settings: context.settings, pending: context.pending as PendingAuthorization }),
                  onDone: [
                    {
                      // Stop polling the moment tokens arrive: a replayed device code revokes the grant.
                      guard: 'pollHasTokens',
                      target: '#tokenScope.authorizing.saving',
                      actions: assign(({ event }) => ({
                        tokens: (event.output as DevicePollResult & { kind: 'tokens' }).tokens,
                        obtainedAt: services.now(),
                      })),
                    },
                    {
                      guard: 'pollSlowDown',
                      target: 'waiting',
                      actions: assign({
                        pending: ({ context }) => {
                          const pending = context.pending as PendingAuthorization & { flow: 'device-code' };
                          return { ...pending, intervalMs: pending.intervalMs + 5_000 };
                        },
                        attempt: 0,
                      }),
                    },
                    { target: 'waiting', actions: assign({ attempt: 0 }) },
                  ],
                  onError: [
                    {
                      guard: 'retryableFailure',
                      target: 'waiting',
                      actions: assign(({ context, event }) => ({ ...failed(context, event.error), attempt: context.attempt + 1 })),
                    },
                    { target: '#tokenScope.notAcquired', actions: assign(({ context, event }) => ({ ...cleared, ...failed(context, event.error) })) },
                  ],
                },
              },
            },
          },
          awaitingCallback: {
            entry: { type: 'persist', params: { phase: 'authorizing' } },
            after: {
              untilAuthorizationExpires: {
                target: '#tokenScope.notAcquired',
                actions: 'expireAuthorization',
              },
            },
            on: { CALLBACK: 'exchanging' },
          },
          exchanging: {
            tags: ['busy'],
            invoke: {
              src: 'exchange',
              input: ({ context, event }) => ({
                settings: context.settings,
                pending: context.pending as PendingAuthorization,
                url: event.type === 'CALLBACK' ? event.url : '',
              }),
              onDone: { target: 'saving', actions: assign(({ event }) => ({ tokens: event.output, obtainedAt: services.now() })) },
              onError: [
                // A forged or stale redirect must not end the administrator's real sign-in.
                { guard: 'forgedCallback', target: 'awaitingCallback', actions: assign(({ context, event }) => failed(context, event.error)) },
                { target: '#tokenScope.notAcquired', actions: assign(({ context, event }) => ({ ...cleared, ...failed(context, event.error) })) },
              ],
            },
          },
          saving: {
            tags: ['busy'],
            invoke: {
              src: 'save',
              input: ({ context }) => recordOf({ ...context, pending: undefined }, 'acquired'),
              onDone: { target: '#tokenScope.acquired', actions: assign({ pending: undefined, flow: undefined, attempt: 0, lastError: undefined }) },
              // Tokens a sign-in could not store are dropped: Acquired would promise a token that a
              // restart loses and that is never served, and waiters would wait for a write retry.
              // Not Acquired with ERR_STORE_WRITE tells the administrator to fix the store and sign in again.
              // (A renewal keeps its unsaved tokens instead: see acquired.unsaved.)
              onError: { target: '#tokenScope.notAcquired', actions: assign(({ context, event }) => ({ ...cleared, ...failed(context, event.error) })) },
            },
          },
        },
      },
      acquired: {
        tags: ['acquired'],
        initial: 'ready',
        on: { DELETE: 'deleting' },
        states: {
          ready: {
            after: { untilRenewal: 'renewing' },
            on: {
              TOKEN_NEEDED: { guard: 'renewalDue', target: 'renewing' },
              REFRESH: 'renewing',
            },
          },
          renewing: {
            tags: ['busy'],
            invoke: {
              src: 'renew',
              input: ({ context }) => ({ settings: context.settings, tokens: context.tokens as TokenSet, record: recordOf(context, 'acquired') }),
              onDone: [
                {
                  guard: 'renewSaved',
                  target: 'ready',
                  actions: assign(({ event }) => ({ tokens: event.output.tokens, obtainedAt: event.output.obtainedAt, attempt: 0, lastError: undefined })),
                },
                {
                  target: 'unsaved',
                  actions: assign(({ context, event }) => {
                    const output = event.output as RenewResult & { saved: false };
                    return { tokens: output.tokens, obtainedAt: output.obtainedAt, lastError: output.error, errorSeq: context.errorSeq + 1, attempt: context.attempt + 1 };
                  }),
                },
              ],
              onError: [
                {
                  guard: 'definiteFailure',
                  target: '#tokenScope.invalid',
                  actions: assign(({ context, event }) => ({ ...failed(context, event.error), invalidReason: errorRecord(event.error) })),
                },
                // Network errors, timeouts, 5xx, configuration problems: the token stays; retry later.
                { target: 'backoff', actions: assign(({ context, event }) => ({ ...failed(context, event.error), attempt: context.attempt + 1 })) },
              ],
            },
          },
          backoff: {
            after: { retry: 'renewing' },
            on: {
              TOKEN_NEEDED: { guard: 'expired', target: 'renewing' },
              REFRESH: 'renewing',
            },
          },
          unsaved: {
            tags: ['busy'],
            after: { retry: 'saving' },
          },
          saving: {
            tags: ['busy'],
            invoke: {
              src: 'save',
              input: ({ context }) => recordOf(context, 'acquired'),
              onDone: { target: 'ready', actions: assign({ attempt: 0, lastError: undefined }) },
              onError: { target: 'unsaved', actions: assign(({ context, event }) => ({ ...failed(context, event.error), attempt: context.attempt + 1 })) },
            },
          },
        },
      },
      invalid: {
        tags: ['invalid'],
        entry: { type: 'persist', params: { phase: 'invalid' } },
        on: {
          GET_TOKEN: { target: 'authorizing', actions: 'chooseFlow' },
          DELETE: 'deleting',
        },
      },
      deleting: {
        tags: ['not-acquired', 'busy'],
        invoke: {
          src: 'remove',
          input: ({ context }) => ({ settings: context.settings, tokens: context.tokens, record: recordOf(context, 'not-acquired') }),
          onDone: { target: 'notAcquired', actions: assign({ ...cleared, attempt: 0, lastError: undefined }) },
          // The store still holds the token: showing Not Acquired would last only until a restart.
          onError: [
            { guard: 'restoredInvalid', target: 'invalid', actions: assign(({ context, event }) => failed(context, event.error)) },
            { guard: 'restoredAcquired', target: 'acquired', actions: assign(({ context, event }) => failed(context, event.error)) },
            { target: 'notAcquired', actions: assign(({ context, event }) => ({ ...cleared, attempt: 0, ...failed(context, event.error) })) },
          ],
        },
      },
    },
  });
}

/** The machine type. @internal */
export type TokenScopeMachine = ReturnType<typeof createTokenScopeMachine>;
