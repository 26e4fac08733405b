/**
 * End to end on 127.0.0.1: a token obtained by the device flow from the real oidc-provider peer
 * sends a PDF over SMTP (smtp-server validates the JWT); the received message is delivered into
 * Dovecot's Maildir and read back over POP3 (STLS) and IMAP (IMAPS), Dovecot validating the same
 * issuer's JWTs. An expired access token is refreshed once through the provider adapter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSet } from '../../src/oauth/types.js';
import { oidc } from '../../src/providers/oidc.js';
import type { AuthorizationRequest, ProviderAdapter } from '../../src/providers/types.js';
import { testConnection } from '../../src/transports/connection-test.js';
import { connectImap } from '../../src/transports/imap.js';
import { fetchPop3 } from '../../src/transports/pop3/mailbox.js';
import { sendMail } from '../../src/transports/smtp.js';
import type { TokenSource } from '../../src/transports/token-source.js';
import { grantContext } from '../oauth/context.js';
import { testPki } from '../peers/ca.js';
import { dovecotStatus, startDovecot, type DovecotPeer } from '../peers/dovecot.js';
import { CLIENTS, startOidcServer, type OidcServer } from '../peers/oidc-server.js';
import { completeDeviceFlow } from '../peers/oidc-user.js';
import { startSmtpPeer, type SmtpPeer } from '../peers/smtp-server.js';
import { extractAttachment, fakePdf, firstInboxAttachment } from './mime.js';

const USER = 'scanner@example.test';

it.runIf(!dovecotStatus.available && dovecotStatus.required)('Dovecot is installed (required with CI=true)', () => {
  throw new Error(dovecotStatus.message);
});

/** A token source over a provider adapter, as a page would give one. */
function adapterSource(adapter: ProviderAdapter, request: AuthorizationRequest, initial: TokenSet): TokenSource & { refreshes: number } {
  let tokens = initial;
  const source = {
    user: USER,
    refreshes: 0,
    accessToken: async () => tokens.accessToken,
    refreshAfterRejection: async () => {
      source.refreshes++;
      tokens = await adapter.refresh(tokens, request, grantContext());
      return tokens.accessToken;
    },
  };
  return source;
}

describe.skipIf(!dovecotStatus.available)('end to end: device flow → SMTP with a PDF → POP3 and IMAP', () => {
  const pki = testPki();
  let server: OidcServer;
  let dovecot: DovecotPeer;
  let smtp: SmtpPeer;
  let adapter: ProviderAdapter;
  const request: AuthorizationRequest = { protocol: 'smtp', account: USER, flow: 'device-code' };

  beforeAll(async () => {
    server = await startOidcServer({ accessTokenTtl: 2 });
    [dovecot, smtp] = await Promise.all([
      startDovecot({ pki, keys: [{ kid: server.kid, publicKeyPem: server.publicKeyPem }] }),
      startSmtpPeer({ mode: 'starttls', key: pki.key, cert: pki.cert, publicKeyPems: [server.publicKeyPem], issuer: server.issuer }),
    ]);
    adapter = oidc({
      id: 'test',
      issuer: server.issuer,
      clientId: CLIENTS.public,
      scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' },
      http: { minTokenLifetimeMs: 1_000 },
    });
  });
  afterAll(async () => {
    await Promise.all([dovecot?.stop(), smtp?.close(), server?.close()]);
  });

  async function deviceFlowTokens(): Promise<TokenSet> {
    const start = await adapter.startAuthorization(request, grantContext());
    if (start.kind !== 'pending' || start.pending.flow !== 'device-code') throw new Error('expected a device code');
    await completeDeviceFlow(server.issuer, start.pending.userCode, USER);
    const result = await adapter.pollDeviceAuthorization(start.pending, request, grantContext());
    if (result.kind !== 'tokens') throw new Error(`poll gave ${result.kind}`);
    return result.tokens;
  }

  it('sends a PDF with a device-flow token and reads the same mail back over POP3 and IMAP; an expired token is refreshed once', async () => {
    const tokens = await deviceFlowTokens();
    expect(tokens.refreshToken).toBeDefined();
    const source = adapterSource(adapter, request, tokens);
    const pdf = fakePdf(2 * 1024 * 1024 + 3);

    const arrived = smtp.nextMail();
    const sent = await sendMail(
      { server: '127.0.0.1', port: smtp.port, security: 'starttls', timeout: 5000, senderName: 'Scanner 3F', senderAddress: USER },
      { method: 'oauth2', source },
      {
        to: USER,
        subject: 'Scan to mail',
        text: 'Scanned document attached.',
        attachments: [{ filename: 'scan.pdf', content: pdf, contentType: 'application/pdf' }],
      },
      { ca: pki.ca },
    );
    const mail = await arrived;
    expect(source.refreshes).toBe(0);
    expect(extractAttachment(mail.raw, 'scan.pdf').equals(pdf)).toBe(true);
    await dovecot.deliver(USER, mail.raw);

    // Let the 2-second access token expire: the servers reject it, one refresh makes it work.
    // exp has whole seconds and Dovecot rejects only when exp < now (in whole seconds): a token
    // issued at t expires at floor(t) + 2 and is refused from floor(t) + 3 on, i.e. after ≤ 3 s.
    await new Promise((r) => setTimeout(r, 3100));
    const popped = await fetchPop3({ server: '127.0.0.1', port: dovecot.ports.pop3, security: 'starttls', timeout: 5000 }, source, {
      ca: pki.ca,
    });
    expect(source.refreshes).toBe(1);
    expect(popped).toHaveLength(1);
    expect(popped[0]!.content.toString('latin1')).toContain(sent.messageId ?? 'Message-Id');
    expect(extractAttachment(popped[0]!.content, 'scan.pdf').equals(pdf)).toBe(true);

    const imap = await connectImap({ server: '127.0.0.1', port: dovecot.ports.imaps, security: 'tls', timeout: 5000 }, source, {
      ca: pki.ca,
    });
    expect((await firstInboxAttachment(imap, 'scan.pdf')).equals(pdf)).toBe(true);

    const settings = { server: '127.0.0.1', port: dovecot.ports.imap, security: 'starttls' as const, timeout: 5000 };
    expect(await testConnection('imap', settings, source, { ca: pki.ca })).toEqual({ ok: true, code: 'OK' });
    expect(await testConnection('pop3', { ...settings, port: dovecot.ports.pop3s, security: 'tls' }, source, { ca: pki.ca })).toEqual({
      ok: true,
      code: 'OK',
    });
  });
});
