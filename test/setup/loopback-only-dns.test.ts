import dns from 'node:dns';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';

describe('test guard: DNS never leaves the machine', () => {
  it('is installed for callbacks, promises and sockets, and still resolves localhost', async () => {
    expect(dns.lookup.name).toBe('guardedLookup');
    await expect(dns.promises.lookup('smtp.office365.com')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    const socketError = await new Promise<NodeJS.ErrnoException>((resolve) =>
      connect({ host: 'outlook.office365.com', port: 995 }).once('error', resolve),
    );
    expect(socketError).toMatchObject({ code: 'ENOTFOUND', hostname: 'outlook.office365.com' });
    expect((await dns.promises.lookup('localhost')).address).toMatch(/^(127\.0\.0\.1|::1)$/);
  });
});
