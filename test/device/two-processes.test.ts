/**
 * Two device processes share one encrypted token file and one authorization server that rotates
 * refresh tokens (and revokes the whole grant when a rotated-out one is replayed). Around every
 * expiry both ask for tokens at once: the store lock plus reload-before-refresh must make one
 * refresh per expiry, and never an invalid_grant from a rotation race.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailOAuth, fileStore, oidc } from '../../src/index.js';
import { CLIENTS, startOidcServer, type OidcServer } from '../peers/oidc-server.js';
import { completeAuthorizationCodeFlow } from '../peers/oidc-user.js';

const USER = 'scanner@example.test';
const REDIRECT = 'http://127.0.0.1/callback';
const TTL_S = 4;
const RUN_MS = 12_000;

let server: OidcServer;
let dir: string;

beforeAll(async () => {
  server = await startOidcServer({ accessTokenTtl: TTL_S, redirectUris: [REDIRECT] });
  dir = mkdtempSync(join(tmpdir(), 'mail-oauth-two-'));
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What a worker process prints as its last line. */
interface WorkerReport {
  calls: number;
  errors: string[];
  status: string;
  tokensSeen: number;
}

function worker(path: string, keyHex: string): Promise<WorkerReport> {
  const script = fileURLToPath(new URL('./fixtures/device-worker.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, server.issuer, path, keyHex, '100', '200', String(RUN_MS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || line === '') reject(new Error(`worker exited ${code}: ${err.slice(-2000)}`));
      else resolve(JSON.parse(line) as WorkerReport);
    });
  });
}

describe('two processes, one token file, one rotating authorization server', () => {
  it('200 concurrent requests around each expiry: one refresh per expiry, no invalid_grant', async () => {
    const path = join(dir, 'oauth.jwe');
    const key = randomBytes(32);
    const provider = oidc({
      id: 'corp',
      issuer: server.issuer,
      clientId: CLIENTS.public,
      scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' },
      http: { minTokenLifetimeMs: 1_000 },
    });
    const setup = await createMailOAuth({ providers: [provider], store: fileStore({ path, key }) });
    const page = setup.page('smtp.services');
    await page.configure({ authMethod: 'oauth2', provider: 'corp', account: USER });
    const prompt = await page.getToken({ flow: 'authorization-code', redirectUri: REDIRECT });
    if (prompt.kind !== 'redirect') throw new Error('expected a redirect prompt');
    await page.completeAuthorization(await completeAuthorizationCodeFlow(prompt.url, USER, REDIRECT));
    await setup.close();

    const refreshesBefore = server.tokenRequests.get('refresh_token') ?? 0;
    const started = Date.now();
    const [a, b] = await Promise.all([worker(path, key.toString('hex')), worker(path, key.toString('hex'))]);
    const elapsed = Date.now() - started;
    const refreshes = (server.tokenRequests.get('refresh_token') ?? 0) - refreshesBefore;
    // A token lives TTL_S seconds and is renewed at half its life (the 10-minute margin is capped).
    const expiries = Math.ceil(elapsed / ((TTL_S * 1000) / 2));
    console.log(
      `two-process: ${a.calls + b.calls} token requests in ${elapsed} ms, ${refreshes} refreshes for at most ${expiries} renewal points`,
    );

    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    expect([a.status, b.status]).toEqual(['acquired', 'acquired']);
    expect(refreshes).toBeGreaterThanOrEqual(2);
    expect(refreshes).toBeLessThanOrEqual(expiries);
  }, 90_000);
});
