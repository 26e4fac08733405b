/**
 * A tiny token endpoint on 127.0.0.1 for the fleet tests: discovery plus `refresh_token` grants,
 * counting every request. It rotates the refresh token on each refresh; `strict` kills the
 * previous one at once (what RFC 9700 allows), `grace` keeps it valid for `graceMs` (Microsoft
 * does not revoke the old one either).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingIssuer {
  issuer: string;
  /** refresh_token grants answered (successful or not). */
  refreshes: number;
  /** invalid_grant answers. */
  rejected: number;
  mode: 'strict' | 'grace';
  /** Issues a fresh grant: a refresh token that is currently valid. */
  mint(): { accessToken: string; refreshToken: string };
  /** Whether `refreshToken` would be accepted now. */
  valid(refreshToken: string): boolean;
  close(): Promise<void>;
}

export async function startCountingIssuer(options: {
  mode: 'strict' | 'grace';
  graceMs?: number;
  delayMs?: number;
}): Promise<CountingIssuer> {
  const graceMs = options.graceMs ?? 60_000;
  // refresh token → until when it is accepted (Infinity: the current one of its grant)
  const refreshTokens = new Map<string, number>();
  let serial = 0;
  const mint = (): { accessToken: string; refreshToken: string } => {
    serial++;
    const refreshToken = `rt-${serial}-${Math.random().toString(36).slice(2)}`;
    refreshTokens.set(refreshToken, Infinity);
    return { accessToken: `at-${serial}-${Math.random().toString(36).slice(2)}`, refreshToken };
  };
  const valid = (token: string): boolean => (refreshTokens.get(token) ?? 0) > Date.now();

  const state: CountingIssuer = {
    issuer: '',
    refreshes: 0,
    rejected: 0,
    mode: options.mode,
    mint,
    valid,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const reply = (status: number, json: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(json));
      };
      if (req.url === '/.well-known/openid-configuration' || req.url === '/.well-known/oauth-authorization-server') {
        reply(200, { issuer: state.issuer, token_endpoint: `${state.issuer}/token` });
        return;
      }
      if (req.url !== '/token' || req.method !== 'POST') return reply(404, { error: 'not_found' });
      const form = new URLSearchParams(body);
      if (form.get('grant_type') !== 'refresh_token') return reply(400, { error: 'unsupported_grant_type' });
      state.refreshes++;
      const presented = form.get('refresh_token') ?? '';
      const answer = (): void => {
        if (!valid(presented)) {
          state.rejected++;
          return reply(400, { error: 'invalid_grant', error_description: 'grant request is invalid' });
        }
        refreshTokens.set(presented, state.mode === 'strict' ? 0 : Date.now() + graceMs);
        const next = mint();
        reply(200, { access_token: next.accessToken, refresh_token: next.refreshToken, token_type: 'Bearer', expires_in: 3600 });
      };
      if (options.delayMs === undefined) answer();
      else setTimeout(answer, options.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
