/**
 * `npm run demo` without Dovecot: the example's own POP3 server serves the mailbox the SMTP
 * server delivers to, and refuses a token whose grant was revoked, like Dovecot does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT, DEMO_PROVIDER_ID, startDemo, type Demo } from '../../examples/device-web-ui/stack.js';
import { completeAuthorizationCodeFlow } from '../peers/oidc-user.js';

describe('the demo stack with its built-in POP3 server', () => {
  let demo: Demo;

  beforeAll(async () => {
    demo = await startDemo({ env: {}, pop3: 'builtin', adminPassword: 'unused' });
  });
  afterAll(async () => {
    await demo?.close();
  });

  it('a scan sent over SMTP is read back over POP3; a revoked grant gives the manual message', async () => {
    expect(demo.mailbox?.kind).toBe('builtin');
    const redirectUri = `${demo.url}/oauth/callback`;
    for (const id of ['smtp.services', 'pop.emailPrint'] as const) {
      const page = demo.device.page(id);
      await page.configure({ authMethod: 'oauth2', provider: DEMO_PROVIDER_ID, account: DEMO_ACCOUNT });
      const prompt = await page.getToken({ flow: 'authorization-code', redirectUri });
      if (prompt.kind !== 'redirect') throw new Error('expected a redirect prompt');
      await demo.device.completeAuthorization(await completeAuthorizationCodeFlow(prompt.url, DEMO_ACCOUNT, redirectUri));
      expect(page.status).toBe('acquired');
    }
    await demo.device.page('smtp.services').sendMail({
      to: DEMO_ACCOUNT,
      subject: 'Scan 1',
      text: 'x',
      attachments: [{ filename: 'scan.pdf', content: Buffer.from('%PDF-1.4\n') }],
    });
    const pop = demo.device.page('pop.emailPrint');
    expect(await pop.testConnection({ locale: 'en' })).toMatchObject({ ok: true, code: 'OK' });
    const messages = await pop.mailbox().fetch();
    expect(messages.map((m) => /^Subject: (.*)$/m.exec(m.content.toString('latin1'))?.[1]?.trim())).toEqual(['Scan 1']);

    await demo.issuer?.revokeGrants(DEMO_ACCOUNT);
    expect(await pop.testConnection({ locale: 'en' })).toMatchObject({
      ok: false,
      code: 'ERR_TOKEN_REFRESH_FAILED',
      message: 'Token update failed. Please delete the token and obtain it again.',
    });
  });
});
