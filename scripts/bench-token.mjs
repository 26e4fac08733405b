/**
 * The token path against msal-node, in one process, on a token endpoint on 127.0.0.1:
 *  1. a cached token: `page.accessToken()` vs msal-node `acquireTokenSilent` (cache hit) vs
 *     `Map.get` + clock in an async function (the floor: what any cache must do at least);
 *  2. 10,000 concurrent callers when the token is due: requests sent to the endpoint and each
 *     caller's latency (p50/p99), mail-oauth vs msal-node.
 * msal-node runs offline: its authority metadata and cloud discovery are given as JSON, and its
 * network client (a documented option) sends the token request to the same local endpoint.
 *
 *   npm run build && node scripts/bench-token.mjs      (BENCH_ROUNDS, BENCH_SMOKE=1, BENCH_DIST)
 */
import { createServer } from 'node:http';
import { PublicClientApplication } from '@azure/msal-node';
import { distUrl, interleave, report, size, summarize } from './lib/bench-stats.mjs';

const { createMailOAuth, memoryStore, oidc } = await import(distUrl());

const CALLERS = size(10_000, 200);
const SLICE_MS = size(400, 20);
/** What the token endpoint takes to answer: a nearby identity provider, not a free one. */
const ENDPOINT_DELAY_MS = 10;
const TENANT = '11111111-2222-3333-4444-555555555555';
const OID = '99999999-8888-7777-6666-555555555555';
const CLIENT_ID = 'bench-client';

let requests = 0;
let expiresIn = 3600;
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    if (req.url.startsWith('/.well-known/')) return res.end(JSON.stringify({ issuer: base, token_endpoint: `${base}/token` }));
    requests++;
    const now = Math.floor(Date.now() / 1000);
    const idToken = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ aud: CLIENT_ID, iss: `${authority}/v2.0`, tid: TENANT, oid: OID, sub: OID, preferred_username: 'scanner@contoso.test', iat: now, nbf: now, exp: now + 3600 })}.`;
    const reply = {
      access_token: `at-${requests}-${'x'.repeat(1200)}`,
      refresh_token: `rt-${requests}`,
      token_type: 'Bearer',
      expires_in: expiresIn,
      scope: 'https://outlook.office.com/SMTP.Send openid profile offline_access',
      id_token: idToken,
      client_info: b64({ uid: OID, utid: TENANT }),
    };
    setTimeout(() => res.end(JSON.stringify(reply)), ENDPOINT_DELAY_MS);
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const host = `127.0.0.1:${server.address().port}`;
const base = `http://${host}`;
// msal-node requires an https authority; its network client below maps it to the local http one.
const authority = `https://${host}/${TENANT}`;

const scopes = ['https://outlook.office.com/SMTP.Send'];
const networkClient = {
  async sendGetRequestAsync(url, options) {
    return send(url, { method: 'GET', headers: options?.headers });
  },
  async sendPostRequestAsync(url, options) {
    return send(url, { method: 'POST', headers: options?.headers, body: options?.body });
  },
};
async function send(url, init) {
  const target = new URL(url);
  if (target.host !== host) throw new Error(`refusing ${target.host}: this benchmark stays on 127.0.0.1`);
  target.protocol = 'http:';
  const response = await fetch(target, init);
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.json() };
}

