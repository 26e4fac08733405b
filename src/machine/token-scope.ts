import { assign, enqueueActions, fromCallback, fromPromise, setup, stopChild } from 'xstate';
import type { ErrorCode, ErrorRecord, MailOAuthError } from '../errors.js';
import type { EventFact } from '../events.js';
import { errorFromRecord, toMailOAuthError } from '../errors.js';
import { promptOf, type Flow, type PendingAuthorization, type TokenSet } from '../oauth/types.js';
import { MAX_DEVICE_INTERVAL_MS, MIN_DEVICE_INTERVAL_MS } from '../oauth/device-code.js';
import type { AuthorizationStart, DevicePollResult } from '../providers/types.js';
import type { PageSettings } from '../settings/types.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { ScopePhase, ScopeRecord } from './record.js';
import {
  alreadyAcquired,
  authorizationExpired,
  endedWithoutToken,
  flowUnsupported,
  invalidToken,
  notAcquired,
  notConfigured,
  notPending,
  renewalUnavailable,
  settingsLocked,
  signInCancelled,
  type ReplyValue,
  type ScopeReply,
  type Waiter,
  type WaiterKind,
} from './replies.js';

import type { TokenStatus } from '../status.js';

export type { TokenStatus } from '../status.js';

/** The result of a renewal: the new tokens, and whether they were durably stored. @internal */
export type RenewResult =
  { saved: true; tokens: TokenSet; obtainedAt: number } | { saved: false; tokens: TokenSet; obtainedAt: number; error: ErrorRecord };

/** What the machine needs to know about a provider to accept a Get Token. @internal */
export interface ProviderFacts {
  id: string;
  flows: readonly Flow[];
  defaultFlow: Flow;
}

/**
 * Everything a token-scope machine does outside itself. The device facade binds these to the
 * provider adapter, the store and the lock; tests bind doubles. Each call gets an AbortSignal
 * that fires when the machine leaves the state that started it (or stops).
 * @internal
 */
export interface ScopeServices {
  /** Current time, ms since the epoch (the same clock the actor's timers run on). */
  now(): number;
  /** Uniform random number in [0, 1) for back-off jitter. */
  random(): number;
  /** Renew this long before expiry (ms). */
  readonly refreshMarginMs: number;
  /** Back-off for transient failures. */
  readonly backoff: BackoffPolicy;
  /** Renew a refresh token unused this long (ms), so that providers do not expire it as idle; 0: never. */
  readonly keepAliveMs: number;
  /** The provider the settings name, if the device has it. */
  provider(settings: PageSettings): ProviderFacts | undefined;
  start(input: { settings: PageSettings; flow: Flow; redirectUri: string | undefined }, signal: AbortSignal): Promise<AuthorizationStart>;
  poll(
    input: { settings: PageSettings; pending: PendingAuthorization & { flow: 'device-code' } },
    signal: AbortSignal,
  ): Promise<DevicePollResult>;
  exchange(
    input: { settings: PageSettings; pending: PendingAuthorization & { flow: 'authorization-code' }; url: string },
    signal: AbortSignal,
  ): Promise<TokenSet>;
  /** Refreshes under the store lock, adopting a newer stored token if another process already refreshed, and persists before returning. */
  renew(input: { settings: PageSettings; tokens: TokenSet; record: ScopeRecord }, signal: AbortSignal): Promise<RenewResult>;
  /** Durably writes a record; resolves only once it is stored. */
  save(record: ScopeRecord, signal?: AbortSignal): Promise<void>;
  /** Writes a record in the background (status changes that gate nothing). */
  saveLater(record: ScopeRecord): void;
  /** Reads the stored record; undefined when it cannot be read (logged). */
  loadStored(): Promise<ScopeRecord | undefined>;
  /** Best-effort revocation at the provider; true when the provider accepted it. Never rejects. */
  revoke(input: { settings: PageSettings; tokens: TokenSet }, signal: AbortSignal): Promise<boolean>;
}

/**
 * Context of a token scope. Everything but `env` is serialisable data; `env` is how one shared
 * machine definition reaches this scope's provider, store and clock. Holds secrets: never log it.
 * @internal
 */
export interface ScopeContext {
  readonly env: ScopeServices;
  settings: PageSettings;
  tokens: TokenSet | undefined;
  obtainedAt: number | undefined;
  /** When the grant was signed in; renewals keep it. */
  acquiredAt: number | undefined;
  refreshTokenWithheld: boolean;
  pending: PendingAuthorization | undefined;
  flow: Flow | undefined;
  /** The redirect URI the current Get Token asked for (joins compare it). */
  redirectUri: string | undefined;
  invalidReason: ErrorRecord | undefined;
  /** The most recent failure, shown on the pages until an operation succeeds. */
  lastError: ErrorRecord | undefined;
  /** Consecutive transient failures (drives back-off). */
  attempt: number;
  /** When the next retry of a failed renewal or write is due: computed once, so the event and the timer agree. */
  nextRetryAt: number | undefined;
  /** The renewal in flight was started by the idle keep-alive. */
  keepAlive: boolean;
  /** Callers waiting for an answer the machine does not have yet. */
  waiters: WaiterList;
  /** Requests that arrived while the scope was busy with work they must not interrupt; replayed after it. */
  deferred: DeferrableEvent[];
  /** Revocations started so far: names each revocation child. */
  revocations: number;
}

/** A request that a busy state queues instead of answering. @internal */
export type DeferrableEvent =
  | { type: 'CONFIGURE'; id: number; settings: PageSettings }
  | { type: 'GET_TOKEN'; id: number; flow?: Flow; redirectUri?: string }
  | { type: 'AWAIT_AUTHORIZATION'; id: number };

