/**
 * Servers that echo the AUTH line back in their error reply. The token, and its SASL payload,
 * must not reach the thrown error (message, response, cause chain), the transcript or the log.
 */
import * as net from 'node:net';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { buildXOAuth2 } from '../../src/sasl/xoauth2.js';
import { Pop3Client } from '../../src/transports/pop3/client.js';
import { verifySmtp } from '../../src/transports/smtp.js';
import { leakedFragments, onLines, scriptedSource, transcript } from './helpers.js';

const USER = 'scanner@example.test';
const FIRST = 'echoed-access-token-first-0123456789';
const SECOND = 'echoed-access-token-second-9876543210';
const secrets = [FIRST, SECOND, buildXOAuth2(USER, FIRST), buildXOAuth2(USER, SECOND)];

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A line server: `reply(line)` answers each client line; the greeting is sent first. */
async function lineServer(greeting: string, reply: (line: string) => string): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write(greeting);
    onLines(socket, (line) => socket.write(reply(line)));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

function recordingLogger() {
  const lines: string[] = [];
  const log = (m: string, f?: object): void => void lines.push(m + JSON.stringify(f ?? {}));
  return { lines, debug: log, info: log, warn: log, error: log };
}

function everythingPrinted(error: unknown, extra: string[]): string {
  return [inspect(error, { depth: 10 }), JSON.stringify(error), String((error as Error).message), ...extra].join('\n');
}

describe('a server echoing the AUTH line', () => {
  it('POP3: ERR_AUTH_REJECTED, and no token or payload anywhere', async () => {
    const port = await lineServer('+OK echo\r\n', (line) => {
      if (line === 'CAPA') return '+OK\r\nSASL XOAUTH2\r\n.\r\n';
      if (line === 'AUTH XOAUTH2') return '+ \r\n';
      if (line === 'QUIT') return '+OK bye\r\n';
      return `-ERR [AUTH] not accepted: ${line}\r\n`;
    });
    const t = transcript();
    const logger = recordingLogger();
    const pop = await Pop3Client.connect(
      { server: '127.0.0.1', port, security: 'none', timeout: 2_000 },
      { allowPlaintext: true, onTranscript: t.onTranscript, logger },
    );
    const error = await pop.authenticate(scriptedSource(USER, FIRST, SECOND)).then(
      () => undefined,
      (err: unknown) => err,
    );
    pop.close();
    expect(error).toMatchObject({ code: 'ERR_AUTH_REJECTED' });
    expect((error as { response?: string }).response).toContain('/* secret */');
    const printed = everythingPrinted(error, [...t.entries.map((e) => e.line), ...logger.lines]);
    for (const secret of secrets) expect(printed).not.toContain(secret);
  });

  it('SMTP: ERR_AUTH_REJECTED, and no token or payload anywhere', async () => {
    const port = await lineServer('220 echo ESMTP\r\n', (line) => {
      if (line.startsWith('EHLO')) return '250-echo\r\n250 AUTH XOAUTH2\r\n';
      if (line === 'QUIT') return '221 bye\r\n';
      return `535 5.7.8 Authentication failed for: ${line}\r\n`;
    });
    const t = transcript();
    const logger = recordingLogger();
    const error = await verifySmtp(
      { server: '127.0.0.1', port, security: 'none', timeout: 2_000 },
      { method: 'oauth2', source: scriptedSource(USER, FIRST, SECOND) },
      { allowPlaintext: true, onTranscript: t.onTranscript, logger },
    ).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ code: 'ERR_AUTH_REJECTED' });
    expect((error as { response?: string }).response).toContain('/* secret */');
    const printed = everythingPrinted(error, [...t.entries.map((e) => e.line), ...logger.lines]);
    for (const secret of secrets) expect(printed).not.toContain(secret);
  });
});

describe('a server echoing parts of the AUTH line, folded over several lines', () => {
  const LONG_FIRST = `eyJhbGciOiJSUzI1NiJ9.${'a1B2c3D4e5F6g7H8'.repeat(24)}.first-signature-0123456789`;
  const LONG_SECOND = `eyJhbGciOiJSUzI1NiJ9.${'Z9y8X7w6V5u4T3s2'.repeat(24)}.second-signature-9876543210`;
  const longSecrets = [LONG_FIRST, LONG_SECOND, buildXOAuth2(USER, LONG_FIRST), buildXOAuth2(USER, LONG_SECOND)];
  const chunks = (text: string, width: number): string[] => text.match(new RegExp(`.{1,${width}}`, 'g')) ?? [];
  const tokenOf = (payload: string): string => /auth=Bearer ([^\x01]*)/.exec(Buffer.from(payload, 'base64').toString('latin1'))?.[1] ?? '';

  /** Runs POP3 AUTH against a server whose answer to the SASL payload is `echo(payload)`. */
  async function run(echo: (payload: string) => string): Promise<{ error: unknown; printed: string[] }> {
    const port = await lineServer('+OK echo\r\n', (line) => {
      if (line === 'CAPA') return '+OK\r\nSASL XOAUTH2\r\n.\r\n';
      if (line === 'AUTH XOAUTH2') return '+ \r\n';
      if (line === 'QUIT') return '+OK bye\r\n';
      return echo(line);
    });
    const t = transcript();
    const logger = recordingLogger();
    const pop = await Pop3Client.connect(
      { server: '127.0.0.1', port, security: 'none', timeout: 2_000 },
      { allowPlaintext: true, onTranscript: t.onTranscript, logger },
    );
    const error = await pop.authenticate(scriptedSource(USER, LONG_FIRST, LONG_SECOND)).then(
      () => undefined,
      (err: unknown) => err,
    );
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the rest of the folded reply arrive
    pop.close();
    const lines = [...t.entries.map((e) => e.line), ...logger.lines];
    return { error, printed: [everythingPrinted(error, lines), (error as { response?: string }).response ?? '', lines.join('\n')] };
  }

  it('the payload folded over -ERR continuation lines', async () => {
    const { error, printed } = await run((payload) =>
      chunks(payload, 40)
        .map((part) => `-ERR [AUTH] ${part}\r\n`)
        .join(''),
    );
    expect(error).toMatchObject({ code: 'ERR_AUTH_REJECTED' });
    for (const text of printed) expect(leakedFragments(text, longSecrets)).toEqual([]);
  });

  it('the payload folded with whitespace continuations (a multi-line reply)', async () => {
    const { error, printed } = await run((payload) => `-ERR [AUTH] rejected:\r\n ${chunks(payload, 24).join('\r\n\t')}\r\n`);
    expect(error).toMatchObject({ code: 'ERR_MAIL_PROTOCOL' });
    for (const text of printed) expect(leakedFragments(text, longSecrets)).toEqual([]);
  });

  it('half of the payload, half of the token, and the token re-encoded', async () => {
    const { error, printed } = await run((payload) => {
      const token = tokenOf(payload);
      return `-ERR [AUTH] ${payload.slice(0, payload.length / 2)} for ${token.slice(token.length / 2)} as ${Buffer.from(`t=${token}`).toString('base64')}\r\n`;
    });
    expect(error).toMatchObject({ code: 'ERR_AUTH_REJECTED' });
    expect((error as { response?: string }).response).toContain('/* secret */');
    const reencoded = [LONG_FIRST, LONG_SECOND].map((token) => Buffer.from(`t=${token}`).toString('base64').slice(4, -4));
    for (const text of printed) expect(leakedFragments(text, [...longSecrets, ...reencoded])).toEqual([]);
  });
});
