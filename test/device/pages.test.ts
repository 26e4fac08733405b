/**
 * One surface: `device.page(id)` is an SmtpPage, Pop3Page or ImapPage (typed from a literal
 * topology), every long page call takes `{ signal }` and ends within a second of an abort, and the
 * device owns the pollers it starts (stopped by `close()`, following the page's settings).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { createMailOAuth, ImapPage, memoryStore, Pop3Page, SmtpPage, TopologyError, type MailOAuth, type Page } from '../../src/index.js';

/** A server on 127.0.0.1 that accepts connections and never writes a byte. */
async function silentServer(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server: Server = createServer((socket) => {
    count += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    connections: () => count,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const TOPOLOGY = {
  pages: [
    { id: 'scan', protocol: 'smtp' },
    { id: 'fax', protocol: 'pop3' },
    { id: 'inbox', protocol: 'imap' },
  ],
} as const;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function device(): Promise<MailOAuth<typeof TOPOLOGY>> {
  const created = await createMailOAuth({ providers: [], store: memoryStore(), pages: TOPOLOGY });
  cleanups.push(() => created.close());
  return created;
}

/** Points a page at `port` with a password, a 30 s reply timeout: only an abort can end a call early. */
async function configure(page: Page, port: number, timeout = 30_000): Promise<void> {
  const sender = page.protocol === 'smtp' ? { senderAddress: 'scanner@example.test' } : {};
  await page.configure({
    server: '127.0.0.1',
    port,
    security: 'tls',
    timeout,
    authMethod: 'plain',
    account: 'scanner@example.test',
    password: 'pw-1234',
    ...sender,
  });
}

/** Starts `call`, aborts it once the server has accepted its connection; returns its outcome and how long it took after the abort. */
async function abortConnected<T>(
  server: { connections: () => number },
  call: (signal: AbortSignal) => Promise<T>,
): Promise<{ outcome: T | { code?: string }; late: number }> {
  const controller = new AbortController();
  const before = server.connections();
  const pending = call(controller.signal).catch((err: { code?: string }) => err);
  await expect.poll(() => server.connections(), { timeout: 10_000, interval: 20 }).toBe(before + 1);
  // Let the client reach its wait for the greeting (or the TLS handshake).
  await new Promise((resolve) => setTimeout(resolve, 100));
  const abortedAt = Date.now();
  controller.abort();
  const outcome = await pending;
  return { outcome, late: Date.now() - abortedAt };
}

describe('protocol-typed pages', () => {
  it('device.page(id) is typed from a literal topology and is an instance of its protocol class', async () => {
    const d = await device();
    expectTypeOf(d.page('scan')).toEqualTypeOf<SmtpPage>();
    expectTypeOf(d.page('fax')).toEqualTypeOf<Pop3Page>();
    expectTypeOf(d.page('inbox')).toEqualTypeOf<ImapPage>();
    const id: string = 'fax';
    expectTypeOf(d.page(id)).toEqualTypeOf<Page>();
    expect(d.page('scan')).toBeInstanceOf(SmtpPage);
    expect(d.page('fax')).toBeInstanceOf(Pop3Page);
    expect(d.page('inbox')).toBeInstanceOf(ImapPage);
    const page = d.page(id);
    expect(page.protocol).toBe('pop3');
    if (page.protocol === 'pop3') expectTypeOf(page).toEqualTypeOf<Pop3Page>();
    // @ts-expect-error a POP3 page cannot send mail: found by the compiler, not at run time
    expect(d.page('fax').sendMail).toBeUndefined();
    // @ts-expect-error an SMTP page has no mailbox
    expect(d.page('scan').mailbox).toBeUndefined();
  });

  it('the preset types its pages too (mfpPages() is a literal topology)', async () => {
    const d = await createMailOAuth({ providers: [] });
    cleanups.push(() => d.close());
    expectTypeOf(d.page('smtp.services')).toEqualTypeOf<SmtpPage>();
    expectTypeOf(d.page('pop.emailPrint')).toEqualTypeOf<Pop3Page>();
    expect(d.page('pop.emailPrint')).toBeInstanceOf(Pop3Page);
  });

  it('an unknown page id is a usage error ERR_UNKNOWN_PAGE, not a topology error', async () => {
    const d = await device();
    const error = (() => {
      try {
        d.page('nope');
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toMatchObject({ code: 'ERR_UNKNOWN_PAGE', kind: 'usage', params: { page: 'nope' } });
    expect(error).not.toBeInstanceOf(TopologyError);
  });
});

describe('every long page call stops within a second of an abort (ERR_ABORTED)', () => {
  it.each(['scan', 'fax', 'inbox'] as const)(
    'testConnection on the %s page against a server that accepts and never answers',
    async (id) => {
      const silent = await silentServer();
      cleanups.push(silent.close);
      const d = await device();
      await configure(d.page(id), silent.port);
      const { outcome, late } = await abortConnected(silent, (signal) => d.page(id).testConnection({ signal, locale: 'en' }));
      expect(silent.connections()).toBe(1);
      expect(outcome).toMatchObject({ ok: false, code: 'ERR_ABORTED', message: 'The operation was cancelled.' });
      expect(late).toBeLessThan(1_000);
    },
  );

  it('sendMail, mailbox().fetch(), mailbox().connect() and imap() against a silent server', async () => {
    const silent = await silentServer();
    cleanups.push(silent.close);
    const d = await device();
    for (const id of ['scan', 'fax', 'inbox'] as const) await configure(d.page(id), silent.port);
    const calls: Array<[string, (signal: AbortSignal) => Promise<unknown>]> = [
      ['sendMail', (signal) => d.page('scan').sendMail({ to: 'office@example.test', subject: 's', text: 't' }, { signal })],
      ['fetch', (signal) => d.page('fax').mailbox().fetch({ signal })],
      ['connect', (signal) => d.page('fax').mailbox().connect({ signal })],
      ['imap', (signal) => d.page('inbox').imap({ signal })],
    ];
    for (const [name, call] of calls) {
      const { outcome, late } = await abortConnected(silent, call);
      expect([name, outcome]).toMatchObject([name, { code: 'ERR_ABORTED' }]);
      expect([name, late]).toEqual([name, expect.any(Number)]);
      expect(late, name).toBeLessThan(1_000);
    }
  });

  it('an already aborted signal fails at once, before any connection', async () => {
    const silent = await silentServer();
    cleanups.push(silent.close);
    const d = await device();
    await configure(d.page('fax'), silent.port);
    const signal = AbortSignal.abort();
    expect(await d.page('fax').testConnection({ signal })).toMatchObject({ code: 'ERR_ABORTED' });
    await expect(d.page('fax').mailbox().fetch({ signal })).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await expect(d.page('fax').waitForAuthorization({ signal })).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(silent.connections()).toBe(0);
  });
});

describe('the device owns the POP3 pollers it starts', () => {
  it('each check reads the page settings as they are then', async () => {
    const [first, second] = [await silentServer(), await silentServer()];
    cleanups.push(first.close, second.close);
    const d = await device();
    const page = d.page('fax');
    await configure(page, first.port, 1_000);
    const errors: string[] = [];
    const poller = await page
      .mailbox()
      .poller({ checkInterval: 60_000, onMessages: () => undefined, onError: (error) => void errors.push(error.code) });
    await poller.checkNow();
    await configure(page, second.port, 1_000);
    await poller.checkNow();
    expect([first.connections(), second.connections()]).toEqual([1, 1]);
    expect(errors).toEqual(['ERR_MAIL_TIMEOUT', 'ERR_MAIL_TIMEOUT']);
  });

  it('close() stops a started poller, ending a check in progress at once', async () => {
    const silent = await silentServer();
    cleanups.push(silent.close);
    const d = await device();
    await configure(d.page('fax'), silent.port);
    const errors: string[] = [];
    const poller = await d
      .page('fax')
      .mailbox()
      .poller({ checkInterval: 100, onMessages: () => undefined, onError: (error) => void errors.push(error.code) });
    poller.start();
    await expect.poll(() => silent.connections()).toBe(1);
    const started = Date.now();
    await d.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(poller.running).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(silent.connections()).toBe(1);
    expect(errors).toEqual([]);
    await expect(
      d
        .page('fax')
        .mailbox()
        .poller({ onMessages: () => undefined }),
    ).rejects.toMatchObject({ code: 'ERR_DEVICE_CLOSED' });
    expect(() => poller.start()).toThrow(expect.objectContaining({ code: 'ERR_DEVICE_CLOSED' }));
    expect(poller.running).toBe(false);
  });
});