/** Events a token scope accepts. Requests carry an `id` the reply names. @internal */
export type ScopeEvent =
  | DeferrableEvent
  | { type: 'CONFIGURE_SAVED'; id: number }
  | { type: 'CONFIGURE_FAILED'; id: number; settings: PageSettings; previous: PageSettings; error: ErrorRecord }
  | { type: 'CALLBACK'; id: number; url: string }
  | { type: 'CANCEL' }
  | { type: 'DELETE'; id: number }
  /** A caller needs the access token; `rejected` is a token a server refused (forces one renewal). */
  | { type: 'TOKEN_NEEDED'; id: number; rejected?: string }
  /** A caller gave up (aborted): forget its waiter. */
  | { type: 'WITHDRAW'; id: number }
  /** Another instance wrote this scope's record (a shared store's notification). */
  | { type: 'STORE_CHANGED' }
  /** A revocation child finished. */
  | { type: 'REVOKED'; child: string; revoked: boolean };

/** Input of a token-scope actor: the record restored from the store, if any. @internal */
export interface ScopeInput {
  env: ScopeServices;
  record: ScopeRecord | undefined;
  /** Settings used when there is no record (a page's defaults). */
  defaults: PageSettings;
}

/** Builds the record a context persists as in a given phase. @internal */
export function recordOf(
  context: Omit<ScopeContext, 'env' | 'waiters' | 'deferred' | 'revocations' | 'nextRetryAt' | 'keepAlive'>,
  phase: ScopePhase,
): ScopeRecord {
  const record: ScopeRecord = { v: 1, settings: context.settings, phase };
  if ((phase === 'acquired' || phase === 'invalid') && context.tokens !== undefined) {
    record.tokens = context.tokens;
    if (context.obtainedAt !== undefined) record.obtainedAt = context.obtainedAt;
    if (context.acquiredAt !== undefined) record.acquiredAt = context.acquiredAt;
    if (context.refreshTokenWithheld) record.refreshTokenWithheld = true;
  }
  if (phase === 'authorizing' && context.pending !== undefined) {
    record.pending = context.pending;
    if (context.flow !== undefined) record.flow = context.flow;
  }
  if (phase === 'invalid' && context.invalidReason !== undefined) record.invalidReason = context.invalidReason;
  return record;
}

/** The phase the context describes (what a settings write persists alongside). */
function phaseOfContext(context: ScopeContext): ScopePhase {
  if (context.invalidReason !== undefined) return 'invalid';
  if (context.tokens !== undefined) return 'acquired';
  if (context.pending !== undefined) return 'authorizing';
  return 'not-acquired';
}

function errorRecord(err: unknown): ErrorRecord {
  return toMailOAuthError(err).toJSON();
}

const cleared = {
  tokens: undefined,
  obtainedAt: undefined,
  acquiredAt: undefined,
  refreshTokenWithheld: false,
  pending: undefined,
  flow: undefined,
  redirectUri: undefined,
  invalidReason: undefined,
} as const;

// Proactive refresh margin, bounded to half the token's life so short-lived tokens do not spin.
function renewAt({ env, tokens, obtainedAt }: ScopeContext): number {
  if (tokens === undefined) return 0;
  const life = obtainedAt === undefined ? Infinity : tokens.expiresAt - obtainedAt;
  return tokens.expiresAt - Math.min(env.refreshMarginMs, Math.max(0, life / 2));
}

/** When an idle refresh token is due for its keep-alive renewal: `keepAliveMs` after it was last used. */
function keepAliveAt({ env, tokens, obtainedAt }: ScopeContext): number | undefined {
  if (env.keepAliveMs <= 0 || tokens?.refreshToken === undefined || obtainedAt === undefined) return undefined;
  return obtainedAt + env.keepAliveMs;
}

/** The moment a scope next renews on its own: before expiry, or earlier for an idle refresh token. @internal */
export function nextRenewalAt(context: ScopeContext): number | undefined {
  if (context.tokens === undefined) return undefined;
  const keepAlive = keepAliveAt(context);
  return Math.min(renewAt(context), keepAlive ?? Infinity);
}

const retryDelay = (context: ScopeContext): number =>
  backoffDelay(context.env.backoff, context.attempt, context.env.random(), context.lastError?.retryAfterMs);

const expired = (context: ScopeContext): boolean => context.tokens === undefined || context.env.now() >= context.tokens.expiresAt;

/** The flow a Get Token asks for: its own, else the provider's default. */
function flowOf(context: ScopeContext, event: { flow?: Flow }): Flow {
  return event.flow ?? context.env.provider(context.settings)?.defaultFlow ?? 'device-code';
}

function configured(context: ScopeContext): boolean {
  const { settings } = context;
  return settings.authMethod === 'oauth2' && settings.account !== undefined && context.env.provider(settings) !== undefined;
}

/** A new sign-in for the same flow (and redirect) as the one in progress joins it instead of replacing it. */
function joinsPending(context: ScopeContext, event: { flow?: Flow; redirectUri?: string }): boolean {
  const { pending } = context;
  return (
    pending !== undefined &&
    pending.flow === flowOf(context, event) &&
    (pending.flow !== 'authorization-code' || event.redirectUri === undefined || pending.redirectUri === event.redirectUri)
  );
}

/** What a settings change may not do while the scope holds a grant: switch provider or account. */
function locksSettings(context: ScopeContext, next: PageSettings): boolean {
  const current = context.settings;
  const holdsGrant = context.tokens !== undefined || context.pending !== undefined;
  return holdsGrant && (next.provider !== current.provider || next.account?.toLowerCase() !== current.account?.toLowerCase());
}

type Outcome = { ok: true; value: ReplyValue } | { ok: false; error: MailOAuthError };
/** Who is answered, and with what; the outcome is built only when someone waits (an Error captures a stack). */
type Answer = { to: readonly WaiterKind[]; outcome: () => Outcome };

const ok = (value?: ReplyValue): Outcome => ({ ok: true, value });
const fail = (error: MailOAuthError | ErrorRecord): Outcome => ({
  ok: false,
  error: error instanceof Error ? error : errorFromRecord(error),
});
const reply = (id: number, outcome: Outcome): ScopeReply => ({ type: 'reply', id, ...outcome });

