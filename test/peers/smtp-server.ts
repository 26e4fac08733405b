/**
 * An SMTP submission peer on 127.0.0.1 built on `smtp-server`: STARTTLS (port 587 style) or
 * implicit TLS (465 style), XOAUTH2 only, validating RS256 JWT access tokens with jose against a
 * public key (signature, expiry, and `email` = SASL user). A bad token gets the JSON challenge.
 * It records every token presented and every message received.
 */
import type { AddressInfo } from 'node:net';
import { importSPKI, jwtVerify } from 'jose';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface SmtpPeerOptions {
  /** `starttls`: plain port offering STARTTLS; `tls`: implicit TLS; `plain`: no TLS at all (no STARTTLS offered). */
  mode: 'starttls' | 'tls' | 'plain';
  /** Server key and certificate. */
  key?: string;
  cert?: string;
  /** SPKI PEM keys whose signatures are accepted. */
  publicKeyPems: string[];
  /** Accepted issuer (optional). */
  issuer?: string;
  /** Answer every AUTH with this fixed failure instead of validating (e.g. Microsoft's 5.7.139). */
  authFailure?: { responseCode: number; message: string };
  /** Answer a bad token with `535 5.7.3` instead of the JSON challenge. */
  plain535?: boolean;
  /** Password users (user → password): PLAIN and LOGIN are offered beside XOAUTH2. */
  passwords?: Readonly<Record<string, string>>;
  /** Accept mail without AUTH (a relay for authMethod `none`). */
  authOptional?: boolean;
  /** The `SIZE` the server advertises, in bytes. Default 50 MiB. */
  size?: number;
}

export interface ReceivedMail {
  from: string;
  to: string[];
  user: string | undefined;
  raw: Buffer;
}

export interface SmtpPeer {
  port: number;
  /** Tokens presented in AUTH, in order. */
  tokensSeen: string[];
  /** SASL mechanisms clients used (`XOAUTH2`, `PLAIN`, `LOGIN`), in order. */
  methodsSeen: string[];
  mails: ReceivedMail[];
  /** Counters: connections opened, and message data started (DATA accepted). */
  counts: { connections: number; dataStarted: number };
  /** Resolves with the next mail received. */
  nextMail(): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export async function startSmtpPeer(options: SmtpPeerOptions): Promise<SmtpPeer> {
  const keys = await Promise.all(options.publicKeyPems.map((pem) => importSPKI(pem, 'RS256')));
  const tokensSeen: string[] = [];
  const methodsSeen: string[] = [];
  const mails: ReceivedMail[] = [];
  const waiting: Array<(mail: ReceivedMail) => void> = [];
  const counts = { connections: 0, dataStarted: 0 };

  const valid = async (token: string, user: string): Promise<boolean> => {
    for (const key of keys) {
      try {
        const { payload } = await jwtVerify(token, key, options.issuer === undefined ? {} : { issuer: options.issuer });
        return typeof payload['email'] === 'string' && payload['email'].toLowerCase() === user.toLowerCase();
      } catch {
        // next key
      }
    }
    return false;
  };

  const config: SMTPServerOptions = {
    secure: options.mode === 'tls',
    hideSTARTTLS: options.mode === 'plain',
    disabledCommands: options.mode === 'plain' ? ['STARTTLS'] : [],
    authMethods: options.passwords === undefined ? ['XOAUTH2'] : ['XOAUTH2', 'PLAIN', 'LOGIN'],
    authOptional: options.authOptional === true,
    allowInsecureAuth: false,
    logger: false,
    size: options.size ?? 50 * 1024 * 1024,
    onConnect(_session, callback) {
      counts.connections++;
      callback();
    },
    ...(options.key === undefined ? {} : { key: options.key, cert: options.cert }),
    onAuth(auth, _session, callback) {
      methodsSeen.push(auth.method);
      if (auth.method === 'PLAIN' || auth.method === 'LOGIN') {
        const expected = options.passwords?.[auth.username ?? ''];
        if (expected !== undefined && auth.password === expected) callback(null, { user: auth.username });
        else callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
        return;
      }
      const token = auth.accessToken ?? '';
      tokensSeen.push(token);
      if (options.authFailure !== undefined) {
        callback(Object.assign(new Error(options.authFailure.message), { responseCode: options.authFailure.responseCode }));
        return;
      }
      valid(token, auth.username ?? '').then(
        (ok) => {
          if (ok) callback(null, { user: auth.username });
          else if (options.plain535 === true)
            callback(Object.assign(new Error('5.7.3 Authentication unsuccessful'), { responseCode: 535 }));
          else callback(null, { data: { status: '401', schemes: 'bearer', scope: 'mail' } });
        },
        (err: Error) => callback(err),
      );
    },
    onData(stream, session, callback) {
      counts.dataStarted++;
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const mail: ReceivedMail = {
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : undefined,
          raw: Buffer.concat(chunks),
        };
        mails.push(mail);
        waiting.shift()?.(mail);
        callback();
      });
    },
  };
  const server = new SMTPServer(config);
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    tokensSeen,
    methodsSeen,
    mails,
    counts,
    nextMail: () => new Promise((resolve) => waiting.push(resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
