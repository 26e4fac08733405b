/**
 * A small POP3 server for the demo when Dovecot is not installed: implicit TLS, SASL XOAUTH2
 * (initial response or two-step), STAT, LIST, UIDL, RETR, DELE, NOOP, RSET, QUIT over one
 * in-memory inbox per mailbox. A refused token gets the JSON challenge, as Gmail and Exchange send.
 */
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import type { DemoPki } from './pki.js';
import type { DemoMailbox } from './mailbox.js';

const CHALLENGE = Buffer.from('{"status":"401","schemes":"bearer","scope":"mail"}').toString('base64');

/** `.`-stuffs a message and ends it with the terminating line (RFC 1939 §3). */
function multiLine(message: Buffer): string {
  const text = message.toString('latin1').replace(/\r?\n/g, '\r\n');
  return `${text.replace(/^\./gm, '..')}${text.endsWith('\r\n') ? '' : '\r\n'}.\r\n`;
}

/** Starts the built-in POP3S server on 127.0.0.1 (ephemeral port). */
export async function startBuiltinPop3(pki: DemoPki, verify: (token: string) => Promise<string | undefined>): Promise<DemoMailbox> {
  const inboxes = new Map<string, { uid: string; content: Buffer }[]>();
  let nextUid = 1;
  const sockets = new Set<tls.TLSSocket>();

  const server = tls.createServer({ key: pki.key, cert: pki.cert }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let user: string | undefined;
    let awaitingSasl = false;
    let failed = false;
    const deleted = new Set<number>();
    const send = (text: string): void => void (socket.destroyed ? undefined : socket.write(text, 'latin1'));
    const inbox = (): { uid: string; content: Buffer }[] => (user === undefined ? [] : (inboxes.get(user) ?? []));

    const authenticate = async (payload: string): Promise<void> => {
      const raw = Buffer.from(payload, 'base64').toString('utf8');
      const [, claimed = '', token = ''] = /^user=([^\x01]*)\x01auth=Bearer ([^\x01]*)\x01\x01$/.exec(raw) ?? [];
      const email = await verify(token);
      if (email !== undefined && email === claimed.toLowerCase()) {
        user = email;
        send('+OK Logged in.\r\n');
      } else {
        failed = true;
        send(`+ ${CHALLENGE}\r\n`);
      }
    };

    const handle = async (line: string): Promise<void> => {
      if (failed) {
        failed = false;
        awaitingSasl = false;
        return send('-ERR [AUTH] Authentication failed.\r\n');
      }
      if (awaitingSasl) {
        awaitingSasl = false;
        return authenticate(line);
      }
      const [verb = '', ...args] = line.split(' ');
      const n = Number(args[0]);
      const list = inbox();
      const message = Number.isInteger(n) && !deleted.has(n) ? list[n - 1] : undefined;
      switch (verb.toUpperCase()) {
        case 'CAPA':
          return send('+OK\r\nUIDL\r\nSASL XOAUTH2\r\n.\r\n');
        case 'AUTH':
          if ((args[0] ?? '').toUpperCase() !== 'XOAUTH2') return send('-ERR mechanism not supported\r\n');
          if (args[1] !== undefined) return authenticate(args[1]);
          awaitingSasl = true;
          return send('+ \r\n');
        case 'QUIT':
          if (user !== undefined)
            inboxes.set(
              user,
              list.filter((_, i) => !deleted.has(i + 1)),
            );
          send('+OK bye\r\n');
          return void socket.end();
      }
      if (user === undefined) return send('-ERR not authenticated\r\n');
      const live = list.map((m, i) => ({ ...m, n: i + 1 })).filter((m) => !deleted.has(m.n));
      switch (verb.toUpperCase()) {
        case 'STAT':
          return send(`+OK ${live.length} ${live.reduce((size, m) => size + m.content.length, 0)}\r\n`);
        case 'LIST':
          return send(`+OK\r\n${live.map((m) => `${m.n} ${m.content.length}\r\n`).join('')}.\r\n`);
        case 'UIDL':
          return send(`+OK\r\n${live.map((m) => `${m.n} ${m.uid}\r\n`).join('')}.\r\n`);
        case 'RETR':
          if (message === undefined) return send('-ERR no such message\r\n');
          return send(`+OK ${message.content.length} octets\r\n${multiLine(message.content)}`);
        case 'DELE':
          if (message === undefined) return send('-ERR no such message\r\n');
          deleted.add(n);
          return send('+OK deleted\r\n');
        case 'NOOP':
          return send('+OK\r\n');
        case 'RSET':
          deleted.clear();
          return send('+OK\r\n');
        default:
          return send('-ERR unknown command\r\n');
      }
    };

    let buffer = '';
    let chain = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      // A client that never sends a line end must not grow the buffer without bound.
      if (buffer.length > 64 * 1024) return void socket.destroy();
      let end: number;
      while ((end = buffer.indexOf('\r\n')) !== -1) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        chain = chain.then(() => handle(line)).catch(() => void socket.destroy());
      }
    });
    send('+OK mail-oauth demo POP3 ready\r\n');
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    kind: 'builtin',
    pop3sPort: (server.address() as AddressInfo).port,
    async deliver(account, content) {
      const key = account.toLowerCase();
      inboxes.set(key, [...(inboxes.get(key) ?? []), { uid: `demo-${nextUid++}`, content }]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