/** The answer token waiters get when the scope settles in a state; forced ones may differ. */
function tokenAnswers(context: ScopeContext, status: 'ready' | 'backoff' | 'invalid' | 'gone' | 'unsaved'): Answer[] {
  const token = context.tokens?.accessToken;
  switch (status) {
    case 'ready':
      return [{ to: ['token', 'forced-token'], outcome: () => ok(token) }];
    case 'backoff': {
      // The old token stays usable until it expires; a caller whose server refused it needs a new one.
      const usable = !expired(context) && token !== undefined;
      return [
        { to: ['token'], outcome: () => (usable ? ok(token) : fail(renewalUnavailable(context.lastError))) },
        { to: ['forced-token'], outcome: () => fail(renewalUnavailable(context.lastError)) },
      ];
    }
    case 'unsaved':
      return [{ to: ['token', 'forced-token'], outcome: () => fail(renewalUnavailable(context.lastError)) }];
    case 'invalid':
      return [{ to: ['token', 'forced-token'], outcome: () => fail(invalidToken(context.invalidReason)) }];
    case 'gone':
      return [{ to: ['token', 'forced-token'], outcome: () => fail(notAcquired('not-acquired')) }];
  }
}

/** A sign-in ended: what its prompt, wait and callback callers hear. */
function signInAnswers(result: 'acquired' | 'cancelled' | { error: MailOAuthError | ErrorRecord }): Answer[] {
  if (result === 'acquired')
    return [
      { to: ['prompt'], outcome: () => ok({ kind: 'none' }) },
      { to: ['settled', 'callback'], outcome: () => ok() },
    ];
  if (result === 'cancelled') return [{ to: ['prompt', 'settled', 'callback'], outcome: () => fail(signInCancelled()) }];
  return [{ to: ['prompt', 'settled', 'callback'], outcome: () => fail(result.error) }];
}

/**
 * Waiters, newest first, as an immutable linked list: adding one of 10,000 concurrent callers
 * costs O(1) instead of copying an array per caller. @internal
 */
export type WaiterList = (Waiter & { next: WaiterList }) | undefined;

const withWaiter = (context: ScopeContext, id: number, on: WaiterKind): WaiterList => ({ id, on, next: context.waiters });

/** The waiters in arrival order. */
function waitersOf(list: WaiterList): Waiter[] {
  const waiters: Waiter[] = [];
  for (let node = list; node !== undefined; node = node.next) waiters.push(node);
  return waiters.reverse();
}

function waiterList(waiters: readonly Waiter[]): WaiterList {
  let list: WaiterList;
  for (const { id, on } of waiters) list = { id, on, next: list };
  return list;
}

const withoutWaiter = (list: WaiterList, id: number): WaiterList => waiterList(waitersOf(list).filter((w) => w.id !== id));

/**
 * The token-scope machine: one definition shared by every scope; each actor's `input.env` binds
 * it to a scope's provider, store and clock. Each state carries a tag naming the status it shows;
 * see `docs/state-machine.md`. Requests are answered with an emitted `reply` naming their id.
 * @internal
 */
