/**
 * A hostile POP3 server on 127.0.0.1: endless lines, a 100 MB message, replies that drip or
 * never end. The client must keep memory bounded, time out, and fail with coded errors.
 */
import * as net from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Pop3Client } from '../../src/transports/pop3/client.js';
import { codeOf, onLines, scriptedSource } from './helpers.js';

type Behaviour = (command: string, socket: net.Socket) => void;

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Greets and authenticates anyone (plaintext, loopback); `behaviour` answers everything else. */
async function hostile(behaviour: Behaviour, greeting: (socket: net.Socket) => void = (s) => s.write('+OK hi\r\n')): Promise<number> {
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    greeting(socket);
    onLines(socket, (line) => {
      if (line === 'CAPA') socket.write('+OK\r\nSASL XOAUTH2\r\n.\r\n');
      else if (line.startsWith('AUTH')) socket.write('+OK welcome\r\n');
      else behaviour(line, socket);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

async function open(port: number, extra: Record<string, number> = {}): Promise<Pop3Client> {
  const pop = await Pop3Client.connect(
    { server: '127.0.0.1', port, security: 'none', timeout: 1000 },
    { allowPlaintext: true, initialResponse: true, ...extra },
  );
  await pop.authenticate(scriptedSource('u', 'token'));
  return pop;
}

/** Writes `total` bytes of message lines with back-pressure, then the terminator. */
function stream100MB(socket: net.Socket, total: number, terminate = true): void {
  const line = Buffer.from(`${'x'.repeat(998)}\r\n`);
  const block = Buffer.concat(Array.from({ length: 64 }, () => line));
  let sent = 0;
  const pump = (): void => {
    while (sent < total) {
      sent += block.length;
      if (!socket.write(block)) {
        socket.once('drain', pump);
        return;
      }
    }
    if (terminate) socket.write('.\r\n');
  };
  socket.write('+OK message follows\r\n');
  pump();
}

describe('hostile POP3 server', () => {
  it('an endless line → ERR_MAIL_LIMIT with bounded memory', async () => {
    const port = await hostile((cmd, socket) => {
      if (cmd === 'STAT') {
        const junk = Buffer.alloc(1024 * 1024, 0x41);
        const spew = (): void => {
          while (!socket.destroyed && socket.write(junk));
          if (!socket.destroyed) socket.once('drain', spew);
        };
        spew();
      }
    });
    const pop = await open(port, { maxLineLength: 64 * 1024 });
    const before = process.memoryUsage().rss;
    expect(await codeOf(() => pop.stat())).toBe('ERR_MAIL_LIMIT');
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    // the connection is unusable afterwards, and says so with a code
    expect(await codeOf(() => pop.noop())).toBe('ERR_MAIL_LIMIT');
  });

  it('an endless greeting line → ERR_MAIL_LIMIT', async () => {
    const port = await hostile(
      () => {},
      (socket) => socket.write(Buffer.alloc(200_000, 0x2b)),
    );
    expect(
      await codeOf(() => Pop3Client.connect({ server: '127.0.0.1', port, security: 'none', timeout: 2000 }, { maxLineLength: 1000 })),
    ).toBe('ERR_MAIL_LIMIT');
  });

  it('a 100 MB message: buffered RETR stops at maxMessageSize', async () => {
    const port = await hostile((cmd, socket) => {
      if (cmd.startsWith('RETR')) stream100MB(socket, 100 * 1024 * 1024);
    });
    const pop = await open(port, { maxMessageSize: 8 * 1024 * 1024 });
    const before = process.memoryUsage().rss;
    expect(await codeOf(() => pop.retr(1))).toBe('ERR_MAIL_LIMIT');
    expect(process.memoryUsage().rss - before).toBeLessThan(96 * 1024 * 1024);
  });

  it('a 100 MB message streams through with bounded memory when the integrator allows it', async () => {
    const total = 100 * 1024 * 1024;
    const port = await hostile((cmd, socket) => {
      if (cmd.startsWith('RETR')) stream100MB(socket, total);
      if (cmd === 'NOOP') socket.write('+OK\r\n');
    });
    const pop = await open(port, { maxMessageSize: 200 * 1024 * 1024 });
    let received = 0;
    let peak = 0;
    const base = process.memoryUsage().rss;
    await pipeline(
      await pop.retrStream(1),
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          received += chunk.length;
          if ((received & 0xfffff) < chunk.length) peak = Math.max(peak, process.memoryUsage().rss - base);
          setImmediate(cb); // a slow consumer
        },
      }),
    );
    expect(received).toBeGreaterThanOrEqual(total);
    expect(peak).toBeLessThan(80 * 1024 * 1024);
    await pop.noop(); // the connection is still in sync
    pop.close();
  }, 60_000);

  it('a reply dripping one byte a second → ERR_MAIL_TIMEOUT', async () => {
    const port = await hostile((cmd, socket) => {
      if (cmd !== 'STAT') return;
      const text = '+OK 1 100\r\n';
      let i = 0;
      const timer = setInterval(() => {
        if (socket.destroyed || i >= text.length) return clearInterval(timer);
        socket.write(text[i++]!);
      }, 1000);
      socket.on('close', () => clearInterval(timer));
    });
    const pop = await Pop3Client.connect(
      { server: '127.0.0.1', port, security: 'none', timeout: 1500 },
      { allowPlaintext: true, initialResponse: true },
    );
    await pop.authenticate(scriptedSource('u', 'token'));
    const started = Date.now();
    expect(await codeOf(() => pop.stat())).toBe('ERR_MAIL_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a multi-line reply dripping its body line by line slower than the timeout → ERR_MAIL_TIMEOUT', async () => {
    const port = await hostile((cmd, socket) => {
      if (cmd !== 'LIST') return;
      socket.write('+OK\r\n1 100\r\n');
      const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write('2')), 400);
      socket.on('close', () => clearInterval(timer));
    });
    const pop = await open(port);
    expect(await codeOf(() => pop.list())).toBe('ERR_MAIL_TIMEOUT');
  });

  it('a reply that never ends (lines forever) → ERR_MAIL_LIMIT; a silent server → ERR_MAIL_TIMEOUT', async () => {
    const port = await hostile((cmd, socket) => {
      if (cmd === 'UIDL') {
        socket.write('+OK\r\n');
        let n = 1;
        const block = (): string => Array.from({ length: 1000 }, () => `${n++} uid-${n}\r\n`).join('');
        const spew = (): void => {
          while (!socket.destroyed && socket.write(block()));
          if (!socket.destroyed) socket.once('drain', spew);
        };
        spew();
      }
      if (cmd === 'STAT') socket.write('+OK 1'); // no line end, ever
    });
    const pop = await open(port, { maxResponseSize: 1024 * 1024 });
    expect(await codeOf(() => pop.uidl())).toBe('ERR_MAIL_LIMIT');
    const pop2 = await open(port);
    expect(await codeOf(() => pop2.stat())).toBe('ERR_MAIL_TIMEOUT');
  });

  it('a server that accepts the connection but never greets → ERR_MAIL_TIMEOUT', async () => {
    const port = await hostile(
      () => {},
      () => {},
    );
    const started = Date.now();
    expect(await codeOf(() => Pop3Client.connect({ server: '127.0.0.1', port, security: 'none', timeout: 500 }))).toBe('ERR_MAIL_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a TLS port that never answers the handshake → ERR_MAIL_TIMEOUT', async () => {
    const port = await hostile(
      () => {},
      () => {},
    );
    expect(await codeOf(() => Pop3Client.connect({ server: '127.0.0.1', port, security: 'tls', timeout: 500 }))).toBe('ERR_MAIL_TIMEOUT');
  });

  it('garbage instead of a status line → ERR_MAIL_PROTOCOL', async () => {
    const port = await hostile((cmd, socket) => {
      if (cmd === 'STAT') socket.write('HTTP/1.1 400 Bad Request\r\n');
    });
    const pop = await open(port);
    expect(await codeOf(() => pop.stat())).toBe('ERR_MAIL_PROTOCOL');
  });

  it('an idle connection is closed after idleTimeout', async () => {
    const port = await hostile((cmd, socket) => {
      if (cmd === 'NOOP') socket.write('+OK\r\n');
    });
    const pop = await open(port, { idleTimeout: 200 });
    await pop.noop();
    await new Promise((r) => setTimeout(r, 400));
    expect(await codeOf(() => pop.noop())).toBe('ERR_MAIL_TIMEOUT');
  });

  it('a server closing mid-reply → ERR_CONNECTION', async () => {
    const port = await hostile((cmd, socket) => {
      if (cmd.startsWith('RETR')) {
        socket.write('+OK\r\npartial line\r\n');
        socket.destroy();
      }
    });
    const pop = await open(port);
    expect(await codeOf(() => pop.retr(1))).toBe('ERR_CONNECTION');
  });
});
