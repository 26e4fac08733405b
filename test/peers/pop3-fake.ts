/**
 * A scriptable POP3 server on 127.0.0.1 for client tests: well-behaved by default (CAPA, STLS,
 * AUTH XOAUTH2/OAUTHBEARER two-step and initial response, STAT, LIST, UIDL, RETR, DELE, QUIT),
 * with hooks to misbehave (hostile tests) and a record of what it received.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { dotStuff } from '../../src/transports/dot.js';

export interface FakePop3Options {
  /** Offer STLS (needs `tls`). Default true when `tls` is given. */
  stls?: boolean;
  /** Key and certificate for STLS / implicit TLS. */
  tls?: { key: string; cert: string };
  /** Implicit TLS on connect. */
  implicitTls?: boolean;
  /** SASL mechanisms announced. Default ['XOAUTH2', 'OAUTHBEARER']. */
  sasl?: string[];
  /** Tokens accepted. Default ['good-token']. */
  validTokens?: string[];
  /** Messages of the maildrop. */
  messages?: Buffer[];
  /** Handle a command before the default does; return true when handled. */
  override?: (command: string, socket: net.Socket, state: FakePop3Session) => boolean | Promise<boolean>;
}

export interface FakePop3Session {
  authenticated: boolean;
  secure: boolean;
  deleted: Set<number>;
}

export interface FakePop3 {
  port: number;
  /** Every command line received (over all connections), SASL payloads as received. */
  received: string[];
  /** Tokens presented in AUTH. */
  tokensSeen: string[];
  close(): Promise<void>;
}

const CHALLENGE = Buffer.from('{"status":"401","schemes":"bearer","scope":"mail"}').toString('base64');

function tokenOf(payload: string): string | undefined {
  const raw = Buffer.from(payload, 'base64').toString('utf8');
  return /auth=Bearer ([^\x01]*)\x01/.exec(raw)?.[1];
}

export async function startFakePop3(options: FakePop3Options = {}): Promise<FakePop3> {
  const received: string[] = [];
  const tokensSeen: string[] = [];
  const sockets = new Set<net.Socket>();
  const messages = options.messages ?? [];
  const valid = new Set(options.validTokens ?? ['good-token']);
  const stls = options.stls ?? (options.tls !== undefined && options.implicitTls !== true);

  const serve = (initial: net.Socket, secure: boolean): void => {
    let socket = initial;
    sockets.add(socket);
    const session: FakePop3Session = { authenticated: false, secure, deleted: new Set() };
    let buffer = '';
    let saslStep: undefined | { mechanism: string; stage: 'payload' | 'failed' } = undefined;
    const send = (text: string): void => {
      if (!socket.destroyed) socket.write(text);
    };

    const handle = async (line: string): Promise<void> => {
      received.push(line);
      if (saslStep !== undefined) {
        const step = saslStep;
        if (step.stage === 'failed') {
          saslStep = undefined;
          send('-ERR [AUTH] Authentication failed.\r\n');
          return;
        }
        return authPayload(step.mechanism, line);
      }
      if (options.override !== undefined && (await options.override(line, socket, session))) return;
      const [verb = '', ...args] = line.split(' ');
      switch (verb.toUpperCase()) {
        case 'CAPA': {
          const caps = ['USER', 'UIDL', 'TOP'];
          if (stls && !session.secure) caps.push('STLS');
          caps.push(`SASL ${(options.sasl ?? ['XOAUTH2', 'OAUTHBEARER']).join(' ')}`);
          send(`+OK\r\n${caps.join('\r\n')}\r\n.\r\n`);
          return;
        }
        case 'STLS': {
          if (!stls || session.secure || options.tls === undefined) {
            send('-ERR STLS not available\r\n');
            return;
          }
          send('+OK Begin TLS\r\n');
          socket.removeAllListeners('data');
          const secureSocket = new tls.TLSSocket(socket, { isServer: true, key: options.tls.key, cert: options.tls.cert });
          secureSocket.on('error', () => secureSocket.destroy());
          session.secure = true;
          socket = secureSocket;
          sockets.add(socket);
          socket.on('data', onData);
          return;
        }
        case 'AUTH': {
          const mechanism = (args[0] ?? '').toUpperCase();
          if (args[1] !== undefined) return authPayload(mechanism, args[1]);
          saslStep = { mechanism, stage: 'payload' };
          send('+ \r\n');
          return;
        }
        case 'STAT': {
          if (!session.authenticated) return void send('-ERR not authenticated\r\n');
          const live = messages.filter((_, i) => !session.deleted.has(i + 1));
          send(`+OK ${live.length} ${live.reduce((n, m) => n + m.length, 0)}\r\n`);
          return;
        }
        case 'LIST':
        case 'UIDL': {
          if (!session.authenticated) return void send('-ERR not authenticated\r\n');
          const rows = messages
            .map((m, i) => [i + 1, verb.toUpperCase() === 'LIST' ? String(m.length) : `uid-${i + 1}`] as const)
            .filter(([id]) => !session.deleted.has(id))
            .map(([id, v]) => `${id} ${v}\r\n`);
          send(`+OK\r\n${rows.join('')}.\r\n`);
          return;
        }
        case 'RETR': {
          const id = Number(args[0]);
          const message = messages[id - 1];
          if (!session.authenticated || message === undefined) return void send('-ERR no such message\r\n');
          send(`+OK ${message.length} octets\r\n`);
          socket.write(dotStuff(message));
          return;
        }
        case 'DELE': {
          session.deleted.add(Number(args[0]));
          send('+OK deleted\r\n');
          return;
        }
        case 'NOOP':
        case 'RSET':
          send('+OK\r\n');
          return;
        case 'QUIT':
          send('+OK bye\r\n');
          socket.end();
          return;
        default:
          send('-ERR unknown command\r\n');
      }
    };

    const authPayload = (mechanism: string, payload: string): void => {
      const token = tokenOf(payload);
      if (token !== undefined) tokensSeen.push(token);
      if (token !== undefined && valid.has(token) && (mechanism === 'XOAUTH2' || mechanism === 'OAUTHBEARER')) {
        saslStep = undefined;
        session.authenticated = true;
        send('+OK Logged in.\r\n');
        return;
      }
      saslStep = { mechanism, stage: 'failed' };
      send(`+ ${CHALLENGE}\r\n`);
    };

    let chain = Promise.resolve();
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('utf8');
      let index: number;
      while ((index = buffer.indexOf('\r\n')) !== -1) {
        const line = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        chain = chain.then(() => handle(line)).catch(() => void socket.destroy());
      }
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
    send('+OK fake POP3 ready\r\n');
  };

  const server =
    options.implicitTls === true && options.tls !== undefined
      ? tls.createServer({ key: options.tls.key, cert: options.tls.cert }, (s) => serve(s, true))
      : net.createServer((s) => serve(s, false));
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    received,
    tokensSeen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
