import { AuthorizationError, OAuthError, TransportError } from '../../src/errors.js';
import type { Clock } from '../../src/clock.js';
import type { Flow, TokenSet } from '../../src/oauth/types.js';
import type { DevicePollResult, ProviderAdapter } from '../../src/providers/types.js';

/** A scripted provider double: every call is counted; behaviour is set per test. */
export interface FakeProvider extends ProviderAdapter {
  calls: { start: number; poll: number; exchange: number; refresh: number; revoke: number };
  /** Token lifetime in ms. */
  lifetimeMs: number;
  /** What the next polls answer; empty → pending. */
  pollQueue: Array<'pending' | 'slow-down' | 'tokens' | Error>;
  /** Replaces the refresh behaviour. */
  onRefresh: ((tokens: TokenSet) => Promise<TokenSet>) | undefined;
  /** Every access token issued, in order. */
  issued: string[];
  /** The account the provider reports as signed in. */
  signedInAs: string | undefined;
  issue(flow: Flow, account: string | undefined): TokenSet;
}

// Shared across instances so two fake providers (two devices on one store) never issue the same token.
let serial = 0;

export function fakeProvider(
  clock: Clock,
  id = 'fake',
  flows: Flow[] = ['device-code', 'authorization-code', 'client-credentials'],
): FakeProvider {
  const provider: FakeProvider = {
    id,
    flows,
    defaultFlow: flows[0] ?? 'device-code',
    calls: { start: 0, poll: 0, exchange: 0, refresh: 0, revoke: 0 },
    lifetimeMs: 3_600_000,
    pollQueue: [],
    onRefresh: undefined,
    issued: [],
    signedInAs: undefined,
    issue(flow, account) {
      serial += 1;
      const tokens: TokenSet = {
        accessToken: `access-secret-${id}-${serial}`,
        refreshToken: `refresh-secret-${id}-${serial}`,
        tokenType: 'Bearer',
        expiresAt: clock.now() + provider.lifetimeMs,
        flow,
      };
      if (flow === 'client-credentials') delete tokens.refreshToken;
      const who = provider.signedInAs ?? account;
      if (who !== undefined) tokens.account = who;
      provider.issued.push(tokens.accessToken);
      return tokens;
    },
    mailServer: () => ({ host: 'mail.example.test', port: 587, security: 'starttls' }),
    async startAuthorization(request) {
      provider.calls.start += 1;
      if (request.flow === 'device-code') {
        return {
          kind: 'pending',
          pending: {
            flow: 'device-code',
            deviceCode: `device-secret-${provider.calls.start}`,
            userCode: 'WDJB-MJHT',
            verificationUri: 'https://login.example.test/device',
            expiresAt: clock.now() + 900_000,
            intervalMs: 5_000,
          },
        };
      }
      if (request.flow === 'authorization-code') {
        const state = `state-${provider.calls.start}`;
        return {
          kind: 'pending',
          pending: {
            flow: 'authorization-code',
            url: `https://login.example.test/authorize?state=${state}`,
            redirectUri: request.redirectUri ?? 'http://127.0.0.1:8080/callback',
            state,
            codeVerifier: `verifier-secret-${provider.calls.start}`,
            nonce: `nonce-${provider.calls.start}`,
            expiresAt: clock.now() + 600_000,
          },
        };
      }
      return { kind: 'tokens', tokens: provider.issue(request.flow, request.account) };
    },
    async pollDeviceAuthorization(_pending, request): Promise<DevicePollResult> {
      provider.calls.poll += 1;
      const next = provider.pollQueue.shift() ?? 'pending';
      if (next instanceof Error) throw next;
      if (next === 'tokens') return { kind: 'tokens', tokens: provider.issue('device-code', request.account) };
      return { kind: next };
    },
    async completeAuthorization(pending, callbackUrl, request) {
      provider.calls.exchange += 1;
      const url = new URL(callbackUrl);
      if (url.searchParams.get('state') !== pending.state) {
        throw new AuthorizationError('ERR_STATE_MISMATCH', 'The redirect does not belong to this sign-in', { kind: 'usage' });
      }
      if (url.searchParams.get('error') === 'access_denied') {
        throw new OAuthError('ERR_AUTHORIZATION_DENIED', 'The sign-in was declined', { error: 'access_denied' }, { kind: 'definite' });
      }
      return provider.issue('authorization-code', request.account);
    },
    async refresh(tokens, request) {
      provider.calls.refresh += 1;
      if (provider.onRefresh) return provider.onRefresh(tokens);
      return provider.issue(tokens.flow, request.account);
    },
    async revoke() {
      provider.calls.revoke += 1;
    },
  };
  return provider;
}

export const invalidGrant = (): OAuthError =>
  new OAuthError(
    'ERR_OAUTH',
    'The grant is no longer valid',
    { error: 'invalid_grant', status: 400 },
    { kind: 'definite', params: { error: 'invalid_grant' } },
  );

export const serverDown = (): TransportError =>
  new TransportError('ERR_HTTP', 'The token endpoint answered 503', { kind: 'transient', responseCode: 503 });

/** A logger that keeps every line, to prove no secret is ever written. */
export function recordingLogger(): {
  lines: string[];
  debug: (m: string, f?: object) => void;
  info: (m: string, f?: object) => void;
  warn: (m: string, f?: object) => void;
  error: (m: string, f?: object) => void;
} {
  const lines: string[] = [];
  const write = (level: string) => (message: string, fields?: object) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  };
  return { lines, debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
