import { createActor, waitFor, type SnapshotFrom } from 'xstate';
import { holdProcessOpen } from '../clock.js';
import type { MailOAuthError, TokenStateError } from '../errors.js';
import { toMailOAuthError, UsageError, type ErrorCode, type ErrorRecord } from '../errors.js';
import { promptOf, type AuthorizationPrompt, type Flow } from '../oauth/types.js';
import type { PageSettings, Protocol } from '../settings/types.js';
import { ScopeEnvironment, type ScopeDeps } from './environment.js';
import { ScopePersistence } from './persistence.js';
import type { ScopeRecord } from './record.js';
import type { ReplyValue, ScopeReply } from './replies.js';
import { invalidToken } from './replies.js';
import { nextRenewalAt, tokenScopeMachine, type ScopeEvent, type TokenScopeMachine, type TokenStatus } from './token-scope.js';

export type { ScopeDeps } from './environment.js';

type Snapshot = SnapshotFrom<TokenScopeMachine>;
/** A request event, before the adapter gives it an id. */
type Request = ScopeEvent extends infer E ? (E extends { id: number } ? Omit<E, 'id'> : never) : never;

const statuses: readonly TokenStatus[] = ['not-acquired', 'waiting-for-authorization', 'acquired', 'invalid'];

/** How long {@link Scope.close} lets a revocation in flight finish before aborting it (ms). */
export const REVOCATION_GRACE_MS = 5_000;

function statusOf(snapshot: Snapshot): TokenStatus {
  return statuses.find((status) => snapshot.hasTag(status)) ?? 'not-acquired';
}

const closedError = (): TokenStateError => new UsageError('ERR_DEVICE_CLOSED', 'The device has been closed', { kind: 'usage' });
const abortedError = (): MailOAuthError => new UsageError('ERR_ABORTED', 'The operation was aborted', { kind: 'usage' });

/** What {@link Scope.facts} reports. @internal */
export interface TokenFacts {
  acquiredAt?: number;
  expiresAt?: number;
  renewedAt?: number;
  nextRenewalAt?: number;
  scopes?: string[];
  errorCode?: ErrorCode;
  reasonCode?: ErrorCode;
  hint?: string;
}

/** Options of {@link Scope.getToken}. @internal */
export interface GetTokenRequest {
  flow?: Flow;
  redirectUri?: string;
}

interface Pending {
  resolve(value: ReplyValue): void;
  reject(error: MailOAuthError): void;
}

/**
 * One token scope: the XState actor and its persistence. Every rule lives in the machine; this
 * class only turns calls into request events and settles each call with the reply the machine
 * emits for its request id.
 * @internal
 */
export class Scope {
  readonly id: string;
  readonly protocol: Protocol;
  readonly #persistence: ScopePersistence;
  readonly #clock: ScopeDeps['clock'];
  readonly #actor;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  /** Stops the store's change notifications for this scope. */
  readonly #unwatch: () => void;

