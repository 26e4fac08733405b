import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { MailOAuthError } from '../../src/errors.js';
import { assertRedirectUri, createAuthorizationRequest } from '../../src/oauth/authorization-code.js';
import { microsoft365 } from '../../src/providers/microsoft365.js';
import { oidc } from '../../src/providers/oidc.js';
import { rejection } from '../helpers/rejection.js';
import { grantContext } from './context.js';

function verdict(uri: string): string {
  try {
    assertRedirectUri(uri);
    return 'ok';
  } catch (err) {
    if (err instanceof MailOAuthError) return `${err.code}/${err.kind}`;
    throw err;
  }
}

/** Counts requests and refuses them all: proves a refusal happened before any connection or DNS lookup. */
class CountingAgent extends Agent {
  requests = 0;
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    this.requests++;
    return super.dispatch({ ...options, origin: 'http://127.0.0.1:9' }, handler);
  }
}

describe('redirect URI (RFC 6749 §3.1.2, RFC 8252 §7.3)', () => {
  it.each([
    'https://printer.local/oauth/callback',
    'https://192.0.2.10:8443/cb?x=1',
    'http://127.0.0.1/callback',
    'http://127.0.0.1:8765/callback',
    'http://127.1.2.3:80/cb',
    'http://[::1]:8080/cb',
    'http://localhost:8080/cb',
    'http://LOCALHOST/cb',
  ])('accepts %s', (uri) => {
    expect(verdict(uri)).toBe('ok');
  });

  it.each([
    ['not a URL', 'not a url'],
    ['a relative path', '/callback'],
    ['an empty string', ''],
    ['a fragment', 'https://printer.example/cb#frag'],
    ['an empty fragment', 'http://127.0.0.1:8765/cb#'],
    ['http to a LAN host', 'http://printer.local/callback'],
    ['http to a LAN address', 'http://192.168.1.20:8080/callback'],
    ['http to a name that only starts like loopback', 'http://127.0.0.1.evil.example/cb'],
    ['http to localhost as a subdomain', 'http://localhost.evil.example/cb'],
    ['http to the unspecified address', 'http://0.0.0.0:8080/cb'],
    ['another scheme', 'ftp://127.0.0.1/cb'],
    ['a private-use scheme', 'com.example.printer:/cb'],
    ['surrounding spaces', ' http://127.0.0.1:8765/cb'],
    ['an embedded newline', 'http://127.0.0.1:8765/c\nb'],
  ])('refuses %s with ERR_INVALID_REDIRECT_URI (usage)', (_name, uri) => {
    expect(verdict(uri)).toBe('ERR_INVALID_REDIRECT_URI/usage');
  });

  it('createAuthorizationRequest refuses one too', () => {
    expect(() =>
      createAuthorizationRequest({
        authorizationEndpoint: 'https://issuer.example/authorize',
        clientId: 'c',
        redirectUri: 'http://printer.local/cb',
        scope: 'openid',
        now: 0,
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_REDIRECT_URI' }));
  });

  it('the adapters refuse a bad redirect URI at Get Token, before any request', async () => {
    const agent = new CountingAgent();
    try {
      const adapters = [
        oidc({ id: 'corp', issuer: 'https://login.corp.example', clientId: 'c', scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' } }),
        microsoft365({ clientId: '11111111-2222-3333-4444-555555555555' }),
      ];
      for (const adapter of adapters) {
        for (const redirectUri of ['not a url', 'http://printer.local/cb', 'https://printer.example/cb#x']) {
          const err = await rejection(
            adapter.startAuthorization(
              { protocol: 'smtp', account: 'a@b.example', flow: 'authorization-code', redirectUri },
              grantContext({ dispatcher: agent }),
            ),
          );
          expect(err).toMatchObject({ code: 'ERR_INVALID_REDIRECT_URI', kind: 'usage', params: { option: 'redirectUri' } });
        }
      }
      expect(agent.requests).toBe(0);
    } finally {
      await agent.close();
    }
  });
});