async function msalApp(lifetimeS) {
  const app = new PublicClientApplication({
    auth: {
      clientId: CLIENT_ID,
      authority,
      knownAuthorities: [host],
      authorityMetadata: JSON.stringify({
        token_endpoint: `${authority}/oauth2/v2.0/token`,
        authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
        device_authorization_endpoint: `${authority}/oauth2/v2.0/devicecode`,
        issuer: `${authority}/v2.0`,
        jwks_uri: `${authority}/discovery/v2.0/keys`,
      }),
      cloudDiscoveryMetadata: JSON.stringify({
        tenant_discovery_endpoint: `${authority}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      }),
    },
    system: { networkClient, loggerOptions: { piiLoggingEnabled: false, logLevel: 0, loggerCallback: () => undefined } },
  });
  expiresIn = lifetimeS;
  // forceCache: keep what the refresh returns (msal-node's migration path), so the cache holds an account.
  await app.acquireTokenByRefreshToken({ refreshToken: 'rt-seed', scopes, forceCache: true });
  expiresIn = 3600;
  const [account] = await app.getTokenCache().getAllAccounts();
  if (account === undefined) throw new Error('msal-node cached no account');
  return { app, account };
}

async function sdkDevice(expiresAt) {
  const store = memoryStore();
  const now = Date.now();
  await store.set('smtp.main', {
    v: 1,
    settings: { authMethod: 'oauth2', provider: 'corp', account: 'scanner@contoso.test' },
    phase: 'acquired',
    tokens: { accessToken: `at-0-${'x'.repeat(1200)}`, refreshToken: 'rt-0', tokenType: 'Bearer', expiresAt, flow: 'authorization-code' },
    obtainedAt: now - 3_000_000,
  });
  const device = await createMailOAuth({
    providers: [oidc({ id: 'corp', issuer: base, clientId: CLIENT_ID, scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' } })],
    store,
  });
  return { device, page: device.page('smtp.services') };
}

/** Calls `fn` back to back for SLICE_MS; returns nanoseconds per call. */
async function perCall(fn) {
  let calls = 0;
  const started = performance.now();
  const until = started + SLICE_MS;
  while (performance.now() < until) {
    for (let i = 0; i < 100; i++) await fn();
    calls += 100;
  }
  return ((performance.now() - started) * 1e6) / calls;
}

try {
  // 1. Cached token.
  const { device, page } = await sdkDevice(Date.now() + 3_600_000);
  const msal = await msalApp(3600);
  const cache = new Map([['smtp.main', { accessToken: 'at', expiresAt: Date.now() + 3_600_000 }]]);
  const floor = async () => {
    const entry = cache.get('smtp.main');
    if (entry.expiresAt - 60_000 > Date.now()) return entry.accessToken;
    throw new Error('expired');
  };
  const ours = () => page.accessToken();
  const theirs = () => msal.app.acquireTokenSilent({ account: msal.account, scopes });
  if ((await theirs()).fromCache !== true) throw new Error('msal-node did not answer from its cache');
  const before = requests;
  for (const warm of [ours, theirs, floor]) await perCall(warm);
  const cached = await interleave(
    ['mail-oauth accessToken()', 'msal-node acquireTokenSilent (cache hit)', 'Map.get + clock (floor)'],
    (name) => perCall(name.startsWith('mail') ? ours : name.startsWith('msal') ? theirs : floor),
  );
  if (requests !== before) throw new Error('a cached call reached the token endpoint');
  report('cached token, one caller after another', 'ns per call', cached, 'mail-oauth accessToken()', 0);
  await device.close();

  // 2. Many callers when the token is due.
  const stampede = { 'mail-oauth': { requests: [], p50: [], p99: [] }, 'msal-node': { requests: [], p50: [], p99: [] } };
  await interleave(Object.keys(stampede), async (name) => {
    let call;
    let close = async () => undefined;
    if (name === 'mail-oauth') {
      const sdk = await sdkDevice(Date.now() - 1_000);
      call = () => sdk.page.accessToken();
      close = () => sdk.device.close();
    } else {
      // Inside msal-node's 5-minute renewal margin: due, as the SDK's token above.
      const { app, account } = await msalApp(60);
      call = () => app.acquireTokenSilent({ account, scopes });
    }
    const sent = requests;
    const latencies = await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        const started = performance.now();
        await call();
        return performance.now() - started;
      }),
    );
    const s = summarize(latencies);
    const sorted = latencies.sort((a, b) => a - b);
    stampede[name].requests.push(requests - sent);
    stampede[name].p50.push(s.median);
    stampede[name].p99.push(sorted[Math.floor(sorted.length * 0.99)]);
    await close();
  });
  console.log(`\n${CALLERS} concurrent callers, token due, endpoint answering in ${ENDPOINT_DELAY_MS} ms (medians over rounds)`);
  for (const [name, r] of Object.entries(stampede)) {
    const m = (values) => summarize(values).median;
    console.log(
      `  ${name.padEnd(12)} requests sent ${String(m(r.requests)).padStart(5)} (max ${Math.max(...r.requests)})   p50 ${m(r.p50).toFixed(1)} ms   p99 ${m(r.p99).toFixed(1)} ms (min–max ${Math.min(...r.p99).toFixed(1)}–${Math.max(...r.p99).toFixed(1)})`,
    );
  }
  const p99 = (name) => summarize(stampede[name].p99).median;
  console.log(`  p99 ratio msal-node / mail-oauth ×${(p99('msal-node') / p99('mail-oauth')).toFixed(2)}`);
  console.log(
    `node ${process.version}; token endpoint on 127.0.0.1; msal-node ${(await import('@azure/msal-node/package.json', { with: { type: 'json' } }).catch(() => ({ default: { version: '?' } }))).default.version}`,
  );
} finally {
  server.close();
}