export const tokenScopeMachine = setup({
  types: {
    context: {} as ScopeContext,
    events: {} as ScopeEvent,
    input: {} as ScopeInput,
    emitted: {} as ScopeReply | EventFact,
    tags: {} as TokenStatus | 'busy',
  },
  actors: {
    start: fromPromise<AuthorizationStart, { env: ScopeServices; settings: PageSettings; flow: Flow; redirectUri: string | undefined }>(
      ({ input, signal }) => input.env.start(input, signal),
    ),
    poll: fromPromise<
      DevicePollResult,
      { env: ScopeServices; settings: PageSettings; pending: PendingAuthorization & { flow: 'device-code' } }
    >(({ input, signal }) => input.env.poll(input, signal)),
    exchange: fromPromise<
      TokenSet,
      { env: ScopeServices; settings: PageSettings; pending: PendingAuthorization & { flow: 'authorization-code' }; url: string }
    >(({ input, signal }) => input.env.exchange(input, signal)),
    renew: fromPromise<RenewResult, { env: ScopeServices; settings: PageSettings; tokens: TokenSet; record: ScopeRecord }>(
      ({ input, signal }) => input.env.renew(input, signal),
    ),
    save: fromPromise<void, { env: ScopeServices; record: ScopeRecord }>(({ input, signal }) => input.env.save(input.record, signal)),
    loadStored: fromPromise<ScopeRecord | undefined, { env: ScopeServices }>(({ input }) => input.env.loadStored()),
    // Not aborted when the caller's state changes: a settings write the caller awaits must finish or fail.
    writeSettings: fromCallback<ScopeEvent, { env: ScopeServices; id: number; record: ScopeRecord; previous: PageSettings }>(
      ({ input, sendBack }) => {
        input.env.save(input.record).then(
          () => sendBack({ type: 'CONFIGURE_SAVED', id: input.id }),
          (err: unknown) =>
            sendBack({
              type: 'CONFIGURE_FAILED',
              id: input.id,
              settings: input.record.settings,
              previous: input.previous,
              error: errorRecord(err),
            }),
        );
      },
    ),
    // A child of the scope, so that closing the device can wait for it (bounded) or abort it by stopping the scope.
    revoke: fromCallback<ScopeEvent, { env: ScopeServices; settings: PageSettings; tokens: TokenSet }>(({ input, sendBack, self }) => {
      const controller = new AbortController();
      void input.env.revoke(input, controller.signal).then((revoked) => {
        if (!controller.signal.aborted) sendBack({ type: 'REVOKED', child: self.id, revoked });
      });
      return () => controller.abort();
    }),
  },
  guards: {
    restoredAcquired: ({ context }) => context.tokens !== undefined && context.invalidReason === undefined && context.pending === undefined,
    restoredInvalid: ({ context }) => context.invalidReason !== undefined,
    restoredDeviceCode: ({ context }) => context.pending?.flow === 'device-code' && context.pending.expiresAt > context.env.now(),
    restoredRedirect: ({ context }) => context.pending?.flow === 'authorization-code' && context.pending.expiresAt > context.env.now(),
    notConfigured: ({ context }) => !configured(context),
    flowUnsupported: ({ context, event }) =>
      event.type === 'GET_TOKEN' && !(context.env.provider(context.settings)?.flows ?? []).includes(flowOf(context, event)),
    joinsStart: ({ context, event }) =>
      event.type === 'GET_TOKEN' && context.flow === flowOf(context, event) && context.redirectUri === event.redirectUri,
    joinsPending: ({ context, event }) => event.type === 'GET_TOKEN' && joinsPending(context, event),
    settingsLocked: ({ context, event }) => event.type === 'CONFIGURE' && locksSettings(context, event.settings),
    lastPromptCaller: ({ context, event }) =>
      event.type === 'WITHDRAW' && waitersOf(context.waiters).every((w) => w.on !== 'prompt' || w.id === event.id),
    storeWriteFailed: ({ context }) => context.lastError?.code === 'ERR_STORE_WRITE',
    definiteFailure: ({ event }) => 'error' in event && toMailOAuthError(event.error).kind === 'definite',
    retryableFailure: ({ event }) => {
      const kind = 'error' in event ? toMailOAuthError(event.error).kind : undefined;
      return kind === 'transient' || kind === 'protocol';
    },
    forgedCallback: ({ event }) => 'error' in event && toMailOAuthError(event.error).code === 'ERR_STATE_MISMATCH',
    /** A caller reports a token that is no longer the one held: the held one is the answer. */
    staleRejection: ({ context, event }) =>
      event.type === 'TOKEN_NEEDED' && event.rejected !== undefined && event.rejected !== context.tokens?.accessToken,
    renewalDue: ({ context, event }) =>
      (event.type === 'TOKEN_NEEDED' && event.rejected !== undefined) || context.env.now() >= renewAt(context),
    renewalNeeded: ({ context, event }) => (event.type === 'TOKEN_NEEDED' && event.rejected !== undefined) || expired(context),
    keepAliveDue: ({ context }) => {
      const at = keepAliveAt(context);
      return at !== undefined && context.env.now() >= at;
    },
    storedIsNewer: ({ context, event }) => {
      const stored = 'output' in event ? (event.output as ScopeRecord | undefined) : undefined;
      return (
        stored?.phase === 'acquired' &&
        stored.tokens !== undefined &&
        stored.tokens.accessToken !== context.tokens?.accessToken &&
        (stored.obtainedAt ?? 0) > (context.obtainedAt ?? 0)
      );
    },
  },
  delays: {
    untilRenewal: ({ context }) => Math.max(0, renewAt(context) - context.env.now()),
    retry: ({ context }) => Math.max(0, (context.nextRetryAt ?? context.env.now() + retryDelay(context)) - context.env.now()),
    untilKeepAlive: ({ context }) => Math.min(2 ** 31 - 1, Math.max(0, (keepAliveAt(context) ?? Infinity) - context.env.now())),
    untilAuthorizationExpires: ({ context }) => Math.max(0, (context.pending?.expiresAt ?? 0) - context.env.now()),
    pollInterval: ({ context }) => {
      // The bounds also cover a device code restored from a record written before they existed.
      const requested = context.pending?.flow === 'device-code' ? context.pending.intervalMs : 5_000;
      const interval = Math.min(MAX_DEVICE_INTERVAL_MS, Math.max(MIN_DEVICE_INTERVAL_MS, requested));
      // RFC 8628 §3.5: back off further on timeouts and connection failures.
      return context.attempt === 0 ? interval : Math.max(interval, retryDelay(context));
    },
  },
  actions: {
    persist: ({ context }, params: { phase: ScopePhase }) => context.env.saveLater(recordOf(context, params.phase)),
    /** Emits one reply per waiter of the named kinds and forgets those waiters. */
    answer: enqueueActions(({ context, enqueue }, answers: readonly Answer[]) => {
      if (context.waiters === undefined) return;
      const waiters = waitersOf(context.waiters);
      const answered = new Set<number>();
      for (const { to, outcome } of answers) {
        let built: Outcome | undefined;
        for (const waiter of waiters) {
          if (!to.includes(waiter.on)) continue;
          answered.add(waiter.id);
          built ??= outcome();
          enqueue.emit(reply(waiter.id, built));
        }
      }
      if (answered.size > 0) enqueue.assign({ waiters: waiterList(waiters.filter((w) => !answered.has(w.id))) });
    }),
    /** Answers the request being handled, now. */
    respond: enqueueActions(({ event, enqueue }, outcome: Outcome) => {
      if ('id' in event) enqueue.emit(reply(event.id, outcome));
    }),
    defer: assign({ deferred: ({ context, event }) => [...context.deferred, event as DeferrableEvent] }),
    /** Runs the requests a busy state held back, in arrival order, now that it is over. */
    replayDeferred: enqueueActions(({ context, enqueue }) => {
      if (context.deferred.length === 0) return;
      const deferred = context.deferred;
      enqueue.assign({ deferred: [] });
      for (const event of deferred) enqueue.raise(event);
    }),
    startSignIn: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'GET_TOKEN') return;
      const flow = flowOf(context, event);
      enqueue.assign({
        flow,
        redirectUri: event.redirectUri,
        pending: undefined,
        attempt: 0,
        waiters: withWaiter(context, event.id, 'prompt'),
      });
      enqueue.emit({ type: 'authorization.started', flow });
    }),
    /** Tells the device's subscribers a lifecycle fact (never a secret). */
    notify: enqueueActions(({ enqueue }, fact: EventFact) => {
      enqueue.emit(fact);
    }),
    signInFailed: enqueueActions(({ event, enqueue }) => {
      if (!('error' in event)) return;
      const code = toMailOAuthError(event.error).code;
      enqueue.emit({ type: 'authorization.failed', code });
      if (code === 'ERR_STORE_WRITE') enqueue.emit({ type: 'store.write-failed', code });
    }),
    storeFailed: enqueueActions(({ event, enqueue }) => {
      // Invoked writes reject with an error (their events are not in ScopeEvent); a settings write reports a plain record.
      const error: unknown = (event as { error?: unknown }).error;
      if (error === undefined) return;
      const code: ErrorCode = event.type === 'CONFIGURE_FAILED' ? event.error.code : toMailOAuthError(error).code;
      enqueue.emit({ type: 'store.write-failed', code });
    }),
    /** A transient renewal failure: counts the attempt, fixes when the retry runs, and says both. */
    renewalFailed: enqueueActions(({ context, event, enqueue }) => {
      if (!('error' in event)) return;
      const error = errorRecord(event.error);
      const attempt = context.attempt + 1;
      const nextRetryAt = context.env.now() + backoffDelay(context.env.backoff, attempt, context.env.random(), error.retryAfterMs);
      enqueue.assign({ lastError: error, attempt, nextRetryAt, keepAlive: false });
      enqueue.emit({ type: 'token.renewal-failed', code: error.code, attempt, nextRetryAt });
    }),
    /** A failed write of renewed tokens: the retry time is fixed once, like a renewal's. */
    scheduleRetry: assign(({ context }) => ({ nextRetryAt: context.env.now() + retryDelay(context) })),
    wait: assign(({ context, event }, on: WaiterKind) => ('id' in event ? { waiters: withWaiter(context, event.id, on) } : {})),
    /** Settings are applied before their write so that records written meanwhile carry them; the write's outcome commits or rolls back. */
    configure: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'CONFIGURE') return;
      const next = { ...context, settings: event.settings };
      enqueue.assign({ settings: event.settings });
      enqueue.spawnChild('writeSettings', {
        id: `configure.${event.id}`,
        input: { env: context.env, id: event.id, record: recordOf(next, phaseOfContext(next)), previous: context.settings },
      });
    }),
    revokeRemoved: enqueueActions(({ context, enqueue }) => {
      // Local deletion never waits on, or fails because of, the provider; a token whose deletion
      // could not be stored never gets here, so it is not revoked under the device.
      if (context.tokens === undefined) return;
      const id = `revoke.${context.revocations + 1}`;
      enqueue.assign({ revocations: context.revocations + 1 });
      enqueue.spawnChild('revoke', { id, input: { env: context.env, settings: context.settings, tokens: context.tokens } });
    }),
    forgetWriter: stopChild(({ event }) => `configure.${'id' in event ? event.id : ''}`),
    failed: assign(({ event }) => ('error' in event ? { lastError: errorRecord(event.error) } : {})),
  },
}).createMachine({
  id: 'tokenScope',
  context: ({ input }) => {
    const record = input.record;
    return {
      env: input.env,
      settings: record?.settings ?? input.defaults,
      tokens: record?.phase === 'acquired' || record?.phase === 'invalid' ? record.tokens : undefined,
      obtainedAt: record?.obtainedAt,
      acquiredAt: record?.acquiredAt,
      refreshTokenWithheld: record?.refreshTokenWithheld ?? false,
      pending: record?.phase === 'authorizing' ? record.pending : undefined,
      flow: record?.phase === 'authorizing' ? record.flow : undefined,
      redirectUri: undefined,
      invalidReason:
        record?.phase === 'invalid'
          ? (record.invalidReason ?? { name: 'TokenStateError', code: 'ERR_TOKEN_INVALID', kind: 'definite', message: 'Token is invalid' })
          : undefined,
      lastError: undefined,
      attempt: 0,
      nextRetryAt: undefined,
      keepAlive: false,
      waiters: undefined,
      deferred: [],
      revocations: 0,
    };
  },
  on: {
    CONFIGURE: [{ guard: 'settingsLocked', actions: { type: 'respond', params: () => fail(settingsLocked()) } }, { actions: 'configure' }],
    CONFIGURE_SAVED: [
      // A write just succeeded: an earlier store failure no longer describes the page.
      { guard: 'storeWriteFailed', actions: [assign({ lastError: undefined }), { type: 'respond', params: ok() }, 'forgetWriter'] },
      { actions: [{ type: 'respond', params: ok() }, 'forgetWriter'] },
    ],
    // A failed write puts the previous settings back unless another configure has replaced them since.
    CONFIGURE_FAILED: {
      actions: [
        assign(({ context, event }) => ({
          settings: context.settings === event.settings ? event.previous : context.settings,
          lastError: event.error,
        })),
        { type: 'respond', params: ({ event }) => fail(event.error) },
        'storeFailed',
        'forgetWriter',
      ],
    },
    REVOKED: {
      actions: [
        stopChild(({ event }) => event.child),
        { type: 'notify', params: ({ event }) => ({ type: 'token.deleted', revoked: event.revoked }) },
      ],
    },
    GET_TOKEN: { actions: { type: 'respond', params: () => fail(alreadyAcquired()) } },
    AWAIT_AUTHORIZATION: { actions: { type: 'respond', params: () => fail(endedWithoutToken()) } },
    CALLBACK: { actions: { type: 'respond', params: () => fail(notPending()) } },
    TOKEN_NEEDED: { actions: { type: 'respond', params: () => fail(notAcquired('not-acquired')) } },
    DELETE: { target: '.deleting', actions: { type: 'wait', params: 'delete' } },
    WITHDRAW: { actions: assign({ waiters: ({ context, event }) => withoutWaiter(context.waiters, event.id) }) },
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
      entry: [
        { type: 'persist', params: { phase: 'not-acquired' } },
        { type: 'answer', params: ({ context }) => tokenAnswers(context, 'gone') },
        'replayDeferred',
      ],
      on: {
        GET_TOKEN: [
          { guard: 'notConfigured', actions: { type: 'respond', params: () => fail(notConfigured()) } },
          {
            guard: 'flowUnsupported',
            actions: {
              type: 'respond',
              params: ({ context, event }) => fail(flowUnsupported(flowOf(context, event), context.settings.provider ?? '')),
            },
          },
          { target: 'authorizing', actions: 'startSignIn' },
        ],
      },
    },
    authorizing: {
      tags: ['waiting-for-authorization'],
      initial: 'starting',
      on: {
        GET_TOKEN: [
          { guard: 'notConfigured', actions: { type: 'respond', params: () => fail(notConfigured()) } },
          {
            guard: 'flowUnsupported',
            actions: {
              type: 'respond',
              params: ({ context, event }) => fail(flowUnsupported(flowOf(context, event), context.settings.provider ?? '')),
            },
          },
          // Another flow (or redirect) replaces the sign-in; whoever waits on the old one is told.
          {
            target: '.starting',
            reenter: true,
            actions: [
              { type: 'answer', params: () => signInAnswers('cancelled') },
              { type: 'notify', params: { type: 'authorization.cancelled' } },
              'startSignIn',
            ],
          },
        ],
        AWAIT_AUTHORIZATION: { actions: { type: 'wait', params: 'settled' } },
        CANCEL: {
          target: 'notAcquired',
          actions: [
            { type: 'answer', params: () => signInAnswers('cancelled') },
            { type: 'notify', params: { type: 'authorization.cancelled' } },
            assign(cleared),
          ],
        },
        DELETE: {
          target: 'deleting',
          actions: [
            { type: 'answer', params: () => signInAnswers('cancelled') },
            { type: 'notify', params: { type: 'authorization.cancelled' } },
            { type: 'wait', params: 'delete' },
          ],
        },
      },
      states: {
        starting: {
          tags: ['busy'],
          on: {
            GET_TOKEN: { guard: 'joinsStart', actions: { type: 'wait', params: 'prompt' } },
            // The last caller of a start gave up: nobody would see its prompt.
            WITHDRAW: {
              guard: 'lastPromptCaller',
              target: '#tokenScope.notAcquired',
              actions: [
                assign({ waiters: ({ context, event }) => withoutWaiter(context.waiters, event.id) }),
                { type: 'answer', params: () => signInAnswers('cancelled') },
                { type: 'notify', params: { type: 'authorization.cancelled' } },
                assign(cleared),
              ],
            },
          },
          invoke: {
            src: 'start',
            input: ({ context }) => ({
              env: context.env,
              settings: context.settings,
              flow: context.flow ?? 'device-code',
              redirectUri: context.redirectUri,
            }),
            onDone: [
              {
                guard: function startGaveTokens({ event }) {
                  return event.output.kind === 'tokens';
                },
                target: 'saving',
                actions: assign(({ context, event }) =>
                  event.output.kind === 'tokens'
                    ? { tokens: event.output.tokens, obtainedAt: context.env.now(), acquiredAt: context.env.now() }
                    : {},
                ),
              },
              {
                guard: function startGaveDeviceCode({ event }) {
                  return event.output.kind === 'pending' && event.output.pending.flow === 'device-code';
                },
                target: 'deviceCode',
                actions: assign({ pending: ({ event }) => (event.output.kind === 'pending' ? event.output.pending : undefined) }),
              },
              {
                target: 'awaitingCallback',
                actions: assign({ pending: ({ event }) => (event.output.kind === 'pending' ? event.output.pending : undefined) }),
              },
            ],
            onError: {
              target: '#tokenScope.notAcquired',
              actions: [
                'failed',
                { type: 'answer', params: ({ event }) => signInAnswers({ error: errorRecord(event.error) }) },
                'signInFailed',
                assign(cleared),
              ],
            },
          },
        },
        deviceCode: {
          entry: [
            { type: 'persist', params: { phase: 'authorizing' } },
            {
              type: 'answer',
              params: ({ context }) => [{ to: ['prompt'], outcome: () => ok(context.pending && promptOf(context.pending)) }],
            },
            'replayDeferred',
          ],
          on: {
            GET_TOKEN: {
              guard: 'joinsPending',
              actions: { type: 'respond', params: ({ context }) => ok(context.pending && promptOf(context.pending)) },
            },
          },
          initial: 'waiting',
          after: {
            untilAuthorizationExpires: {
              target: '#tokenScope.notAcquired',
              actions: [
                assign({ lastError: () => authorizationExpired().toJSON() }),
                { type: 'notify', params: { type: 'authorization.expired', code: 'ERR_AUTHORIZATION_EXPIRED' } },
                { type: 'answer', params: () => signInAnswers({ error: authorizationExpired() }) },
                assign(cleared),
              ],
            },
          },
          states: {
            waiting: { after: { pollInterval: 'polling' } },
            polling: {
              invoke: {
                src: 'poll',
                input: ({ context }) => ({
                  env: context.env,
                  settings: context.settings,
                  pending: context.pending as PendingAuthorization & { flow: 'device-code' },
                }),
                onDone: [
                  {
                    // Stop polling the moment tokens arrive: a replayed device code revokes the grant.
                    guard: function pollGaveTokens({ event }) {
                      return event.output.kind === 'tokens';
                    },
                    target: '#tokenScope.authorizing.saving',
                    actions: assign(({ context, event }) =>
                      event.output.kind === 'tokens'
                        ? { tokens: event.output.tokens, obtainedAt: context.env.now(), acquiredAt: context.env.now() }
                        : {},
                    ),
                  },
                  {
                    guard: function pollSlowDown({ event }) {
                      return event.output.kind === 'slow-down';
                    },
                    target: 'waiting',
                    actions: assign({
                      pending: ({ context }) =>
                        context.pending?.flow === 'device-code'
                          ? { ...context.pending, intervalMs: context.pending.intervalMs + 5_000 }
                          : context.pending,
                      attempt: 0,
                    }),
                  },
                  { target: 'waiting', actions: assign({ attempt: 0 }) },
                ],
                onError: [
                  {
                    guard: 'retryableFailure',
                    target: 'waiting',
                    actions: ['failed', assign({ attempt: ({ context }) => context.attempt + 1 })],
                  },
                  {
                    target: '#tokenScope.notAcquired',
                    actions: [
                      'failed',
                      { type: 'answer', params: ({ event }) => signInAnswers({ error: errorRecord(event.error) }) },
                      'signInFailed',
                      assign(cleared),
                    ],
                  },
                ],
              },
            },
          },
        },
        awaitingCallback: {
          entry: [
            { type: 'persist', params: { phase: 'authorizing' } },
            {
              type: 'answer',
              params: ({ context }) => [{ to: ['prompt'], outcome: () => ok(context.pending && promptOf(context.pending)) }],
            },
            'replayDeferred',
          ],
          after: {
            untilAuthorizationExpires: {
              target: '#tokenScope.notAcquired',
              actions: [
                assign({ lastError: () => authorizationExpired().toJSON() }),
                { type: 'notify', params: { type: 'authorization.expired', code: 'ERR_AUTHORIZATION_EXPIRED' } },
                { type: 'answer', params: () => signInAnswers({ error: authorizationExpired() }) },
                assign(cleared),
              ],
            },
          },
          on: {
            GET_TOKEN: {
              guard: 'joinsPending',
              actions: { type: 'respond', params: ({ context }) => ok(context.pending && promptOf(context.pending)) },
            },
            CALLBACK: { target: 'exchanging', actions: { type: 'wait', params: 'callback' } },
          },
        },
        exchanging: {
          tags: ['busy'],
          on: { GET_TOKEN: { actions: 'defer' } },
          invoke: {
            src: 'exchange',
            input: ({ context, event }) => ({
              env: context.env,
              settings: context.settings,
              pending: context.pending as PendingAuthorization & { flow: 'authorization-code' },
              url: event.type === 'CALLBACK' ? event.url : '',
            }),
            onDone: {
              target: 'saving',
              actions: assign(({ context, event }) => ({
                tokens: event.output,
                obtainedAt: context.env.now(),
                acquiredAt: context.env.now(),
              })),
            },
            onError: [
              // A forged or stale redirect must not end the administrator's real sign-in.
              {
                guard: 'forgedCallback',
                target: 'awaitingCallback',
                actions: [
                  'failed',
                  { type: 'answer', params: ({ event }) => [{ to: ['callback'], outcome: () => fail(errorRecord(event.error)) }] },
                ],
              },
              {
                target: '#tokenScope.notAcquired',
                actions: [
                  'failed',
                  { type: 'answer', params: ({ event }) => signInAnswers({ error: errorRecord(event.error) }) },
                  'signInFailed',
                  assign(cleared),
                ],
              },
            ],
          },
        },
        saving: {
          tags: ['busy'],
          on: { GET_TOKEN: { actions: 'defer' } },
          invoke: {
            src: 'save',
            input: ({ context }) => ({ env: context.env, record: recordOf({ ...context, pending: undefined }, 'acquired') }),
            onDone: {
              target: '#tokenScope.acquired',
              actions: [
                {
                  type: 'notify',
                  params: ({ context }) => ({
                    type: 'authorization.completed',
                    flow: context.flow ?? context.tokens?.flow ?? 'device-code',
                  }),
                },
                assign({ pending: undefined, flow: undefined, redirectUri: undefined, attempt: 0, lastError: undefined }),
                { type: 'answer', params: signInAnswers('acquired') },
              ],
            },
            // Tokens a sign-in could not store are dropped: Acquired would promise a token that a
            // restart loses and that is never served, and waiters would wait for a write retry.
            // Not Acquired with ERR_STORE_WRITE tells the administrator to fix the store and sign in again.
            // (A renewal keeps its unsaved tokens instead: see acquired.unsaved.)
            onError: {
              target: '#tokenScope.notAcquired',
              actions: [
                'failed',
                { type: 'answer', params: ({ event }) => signInAnswers({ error: errorRecord(event.error) }) },
                'signInFailed',
                assign(cleared),
              ],
            },
          },
        },
      },
    },
    acquired: {
      tags: ['acquired'],
      initial: 'ready',
      on: {
        AWAIT_AUTHORIZATION: { actions: { type: 'respond', params: ok() } },
        TOKEN_NEEDED: { actions: { type: 'wait', params: 'token' } },
      },
      states: {
        ready: {
          entry: [{ type: 'answer', params: ({ context }) => tokenAnswers(context, 'ready') }, 'replayDeferred'],
          after: {
            untilRenewal: 'renewing',
            // A timer the clock capped (keep-alive off, or beyond ~24.8 days) wakes early and does nothing;
            // the next proactive renewal re-enters ready and arms it again.
            untilKeepAlive: { guard: 'keepAliveDue', target: 'renewing', actions: assign({ keepAlive: true }) },
          },
          on: {
            TOKEN_NEEDED: [
              { guard: 'staleRejection', actions: { type: 'respond', params: ({ context }) => ok(context.tokens?.accessToken) } },
              {
                guard: 'renewalDue',
                target: 'renewing',
                actions: { type: 'wait', params: ({ event }) => (event.rejected === undefined ? 'token' : 'forced-token') },
              },
              { actions: { type: 'respond', params: ({ context }) => ok(context.tokens?.accessToken) } },
            ],
            STORE_CHANGED: 'checkingStore',
          },
        },
        // Another instance stored a token: when it is newer than ours, renew now. The renew path
        // re-reads under the lock and adopts that token instead of calling the provider, so callers
        // stop using a token the other instance may already have seen rejected.
        checkingStore: {
          invoke: {
            src: 'loadStored',
            input: ({ context }) => ({ env: context.env }),
            // loadStored never rejects (a read failure is logged and reads as nothing newer).
            onDone: [{ guard: 'storedIsNewer', target: 'renewing' }, { target: 'ready' }],
          },
        },
        renewing: {
          tags: ['busy'],
          on: {
            TOKEN_NEEDED: { actions: { type: 'wait', params: ({ event }) => (event.rejected === undefined ? 'token' : 'forced-token') } },
            CONFIGURE: { actions: 'defer' },
            GET_TOKEN: { actions: 'defer' },
          },
          invoke: {
            src: 'renew',
            input: ({ context }) => ({
              env: context.env,
              settings: context.settings,
              tokens: context.tokens as TokenSet,
              record: recordOf(context, 'acquired'),
            }),
            onDone: [
              {
                guard: function renewSaved({ event }) {
                  return event.output.saved;
                },
                target: 'ready',
                actions: [
                  { type: 'notify', params: ({ context }) => ({ type: 'token.renewed', keepAlive: context.keepAlive }) },
                  assign(({ event }) => ({
                    tokens: event.output.tokens,
                    obtainedAt: event.output.obtainedAt,
                    attempt: 0,
                    lastError: undefined,
                    keepAlive: false,
                  })),
                ],
              },
              {
                target: 'unsaved',
                actions: [
                  { type: 'notify', params: ({ context }) => ({ type: 'token.renewed', keepAlive: context.keepAlive }) },
                  {
                    type: 'notify',
                    params: ({ event }) => ({
                      type: 'store.write-failed',
                      code: event.output.saved ? 'ERR_STORE_WRITE' : event.output.error.code,
                    }),
                  },
                  assign(({ context, event }) => ({
                    tokens: event.output.tokens,
                    obtainedAt: event.output.obtainedAt,
                    lastError: event.output.saved ? undefined : event.output.error,
                    attempt: context.attempt + 1,
                    keepAlive: false,
                  })),
                  'scheduleRetry',
                ],
              },
            ],
            onError: [
              {
                guard: 'definiteFailure',
                target: '#tokenScope.invalid',
                actions: [
                  'failed',
                  assign({ invalidReason: ({ event }) => errorRecord(event.error), keepAlive: false }),
                  {
                    type: 'notify',
                    params: ({ event }) => {
                      const reason = errorRecord(event.error);
                      const hint = reason.hint;
                      return {
                        type: 'token.invalid',
                        code: invalidToken(reason).code,
                        reasonCode: reason.code,
                        ...(hint === undefined ? {} : { hint }),
                      };
                    },
                  },
                ],
              },
              // Network errors, timeouts, 5xx, configuration problems: the token stays; retry later.
              { target: 'backoff', actions: 'renewalFailed' },
            ],
          },
        },
        backoff: {
          entry: [{ type: 'answer', params: ({ context }) => tokenAnswers(context, 'backoff') }, 'replayDeferred'],
          after: { retry: 'renewing' },
          on: {
            TOKEN_NEEDED: [
              {
                guard: 'renewalNeeded',
                target: 'renewing',
                actions: { type: 'wait', params: ({ event }) => (event.rejected === undefined ? 'token' : 'forced-token') },
              },
              { actions: { type: 'respond', params: ({ context }) => ok(context.tokens?.accessToken) } },
            ],
          },
        },
        unsaved: {
          tags: ['busy'],
          entry: [{ type: 'answer', params: ({ context }) => tokenAnswers(context, 'unsaved') }, 'replayDeferred'],
          after: { retry: 'saving' },
        },
        saving: {
          tags: ['busy'],
          invoke: {
            src: 'save',
            input: ({ context }) => ({ env: context.env, record: recordOf(context, 'acquired') }),
            onDone: { target: 'ready', actions: assign({ attempt: 0, lastError: undefined }) },
            onError: {
              target: 'unsaved',
              actions: ['failed', 'storeFailed', assign({ attempt: ({ context }) => context.attempt + 1 }), 'scheduleRetry'],
            },
          },
        },
      },
    },
    invalid: {
      tags: ['invalid'],
      entry: [
        { type: 'persist', params: { phase: 'invalid' } },
        { type: 'answer', params: ({ context }) => tokenAnswers(context, 'invalid') },
        'replayDeferred',
      ],
      on: {
        GET_TOKEN: [
          { guard: 'notConfigured', actions: { type: 'respond', params: () => fail(notConfigured()) } },
          {
            guard: 'flowUnsupported',
            actions: {
              type: 'respond',
              params: ({ context, event }) => fail(flowUnsupported(flowOf(context, event), context.settings.provider ?? '')),
            },
          },
          { target: 'authorizing', actions: 'startSignIn' },
        ],
        TOKEN_NEEDED: { actions: { type: 'respond', params: ({ context }) => fail(invalidToken(context.invalidReason)) } },
      },
    },
    deleting: {
      tags: ['not-acquired', 'busy'],
      entry: { type: 'answer', params: ({ context }) => tokenAnswers(context, 'gone') },
      on: {
        DELETE: { actions: { type: 'wait', params: 'delete' } },
        CONFIGURE: { actions: 'defer' },
        GET_TOKEN: { actions: 'defer' },
        AWAIT_AUTHORIZATION: { actions: 'defer' },
      },
      invoke: {
        src: 'save',
        input: ({ context }) => ({ env: context.env, record: recordOf(context, 'not-acquired') }),
        onDone: {
          target: 'notAcquired',
          actions: [
            'revokeRemoved',
            assign({ ...cleared, attempt: 0, lastError: undefined }),
            { type: 'answer', params: [{ to: ['delete'], outcome: () => ok() }] },
          ],
        },
        // The store still holds the token: showing Not Acquired would last only until a restart.
        onError: [
          {
            guard: 'restoredInvalid',
            target: 'invalid',
            actions: [
              'failed',
              'storeFailed',
              { type: 'answer', params: ({ event }) => [{ to: ['delete'], outcome: () => fail(errorRecord(event.error)) }] },
            ],
          },
          {
            guard: 'restoredAcquired',
            target: 'acquired',
            actions: [
              'failed',
              'storeFailed',
              { type: 'answer', params: ({ event }) => [{ to: ['delete'], outcome: () => fail(errorRecord(event.error)) }] },
            ],
          },
          {
            target: 'notAcquired',
            actions: [
              'failed',
              'storeFailed',
              assign({ ...cleared, attempt: 0 }),
              { type: 'answer', params: ({ event }) => [{ to: ['delete'], outcome: () => fail(errorRecord(event.error)) }] },
            ],
          },
        ],
      },
    },
  },
});

/** The machine type. @internal */
export type TokenScopeMachine = typeof tokenScopeMachine;
