/**
 * Model-based test of the token-scope machine against the real stores and a scripted issuer.
 * A breadth-first walk drives a real Scope with every administrator/provider/store action from
 * every state it has reached (each state re-created by replaying its shortest path on a fresh
 * scope). In each state it checks the status projection and the persisted record; at the end,
 * every state and every transition of the definition (as `xstate/graph` sees it) must have been
 * taken for real. A new state or edge in the machine fails this test until the model drives it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { InspectionEvent, StateValue } from 'xstate';
import { getStateNodes, toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';
import { defaultBackoff } from '../../src/machine/backoff.js';
import { parseScopeRecord, type ScopePhase } from '../../src/machine/record.js';
import { Scope } from '../../src/machine/scope.js';
import { tokenScopeMachine, type TokenStatus } from '../../src/machine/token-scope.js';
import { fileStore } from '../../src/store/file.js';
import { memoryStore } from '../../src/store/memory.js';
import type { TokenStore } from '../../src/store/types.js';
import { fakeProvider, invalidGrant, recordingLogger, serverDown, type FakeProvider } from '../helpers/fake-provider.js';
import { ManualClock, settle } from '../helpers/manual-clock.js';

const ACCOUNT = 'scanner@contoso.example';
const ID = 'smtp.main';
const ignore = (): void => undefined;

/** One run of the real system: a configured scope over a store that can be told to fail, a scripted issuer, a manual clock. */
interface World {
  scope: Scope;
  clock: ManualClock;
  provider: FakeProvider;
  store: TokenStore;
  /** Writes that fail from now on (ERR_STORE_WRITE). */
  failWrites: number;
  /** Tells the scope another instance wrote its record. */
  notify(): void;
  taken: Set<string>;
  reopen(): Promise<void>;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function storeOf(kind: 'memory' | 'file'): TokenStore {
  if (kind === 'memory') return memoryStore();
  const dir = mkdtempSync(join(tmpdir(), 'mail-oauth-model-'));
  dirs.push(dir);
  return fileStore({ path: join(dir, 'oauth.jwe'), key: new Uint8Array(32).fill(3) });
}

const leaf = (value: StateValue): string =>
  typeof value === 'string' ? value : (Object.entries(value).map(([key, child]) => `${key}.${leaf(child as StateValue)}`)[0] ?? '');

type Guard = string | { type?: string } | ((...args: never[]) => unknown) | undefined;
const guardName = (guard: unknown): string => {
  const g = guard as Guard;
  const name = typeof g === 'function' ? g.name : typeof g === 'string' ? g : g?.type;
  return name === undefined || name === '' ? '' : ` [${name}]`;
};

function edgeKey(source: string, target: string, eventType: string, guard?: unknown): string {
  const kind = eventType.startsWith('xstate.done.actor')
    ? 'done'
    : eventType.startsWith('xstate.error.actor')
      ? 'error'
      : eventType.startsWith('xstate.after')
        ? `after ${eventType.split('.')[2]}`
        : eventType || 'always';
  return `${source} -> ${target} : ${kind}${guardName(guard)}`;
}

async function createWorld(kind: 'memory' | 'file'): Promise<World> {
  const clock = new ManualClock();
  const provider = fakeProvider(clock);
  const base = storeOf(kind);
  const listeners = new Set<() => void>();
  const taken = new Set<string>();
  const world = { clock, provider, failWrites: 0, taken } as World;
  const store: TokenStore = {
    get: (key) => base.get(key),
    set: async (key, value) => {
      if (world.failWrites > 0) {
        world.failWrites -= 1;
        throw new Error('disk full');
      }
      return base.set(key, value);
    },
    delete: (key) => base.delete(key),
    watch: (_key, listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ...(base.withLock === undefined ? {} : { withLock: base.withLock.bind(base) }),
  };
  const inspect = (event: InspectionEvent): void => {
    if (event.type !== '@xstate.microstep') return;
    for (const transition of event._transitions) {
      for (const target of transition.target ?? [])
        taken.add(edgeKey(transition.source.id, target.id, String(transition.eventType), transition.guard));
    }
  };
  const open = (): Promise<Scope> =>
    Scope.open({
      id: ID,
      protocol: 'smtp',
      store,
      clock,
      logger: recordingLogger(),
      dispatcher: async () => undefined,
      providers: new Map([[provider.id, provider]]),
      refreshMarginMs: 600_000,
      keepAliveMs: 3 * 86_400_000,
      backoff: defaultBackoff,
      random: () => 0.5,
      persistRefreshTokens: true,
      inspect,
    });
  Object.assign(world, {
    store,
    scope: await open(),
    notify: () => listeners.forEach((listener) => listener()),
    reopen: async () => {
      await world.scope.close();
      world.scope = await open();
    },
  });
  await world.scope.configure({ authMethod: 'oauth2', provider: 'fake', account: ACCOUNT });
  return world;
}

/** What the administrator, the issuer, the store and time can do. Each leaves the world settled. */
const actions: Record<string, (w: World) => Promise<void>> = {
  configure: async (w) => void w.scope.configure({ authMethod: 'oauth2', provider: 'fake', account: ACCOUNT }).catch(ignore),
  'get token (device code)': async (w) => void w.scope.getToken({ flow: 'device-code' }).catch(ignore),
  'get token (redirect)': async (w) => void w.scope.getToken({ flow: 'authorization-code' }).catch(ignore),
  'get token (app-only)': async (w) => void w.scope.getToken({ flow: 'client-credentials' }).catch(ignore),
  'get token, issuer down': async (w) => {
    const { provider } = w;
    const start = provider.startAuthorization.bind(provider);
    provider.startAuthorization = async () => {
      provider.startAuthorization = start;
      throw serverDown();
    };
    void w.scope.getToken({ flow: 'device-code' }).catch(ignore);
  },
  'get token, caller aborts': async (w) => {
    const start = w.provider.startAuthorization.bind(w.provider);
    w.provider.startAuthorization = (_request, context) =>
      new Promise((_, reject) => context.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    const controller = new AbortController();
    const call = w.scope.getToken({ flow: 'device-code' }, controller.signal).catch(ignore);
    await w.clock.advance(0);
    controller.abort();
    await call;
    w.provider.startAuthorization = start;
  },
  'app-only token, store full': async (w) => {
    w.failWrites = 1;
    void w.scope.getToken({ flow: 'client-credentials' }).catch(ignore);
    await settle();
    w.failWrites = 0;
  },
  'poll: pending': async (w) => w.clock.advance(5_000),
  'poll: tokens': async (w) => {
    w.provider.pollQueue.push('tokens');
    await w.clock.advance(5_000);
  },
  'poll: slow down': async (w) => {
    w.provider.pollQueue.push('slow-down');
    await w.clock.advance(5_000);
  },
  'poll: issuer down': async (w) => {
    w.provider.pollQueue.push(serverDown());
    await w.clock.advance(5_000);
  },
  'poll: declined': async (w) => {
    w.provider.pollQueue.push(invalidGrant());
    await w.clock.advance(5_000);
  },
  'sign-in expires': async (w) => w.clock.advance(900_000),
  'redirect: good': async (w) =>
    void w.scope.completeAuthorization(`http://127.0.0.1:8080/callback?code=x&state=state-${w.provider.calls.start}`).catch(ignore),
  'redirect: forged': async (w) => void w.scope.completeAuthorization('http://127.0.0.1:8080/callback?code=x&state=forged').catch(ignore),
  'redirect: denied': async (w) =>
    void w.scope
      .completeAuthorization(`http://127.0.0.1:8080/callback?error=access_denied&state=state-${w.provider.calls.start}`)
      .catch(ignore),
  'token needed': async (w) => void w.scope.accessToken().catch(ignore),
  'token rejected by a server': async (w) =>
    void w.scope.accessToken(w.scope.status === 'acquired' ? w.provider.issued.at(-1) : 'x').catch(ignore),
  'renewal time, issuer down': async (w) => {
    w.provider.onRefresh = async () => {
      w.provider.onRefresh = undefined;
      throw serverDown();
    };
    await w.clock.advance(3_000_000);
  },
  'renewal time, grant dead': async (w) => {
    w.provider.onRefresh = async () => {
      w.provider.onRefresh = undefined;
      throw invalidGrant();
    };
    await w.clock.advance(3_000_000);
  },
  'renewal time, store full': async (w) => {
    w.failWrites = 1;
    await w.clock.advance(3_000_000);
    w.failWrites = 0;
  },
  'retry time': async (w) => w.clock.advance(2_000),
  // Tokens that outlive the keep-alive: only the idle keep-alive renews within 3 days.
  'long-lived token, then idle for 3 days': async (w) => {
    // Elsewhere 3 days of polling or back-off timers would only slow the walk down.
    if (stateOf(w) !== 'acquired.ready') return;
    w.provider.lifetimeMs = 10 * 86_400_000;
    // With a refresh token whatever the flow (the walk may have signed in by client credentials).
    w.provider.onRefresh = async (tokens) => {
      w.provider.onRefresh = undefined;
      return { ...w.provider.issue(tokens.flow, ACCOUNT), refreshToken: 'refresh-secret-model' };
    };
    await w.scope.accessToken(w.provider.issued.at(-1)).catch(ignore);
    await w.clock.advance(3 * 86_400_000);
  },
  'retry time, store still full': async (w) => {
    w.failWrites = 1;
    await w.clock.advance(2_000);
    w.failWrites = 0;
  },
  'another instance renewed': async (w) => {
    const stored = parseScopeRecord(await w.store.get(ID));
    if (stored?.tokens !== undefined) {
      await w.store.set(ID, {
        ...stored,
        tokens: { ...stored.tokens, accessToken: `other-${w.clock.now()}` },
        obtainedAt: w.clock.now() + 1,
      });
    }
    w.notify();
    await settle();
  },
  'store notification, nothing newer': async (w) => {
    w.notify();
    await settle();
  },
  delete: async (w) => void w.scope.deleteToken().catch(ignore),
  'delete, store full': async (w) => {
    w.failWrites = 1;
    void w.scope.deleteToken().catch(ignore);
    await settle();
    w.failWrites = 0;
  },
  cancel: async (w) => w.scope.cancel(),
  restart: async (w) => w.reopen(),
};

function stateOf(w: World): string {
  return leaf(w.scope.state);
}

const phaseOf: Record<TokenStatus, ScopePhase[]> = {
  'not-acquired': ['not-acquired', 'authorizing'],
  'waiting-for-authorization': ['authorizing', 'not-acquired'],
  acquired: ['acquired'],
  invalid: ['invalid'],
};

/** In every state: the status is the tagged one, and the record on disk agrees with it once writes settle. */
async function checkState(w: World, state: string, status: TokenStatus = w.scope.status): Promise<void> {
  const node = tokenScopeMachine.getStateNodeById(`tokenScope.${state}`);
  const tags = new Set<string>();
  for (let n: typeof node | undefined = node; n !== undefined; n = n.parent) n.tags.forEach((tag) => tags.add(tag));
  expect(tags.has(status), `${state} shows ${status}`).toBe(true);
  await settle();
  const record = parseScopeRecord(await w.store.get(ID));
  if (record === undefined) return;
  expect(phaseOf[status], `${state}: record phase ${record.phase}`).toContain(record.phase);
  if (status === 'acquired') expect(record.tokens?.accessToken).toBeDefined();
  if (status === 'invalid') expect(record.invalidReason?.code).toBeDefined();
}

/** Every state node and every edge the definition declares. */
function definition(): { states: Set<string>; edges: Set<string> } {
  const states = new Set(
    getStateNodes(tokenScopeMachine.root)
      .filter((node) => node.type === 'atomic')
      .map((node) => node.id.replace(/^tokenScope\./, '')),
  );
  const edges = new Set<string>();
  const visit = (graph: DirectedGraphNode): void => {
    const node = graph.stateNode;
    for (const [eventType, transitions] of node.transitions) {
      for (const transition of transitions)
        for (const target of transition.target ?? []) edges.add(edgeKey(node.id, target.id, eventType, transition.guard));
    }
    for (const transition of node.always ?? [])
      for (const target of transition.target ?? []) edges.add(edgeKey(node.id, target.id, '', transition.guard));
    graph.children.forEach(visit);
  };
  visit(toDirectedGraph(tokenScopeMachine));
  return { states, edges };
}

/** States that wait on real work (the issuer, the store): an action is over once none of them is current. */
const working = new Set([
  'authorizing.starting',
  'authorizing.exchanging',
  'authorizing.saving',
  'authorizing.deviceCode.polling',
  'acquired.renewing',
  'acquired.saving',
  'acquired.checkingStore',
  'deleting',
]);

async function act(w: World, name: string): Promise<void> {
  await (actions[name] as (w: World) => Promise<void>)(w);
  await w.clock.advance(0);
  // A fileStore encrypts and writes for real: give its I/O time without moving the manual clock.
  for (let round = 0; round < 500 && working.has(stateOf(w)); round++) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    await w.clock.advance(0);
  }
}

async function replay(kind: 'memory' | 'file', path: readonly string[]): Promise<World> {
  const w = await createWorld(kind);
  for (const step of path) await act(w, step);
  return w;
}

describe('token-scope machine, model-based', () => {
  const { states, edges } = definition();
  const paths = new Map<string, string[]>();
  const taken = new Set<string>();

  it('a breadth-first walk over the real scope (memoryStore) reaches every state and takes every transition', async () => {
    const queue: string[][] = [[]];
    const start = await replay('memory', []);
    paths.set(stateOf(start), []);
    start.taken.forEach((edge) => taken.add(edge));
    await start.scope.close();
    while (queue.length > 0) {
      const path = queue.shift() as string[];
      for (const name of Object.keys(actions)) {
        const w = await replay('memory', path);
        await act(w, name);
        const state = stateOf(w);
        await checkState(w, state);
        w.taken.forEach((edge) => taken.add(edge));
        await w.scope.close();
        // Explore new states only (bounded: the number of states).
        if (!paths.has(state) && path.length < 6) {
          paths.set(state, [...path, name]);
          queue.push([...path, name]);
        }
      }
    }
    const reached = new Set(
      [...taken].flatMap((edge) => edge.split(' : ')[0]?.split(' -> ') ?? []).map((id) => id.replace(/^tokenScope\.?/, '')),
    );
    expect(
      [...states].filter((state) => !reached.has(state)),
      'states never entered or left',
    ).toEqual([]);
    expect(
      [...edges].filter((edge) => !taken.has(edge)),
      'transitions never taken',
    ).toEqual([]);
    expect(edges.size).toBeGreaterThan(40);
  }, 120_000);

  it('with a fileStore (encrypted, locked), every resting state found above shows its status and persists its phase', async () => {
    expect(paths.size).toBeGreaterThan(5);
    for (const path of paths.values()) {
      const w = await replay('file', path);
      const state = stateOf(w);
      const before = w.scope.status;
      const prompt = w.scope.prompt;
      // Closing waits for queued writes: then the file holds what the state promises.
      await w.scope.close();
      await checkState(w, state, before);
      // And a restart over the same file comes back with the same status (a sign-in only with its prompt).
      await w.reopen();
      expect(w.scope.status, path.join(' → ')).toBe(
        before === 'waiting-for-authorization' && prompt === undefined ? 'not-acquired' : before,
      );
      await w.scope.close();
    }
  }, 120_000);
});
