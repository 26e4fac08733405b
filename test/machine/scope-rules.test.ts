/**
 * Rules that now live in the machine and reach callers through per-request replies: settings
 * queued behind a renewal or a deletion, aborts, revocation owned by the scope, one shared
 * machine definition.
 */
import { describe, expect, it } from 'vitest';
import { defaultBackoff } from '../../src/machine/backoff.js';
import { REVOCATION_GRACE_MS, Scope } from '../../src/machine/scope.js';
import { tokenScopeMachine } from '../../src/machine/token-scope.js';
import type { TokenSet } from '../../src/oauth/types.js';
import { memoryStore } from '../../src/store/memory.js';
import type { TokenStore } from '../../src/store/types.js';
import { fakeProvider, recordingLogger, serverDown, type FakeProvider } from '../helpers/fake-provider.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { rejection } from '../helpers/rejection.js';

const ACCOUNT = 'scanner@contoso.example';
const oauth = { authMethod: 'oauth2', provider: 'fake', account: ACCOUNT } as const;

async function openScope(options: { store?: TokenStore; clock?: ManualClock; provider?: FakeProvider; random?: () => number } = {}) {
  const clock = options.clock ?? new ManualClock();
  const provider = options.provider ?? fakeProvider(clock);
  const store = options.store ?? memoryStore();
  const logger = recordingLogger();
  const scope = await Scope.open({
    id: 'smtp.main',
    protocol: 'smtp',
    store,
    clock,
    logger,
    dispatcher: async () => undefined,
    providers: new Map([[provider.id, provider]]),
    refreshMarginMs: 600_000,
    keepAliveMs: 3 * 86_400_000,
    backoff: defaultBackoff,
    random: options.random ?? (() => 0.5),
    persistRefreshTokens: true,
  });
  return { scope, clock, provider, store, logger };
}

async function acquiredScope(options: Parameters<typeof openScope>[0] = {}) {
  const setup = await openScope(options);
  await setup.scope.configure({ ...oauth });
  await setup.scope.getToken({ flow: 'client-credentials' });
  expect(setup.scope.status).toBe('acquired');
  return setup;
}

/** Holds every refresh until `release()`. */
function gatedRefresh(provider: FakeProvider): { release: () => void } {
  const gates: Array<() => void> = [];
  provider.onRefresh = async (tokens: TokenSet) => {
    await new Promise<void>((resolve) => gates.push(resolve));
    return provider.issue(tokens.flow, ACCOUNT);
  };
  return { release: () => gates.splice(0).forEach((open) => open()) };
}

describe('one machine definition', () => {
  it('every scope runs the same module-level definition, bound through its input', async () => {
    const a = await openScope();
    const b = await openScope();
    // The definition holds no scope's services: a scope's env reaches it only through input.
    expect(JSON.stringify(tokenScopeMachine.config)).not.toContain('smtp.main');
    expect(a.scope.status).toBe('not-acquired');
    expect(b.scope.status).toBe('not-acquired');
    await Promise.all([a.scope.close(), b.scope.close()]);
  });
});

describe('configure is queued behind work it must not interrupt', () => {
  it('while renewing: the new settings are applied and stored after the renewal, which used the old ones', async () => {
    const { scope, clock, provider, store } = await acquiredScope();
    const gate = gatedRefresh(provider);
    const token = scope.accessToken(await scope.accessToken());
    await clock.advance(0);
    expect(provider.calls.refresh).toBe(1);
    const configured = scope.configure({ ...oauth, server: 'smtp.example.test' });
    await clock.advance(0);
    // Still renewing: the settings wait.
    expect(scope.settings.server).toBeUndefined();
    gate.release();
    await configured;
    const renewed = await token;
    expect(scope.settings.server).toBe('smtp.example.test');
    const stored = (await store.get('smtp.main')) as { settings: { server?: string }; tokens: { accessToken: string } };
    expect(stored.settings.server).toBe('smtp.example.test');
    expect(stored.tokens.accessToken).toBe(renewed);
    await scope.close();
  });

  it('while deleting: the settings land on the Not Acquired record, and a provider change is then allowed', async () => {
    const { scope, store } = await acquiredScope();
    let releaseWrite!: () => void;
    const set = store.set.bind(store);
    store.set = async (key, value) => {
      await new Promise<void>((resolve) => (releaseWrite = resolve));
      store.set = set;
      return set(key, value);
    };
    const deleted = scope.deleteToken();
    await new Promise((resolve) => setImmediate(resolve));
    // The token is still held while it is being deleted: without the queue this change would be refused.
    const configured = scope.configure({ ...oauth, account: 'other@contoso.example' });
    releaseWrite();
    await deleted;
    await configured;
    expect(scope.status).toBe('not-acquired');
    expect(scope.settings.account).toBe('other@contoso.example');
    expect(((await store.get('smtp.main')) as { settings: { account: string } }).settings.account).toBe('other@contoso.example');
    await scope.close();
  });

  it('changing the account while a token is held is refused by the machine with ERR_SETTINGS_LOCKED_BY_TOKEN', async () => {
    const { scope } = await acquiredScope();
    expect(await rejection(scope.configure({ ...oauth, account: 'other@contoso.example' }))).toMatchObject({
      code: 'ERR_SETTINGS_LOCKED_BY_TOKEN',
      kind: 'usage',
    });
    expect(scope.settings.account).toBe(ACCOUNT);
    await scope.close();
  });
});