  private constructor(deps: ScopeDeps, persistence: ScopePersistence, record: ScopeRecord | undefined) {
    this.id = deps.id;
    this.protocol = deps.protocol;
    this.#persistence = persistence;
    this.#clock = deps.clock;
    const env = new ScopeEnvironment(deps, persistence);
    this.#actor = createActor(tokenScopeMachine, {
      input: { env, record, defaults: {} },
      clock: deps.clock,
      id: deps.id,
      ...(deps.inspect === undefined ? {} : { inspect: deps.inspect }),
    });
    this.#actor.subscribe({
      error: (err: unknown) => {
        deps.logger.error('token scope stopped on an error', { scope: deps.id, code: toMailOAuthError(err).code });
        // A stopped actor never replies: nobody may keep waiting for it.
        this.#rejectAll(toMailOAuthError(err));
      },
    });
    this.#actor.on('*', (emitted) => {
      if (emitted.type === 'reply') this.#settle(emitted);
      else deps.onEvent?.(emitted);
    });
    this.#actor.start();
    this.#unwatch = deps.store.watch?.(deps.id, () => this.#send({ type: 'STORE_CHANGED' })) ?? (() => undefined);
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

  /** The machine's state value (for diagnostics and model-based tests). */
  get state(): Snapshot['value'] {
    return this.#actor.getSnapshot().value;
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

  /** Non-secret facts about the held token and why it is not usable, for a page's TokenInfo. */
  get facts(): TokenFacts {
    const snapshot = this.#actor.getSnapshot();
    const { context } = snapshot;
    const facts: TokenFacts = {};
    if (context.acquiredAt !== undefined) facts.acquiredAt = context.acquiredAt;
    if (context.tokens !== undefined) {
      facts.expiresAt = context.tokens.expiresAt;
      if (context.tokens.scope !== undefined) facts.scopes = context.tokens.scope.split(/\s+/).filter((s) => s !== '');
    }
    if (context.obtainedAt !== undefined && context.obtainedAt !== context.acquiredAt) facts.renewedAt = context.obtainedAt;
    const next = statusOf(snapshot) === 'acquired' ? nextRenewalAt(context) : undefined;
    if (next !== undefined) facts.nextRenewalAt = next;
    if (context.invalidReason !== undefined) {
      // The manual's code for an Invalid token, with the provider's answer beside it.
      facts.errorCode = invalidToken(context.invalidReason).code;
      facts.reasonCode = context.invalidReason.code;
      if (context.invalidReason.hint !== undefined) facts.hint = context.invalidReason.hint;
    } else if (context.lastError !== undefined) {
      facts.errorCode = context.lastError.code;
      if (context.lastError.hint !== undefined) facts.hint = context.lastError.hint;
    }
    return facts;
  }

  /** Calls `listener` when anything a page shows changes: status, prompt or error. */
  watchShown(listener: () => void): () => void {
    const shown = (snapshot: Snapshot): string => {
      const { pending, invalidReason, lastError } = snapshot.context;
      const status = statusOf(snapshot);
      const prompt = status === 'waiting-for-authorization' && pending !== undefined ? JSON.stringify(promptOf(pending)) : '';
      return `${status}\n${prompt}\n${invalidReason?.code ?? lastError?.code ?? ''}`;
    };
    let last = shown(this.#actor.getSnapshot());
    const subscription = this.#actor.subscribe((snapshot) => {
      const next = shown(snapshot);
      if (next === last) return;
      last = next;
      listener();
    });
    return () => subscription.unsubscribe();
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

  /** Applies and stores settings; refused while a token or sign-in holds the provider and account; waits for a deletion or renewal in progress. */
  async configure(settings: PageSettings): Promise<void> {
    await this.#ask({ type: 'CONFIGURE', settings });
  }

  /**
   * Starts a sign-in, or joins the one in progress. Rule for a second Get Token while one is
   * starting or waiting: the same flow (and redirect URI) gets the same prompt; another flow
   * replaces the first, whose callers still waiting (getToken, authorizationSettled) reject with
   * ERR_AUTHORIZATION_CANCELLED, so nobody keeps a prompt the device abandoned without being told.
   * An abort rejects this call with ERR_ABORTED; a start that no other caller waits for is cancelled.
   */
  async getToken(request: GetTokenRequest, signal?: AbortSignal): Promise<AuthorizationPrompt> {
    const event: Request = { type: 'GET_TOKEN' };
    if (request.flow !== undefined) event.flow = request.flow;
    if (request.redirectUri !== undefined) event.redirectUri = request.redirectUri;
    return (await this.#ask(event, signal, true)) as AuthorizationPrompt;
  }

  /** Finishes an authorization-code sign-in with the provider's redirect. */
  async completeAuthorization(callbackUrl: string, signal?: AbortSignal): Promise<void> {
    await this.#ask({ type: 'CALLBACK', url: callbackUrl }, signal);
  }

  /** Resolves when the scope leaves Waiting for Authorization; rejects with the reason when it did not end Acquired. */
  async authorizationSettled(signal?: AbortSignal): Promise<void> {
    await this.#ask({ type: 'AWAIT_AUTHORIZATION' }, signal);
  }

  cancel(): void {
    this.#assertOpen();
    this.#actor.send({ type: 'CANCEL' });
  }

  /** Deletes the token (and revokes it at the provider in the background). An abort stops waiting; the deletion goes on. */
  async deleteToken(signal?: AbortSignal): Promise<void> {
    await this.#ask({ type: 'DELETE' }, signal);
  }

  /**
   * The current access token, renewed first when due. With `rejected`, the caller reports that a
   * server refused that token: one forced renewal is shared by every caller that reports it.
   * An abort stops this caller's wait; a renewal shared with others goes on.
   */
  async accessToken(rejected?: string, signal?: AbortSignal): Promise<string> {
    return (await this.#ask(rejected === undefined ? { type: 'TOKEN_NEEDED' } : { type: 'TOKEN_NEEDED', rejected }, signal)) as string;
  }

  /**
   * Stops the actor (aborting anything in flight) and waits for queued writes. A revocation in
   * flight gets {@link REVOCATION_GRACE_MS} to finish first, then is aborted with the rest.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#unwatch();
    await this.#revocationsSettled();
    if (this.#closed) return;
    this.#actor.stop();
    this.#rejectAll(new UsageError('ERR_DEVICE_CLOSED', 'The device was closed while waiting', { kind: 'usage' }));
    await this.#persistence.flush();
  }

  /** Resolves once no revocation child is running, or after the grace period. */
  async #revocationsSettled(): Promise<void> {
    const running = (s: Snapshot): boolean => Object.keys(s.children).some((id) => id.startsWith('revoke.'));
    if (!running(this.#actor.getSnapshot())) return;
    let timer: unknown;
    const grace = new Promise<void>((resolve) => {
      timer = this.#clock.setTimeout(() => resolve(), REVOCATION_GRACE_MS);
    });
    await Promise.race([waitFor(this.#actor, (s) => !running(s)).catch(() => undefined), grace]);
    this.#clock.clearTimeout(timer);
  }

  /** Closed is the actor's own state: stopped actors are never restarted. */
  get #closed(): boolean {
    return this.#actor.getSnapshot().status === 'stopped';
  }

  #assertOpen(): void {
    const snapshot = this.#actor.getSnapshot();
    if (snapshot.status === 'error') throw toMailOAuthError(snapshot.error);
    if (this.#closed) throw closedError();
  }

  #rejectAll(error: MailOAuthError): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const caller of pending) caller.reject(error);
  }

  #send(event: ScopeEvent): void {
    if (this.#actor.getSnapshot().status === 'active') this.#actor.send(event);
  }

  /**
   * Sends a request and waits for its reply. The machine's timers are unref'd (background
   * renewals must not hold a process open), so a caller awaiting one holds the process open.
   * On abort the caller stops waiting at once; with `withdraw`, the machine forgets the caller
   * (a sign-in start nobody else waits for is cancelled).
   */
  #ask(request: Request, signal?: AbortSignal, withdraw = false): Promise<ReplyValue> {
    this.#assertOpen();
    if (signal?.aborted === true) return Promise.reject(abortedError());
    const id = ++this.#nextId;
    const release = holdProcessOpen();
    return new Promise<ReplyValue>((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.#pending.delete(id)) return;
        release();
        reject(abortedError());
        if (withdraw) this.#send({ type: 'WITHDRAW', id });
      };
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        release();
      };
      this.#pending.set(id, {
        resolve: (value) => (done(), resolve(value)),
        reject: (error) => (done(), reject(error)),
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#actor.send({ ...request, id });
    });
  }

  #settle(reply: ScopeReply): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(reply.error);
  }
}
