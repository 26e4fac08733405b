/**
 * The demo's SMTP submission server (smtp-server): STARTTLS, XOAUTH2 only, a token accepted while
 * the issuer still knows its grant and it names the authenticating mailbox; mail for a demo
 * mailbox goes into its POP3 inbox.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { DemoPki } from './pki.js';
import type { DemoMailbox } from './mailbox.js';

/** A running demo SMTP server. */
export interface DemoSmtp {
  /** Submission port (STARTTLS) on 127.0.0.1. */
  port: number;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Starts the SMTP server on 127.0.0.1 (ephemeral port). */
export async function startDemoSmtp(
  pki: DemoPki,
  verify: (token: string) => Promise<string | undefined>,
  mailbox: DemoMailbox,
): Promise<DemoSmtp> {
  const server = new SMTPServer({
    key: pki.key,
    cert: pki.cert,
    authMethods: ['XOAUTH2'],
    allowInsecureAuth: false,
    logger: false,
    size: 25 * 1024 * 1024,
    onAuth(auth, _session, callback) {
      void verify(auth.accessToken ?? '').then((email) => {
        if (email !== undefined && email === (auth.username ?? '').toLowerCase()) callback(null, { user: email });
        // The JSON challenge real providers send: the client then renews its token once.
        else callback(null, { data: { status: '401', schemes: 'bearer', scope: 'mail' } });
      });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        Promise.all(session.envelope.rcptTo.map((rcpt) => mailbox.deliver(rcpt.address, raw))).then(
          () => callback(),
          (err: Error) => callback(err),
        );
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