describe('abort', () => {
  it('accessToken(…, signal) rejects with ERR_ABORTED at once; the shared renewal goes on for the others', async () => {
    const { scope, clock, provider } = await acquiredScope();
    const gate = gatedRefresh(provider);
    const old = await scope.accessToken();
    const controller = new AbortController();
    const aborted = rejection(scope.accessToken(old, controller.signal));
    const other = scope.accessToken(old);
    await clock.advance(0);
    controller.abort();
    expect(await aborted).toMatchObject({ code: 'ERR_ABORTED' });
    gate.release();
    expect(await other).not.toBe(old);
    expect(provider.calls.refresh).toBe(1);
    await scope.close();
  });

  it('getToken(…, signal): the only caller of a start that aborts cancels the sign-in', async () => {
    const { scope, clock, provider } = await openScope();
    await scope.configure({ ...oauth });
    let startSignal: AbortSignal | undefined;
    provider.startAuthorization = (_request, context) => {
      startSignal = context.signal;
      return new Promise(() => undefined);
    };
    const controller = new AbortController();
    const started = rejection(scope.getToken({ flow: 'device-code' }, controller.signal));
    await clock.advance(0);
    expect(scope.status).toBe('waiting-for-authorization');
    controller.abort();
    expect(await started).toMatchObject({ code: 'ERR_ABORTED' });
    expect(scope.status).toBe('not-acquired');
    expect(startSignal?.aborted).toBe(true);
    await scope.close();
  });

  it('authorizationSettled(signal) and completeAuthorization(…, signal) reject with ERR_ABORTED; an aborted signal rejects before sending', async () => {
    const { scope } = await openScope();
    await scope.configure({ ...oauth });
    await scope.getToken({ flow: 'device-code' });
    const controller = new AbortController();
    const settled = rejection(scope.authorizationSettled(controller.signal));
    controller.abort();
    expect(await settled).toMatchObject({ code: 'ERR_ABORTED' });
    expect(await rejection(scope.completeAuthorization('http://127.0.0.1/cb?code=x', controller.signal))).toMatchObject({
      code: 'ERR_ABORTED',
    });
    expect(await rejection(scope.deleteToken(controller.signal))).toMatchObject({ code: 'ERR_ABORTED' });
    // Nothing was sent: the sign-in is still waiting.
    expect(scope.status).toBe('waiting-for-authorization');
    await scope.close();
  });
});

describe('revocation is owned by the scope', () => {
  it('close() waits for a revocation in flight', async () => {
    const { scope, provider } = await acquiredScope();
    let finish!: () => void;
    provider.revoke = async () => {
      provider.calls.revoke += 1;
      await new Promise<void>((resolve) => (finish = resolve));
    };
    await scope.deleteToken();
    expect(provider.calls.revoke).toBe(1);
    let closed = false;
    const closing = scope.close().then(() => (closed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    finish();
    await closing;
    expect(closed).toBe(true);
  });

  it(`close() aborts a revocation that is still running after ${REVOCATION_GRACE_MS} ms`, async () => {
    const { scope, clock, provider } = await acquiredScope();
    let revokeSignal: AbortSignal | undefined;
    provider.revoke = async (_tokens, context) => {
      revokeSignal = context.signal;
      await new Promise(() => undefined);
    };
    await scope.deleteToken();
    await clock.advance(0);
    let closed = false;
    const closing = scope.close().then(() => (closed = true));
    await clock.advance(REVOCATION_GRACE_MS - 1);
    expect(closed).toBe(false);
    expect(revokeSignal?.aborted).toBe(false);
    await clock.advance(1);
    await closing;
    expect(revokeSignal?.aborted).toBe(true);
  });
});

describe('a scope whose actor fails', () => {
  it('rejects the callers waiting on it instead of leaving them pending, and refuses new calls', async () => {
    const { scope, clock, provider, logger } = await acquiredScope({
      random: () => {
        throw new Error('entropy source failed');
      },
    });
    provider.onRefresh = async () => {
      throw serverDown();
    };
    // The transient failure enters back-off, whose delay needs the (failing) random source.
    const waiting = rejection(scope.accessToken(provider.issued.at(-1)));
    await clock.advance(0);
    expect(await waiting).toMatchObject({ code: 'ERR_INTERNAL' });
    expect(logger.lines.some((line) => line.includes('token scope stopped on an error'))).toBe(true);
    await expect(scope.accessToken()).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
    await scope.close();
  });
});

describe('a shared store says another instance stored a token', () => {
  it('a newer stored token is adopted without asking the provider; an older or equal one changes nothing', async () => {
    const listeners = new Set<() => void>();
    const store: TokenStore = {
      ...memoryStore(),
      watch: (_key, listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const base = store.set.bind(store);
    const { scope, clock, provider } = await acquiredScope({ store });
    const mine = await scope.accessToken();
    listeners.forEach((notify) => notify());
    await clock.advance(0);
    expect(await scope.accessToken()).toBe(mine);
    const record = (await store.get('smtp.main')) as { tokens: TokenSet; obtainedAt: number };
    await base('smtp.main', {
      ...record,
      tokens: { ...record.tokens, accessToken: 'access-from-the-other-instance' },
      obtainedAt: record.obtainedAt + 1,
    });
    listeners.forEach((notify) => notify());
    await clock.advance(0);
    expect(await scope.accessToken()).toBe('access-from-the-other-instance');
    expect(provider.calls.refresh).toBe(0);
    await scope.close();
  });
});
