/**
 * SMTP submission with OAuth 2.0 (XOAUTH2) on emailjs, loaded on first use.
 *
 * emailjs 5 does not verify the server certificate after STARTTLS, so this module performs the
 * STARTTLS upgrade itself (chain and host name verified before anything else is written) and
 * only uses emailjs for the SMTP conversation and MIME.
 * @packageDocumentation
 */
import type * as net from 'node:net';
import type { Readable } from 'node:stream';
import type { SMTPConnection } from 'emailjs';
import { systemClock, type Clock } from '../clock.js';
import { MailOAuthError, TransportError } from '../errors.js';
import { resolveLogger, type Logger } from '../logger.js';
import { parseSaslErrorChallenge, type SaslErrorChallenge } from '../sasl/challenge.js';
import { buildXOAuth2 } from '../sasl/xoauth2.js';
import type { SmtpSettings } from '../settings/types.js';
import { createDotStuffer } from './dot.js';
import { errno, redact, resolveEndpoint, scrubError, tlsOptions, toTransportError, upgradeSocket, type Endpoint } from './net.js';
import type { TransportOptions } from './options.js';
import type { TokenSource } from './token-source.js';

/** An attachment read from a file. */
export interface MailAttachmentFile {
  /** Path of the file to read when sending. */
  path: string;
}

/** A file attached to a message. */
export interface MailAttachment {
  /** File name shown to the recipient (`scan-0001.pdf`). */
  filename: string;
  /** The content: bytes, a readable stream, or `{ path }` of a file to read. */
  content: Uint8Array | Readable | MailAttachmentFile;
  /** MIME type. Default `application/octet-stream`. */
  contentType?: string;
}

/** A message to send. The sender is the page's sender name and address. */
export interface MailMessage {
  /** Recipient address(es), RFC 5322 (`a@example.com`, `"Name" <a@example.com>`). */
  to: string | readonly string[];
  /** Carbon-copy recipients. */
  cc?: string | readonly string[];
  /** Blind-copy recipients (envelope only, no header). */
  bcc?: string | readonly string[];
  /** Subject line. */
  subject: string;
  /** Plain-text body. */
  text?: string;
  /** Attachments (scans), sent base64-encoded. */
  attachments?: readonly MailAttachment[];
}

/** Options of {@link sendMail}. */
export type SmtpOptions = TransportOptions;

/** What the server said when it accepted a message. */
export interface SendResult {
  /** The `Message-ID` header of the sent message. */
  messageId: string | undefined;
  /** The server's final reply to the message data (e.g. `250 2.0.0 OK`). */
  response: string;
  /** The envelope recipients the server accepted. */
  accepted: string[];
}

type Emailjs = typeof import('emailjs');
let emailjsModule: Promise<Emailjs> | undefined;

interface Reply {
  code: number;
  text: string;
}

/** The emailjs connection with a verified STARTTLS and a promise API; made once emailjs is loaded. */
interface VerifiedConnection extends SMTPConnection {
  request(line: string, codes: number[], shown?: string): Promise<Reply>;
  open(): Promise<void>;
  ehloAndParse(name: string): Promise<void>;
  startTls(endpoint: Endpoint, ca: TransportOptions['ca'], clock: Clock): Promise<void>;
  isSecure(): boolean;
  socket(): net.Socket;
}

type VerifiedConnectionClass = new (
  options: ConstructorParameters<Emailjs['SMTPConnection']>[0],
  transcript: TransportOptions['onTranscript'],
  secrets: string[],
  clock: Clock,
) => VerifiedConnection;
let connectionClass: VerifiedConnectionClass | undefined;

function lastLine(data: string): Reply {
  const lines = data.replace(/\r/g, '').split('\n').filter((l) => l.length > 0);
  const last = lines.at(-1) ?? '';
  return { code: Number(last.slice(0, 3)) || 0, text: last.slice(4) };
}

/** Code and text of an emailjs failure that carries a server reply. */
function replyOf(err: unknown): Reply | undefined {
  const smtp = (err as { smtp?: unknown } | null)?.smtp;
  if (typeof smtp === 'string' && /^\d{3}/.test(smtp)) return lastLine(smtp);
  const previous = (err as { previous?: unknown } | null)?.previous;
  return previous === undefined || previous === null ? undefined : replyOf(previous);
}

function rootCause(err: unknown): unknown {
  let current = err;
  for (let i = 0; i < 5; i++) {
    if (errno(current) !== undefined && typeof errno(current) === 'string') return current;
    const previous = (current as { previous?: unknown } | null)?.previous;
    if (previous === undefined || previous === null) return current;
    current = previous;
  }
  return current;
}

function toSmtpError(err: unknown, what: string): MailOAuthError {
  if (err instanceof MailOAuthError) return err;
  const state = (err as { code?: unknown } | null)?.code;
  const reply = replyOf(err);
  if (reply !== undefined) {
    return new TransportError('ERR_MAIL_PROTOCOL', `The SMTP server refused ${what}`, {
      kind: reply.code >= 400 && reply.code < 500 ? 'transient' : 'protocol',
      response: `${reply.code} ${reply.text}`.slice(0, 200),
      responseCode: reply.code,
      cause: err,
    });
  }
  const root = rootCause(err);
  if (typeof errno(root) === 'string') return toTransportError(root, `SMTP ${what}`);
  if (state === 4) return new TransportError('ERR_MAIL_TIMEOUT', `SMTP ${what} timed out`, { kind: 'transient', cause: err });
  if (state === 10) return new TransportError('ERR_TLS', `SMTP ${what}: the server certificate is not trusted`, { kind: 'configuration', cause: err });
  return new TransportError('ERR_CONNECTION', `SMTP ${what}: the connection failed or was closed`, { kind: 'transient', cause: err });
}

function defineConnection(emailjs: Emailjs): VerifiedConnectionClass {
  class Verified extends emailjs.SMTPConnection implements VerifiedConnection {
    readonly #transcript: TransportOptions['onTranscript'];
    readonly #secrets: string[];
    readonly #clock: Clock;

    constructor(options: ConstructorParameters<Emailjs['SMTPConnection']>[0], transcript: TransportOptions['onTranscript'], secrets: string[], clock: Clock) {
      super(options);
      this.#transcript = transcript;
      this.#secrets = secrets;
      this.#clock = clock;
    }

    isSecure(): boolean {
      return this._secure;
    }

    socket(): net.Socket {
      if (this.sock === null) throw new TransportError('ERR_CONNECTION', 'The SMTP connection is closed', { kind: 'transient' });
      return this.sock;
    }

    open(): Promise<void> {
      return new Promise((resolve, reject) => {
        // As for replies: a greeting that drips forever never looks idle to emailjs.
        let settled = false;
        const deadline = this.#clock.setTimeout(() => {
          settled = true;
          this.close(true);
          reject(new TransportError('ERR_MAIL_TIMEOUT', 'The SMTP server did not complete its greeting in time', { kind: 'transient' }));
        }, this.timeout);
        this.connect((err, data) => {
          if (settled) return;
          settled = true;
          this.#clock.clearTimeout(deadline);
          if (err) reject(toSmtpError(err, 'connect'));
          else {
            this.#transcript?.({ direction: 'server', line: String(data ?? '').trim().split('\n').at(-1) ?? '' });
            resolve();
          }
        });
      });
    }

    request(line: string, codes: number[], shown: string = line): Promise<Reply> {
      return new Promise((resolve, reject) => {
        this.#transcript?.({ direction: 'client', line: redact(shown, this.#secrets) });
        // emailjs only times out an idle socket: a reply dripping a byte at a time would never end.
        let settled = false;
        const deadline = this.#clock.setTimeout(() => {
          settled = true;
          this.close(true);
          const verb = redact(shown, this.#secrets).split(' ')[0] || 'the message';
          reject(new TransportError('ERR_MAIL_TIMEOUT', `The SMTP server did not complete its reply to ${verb} in time`, { kind: 'transient' }));
        }, this.timeout);
        this.command(
          line,
          (err, data) => {
            if (settled) return;
            settled = true;
            this.#clock.clearTimeout(deadline);
            if (err) {
              scrubError(err, this.#secrets);
              const reply = replyOf(err);
              if (reply !== undefined) this.#transcript?.({ direction: 'server', line: `${reply.code} ${reply.text}` });
              reject(err);
              return;
            }
            const text = redact(String(data ?? ''), this.#secrets);
            if (/^EHLO /i.test(line)) this.parse_smtp_features(text);
            const reply = lastLine(text);
            this.#transcript?.({ direction: 'server', line: `${reply.code} ${reply.text}` });
            resolve(reply);
          },
          codes,
        );
      });
    }

    async ehloAndParse(name: string): Promise<void> {
      this.features = {};
      await this.request(`EHLO ${name}`, [250]).then(
        () => undefined,
        (err: unknown) => Promise.reject(toSmtpError(err, 'EHLO')),
      );
    }

    async startTls(endpoint: Endpoint, ca: TransportOptions['ca'], clock: Clock): Promise<void> {
      await this.request('STARTTLS', [220]);
      const plain = this.socket();
      // Stop emailjs reading the plain socket; nothing is written until the certificate is verified.
      this.monitor?.stop();
      this.monitor = null;
      plain.setTimeout(0);
      const secure = await upgradeSocket(plain, endpoint, ca, clock);
      this.sock = secure;
      this._secure = true;
      this.monitor = new emailjs.SMTPResponseMonitor(secure, this.timeout, () => this.close(true));
      secure.on('error', () => this.close(true));
    }
  }
  return Verified;
}

async function loadConnectionClass(): Promise<{ emailjs: Emailjs; Connection: VerifiedConnectionClass }> {
  emailjsModule ??= import('emailjs');
  const emailjs = await emailjsModule;
  connectionClass ??= defineConnection(emailjs);
  return { emailjs, Connection: connectionClass };
}

/** An open, authenticated SMTP session. @internal */
export interface SmtpSession {
  connection: VerifiedConnection;
  emailjs: Emailjs;
  endpoint: Endpoint;
  quit(): Promise<void>;
  close(): void;
}

type AuthOutcome = { ok: true } | { ok: false; reply: Reply | undefined; challenge: SaslErrorChallenge | undefined };

async function authenticateOnce(connection: VerifiedConnection, user: string, token: string, secrets: string[]): Promise<AuthOutcome> {
  const payload = buildXOAuth2(user, token); // validated before anything is sent
  secrets.push(token, payload);
  let reply: Reply;
  try {
    reply = await connection.request(`AUTH XOAUTH2 ${payload}`, [235, 334], 'AUTH XOAUTH2 /* secret */');
  } catch (err) {
    return classifyAuthFailure(err, undefined);
  }
  if (reply.code === 235) return { ok: true };
  // 334 + base64 JSON: the token was rejected; answer with an empty line, then read the failure.
  const challenge = parseSaslErrorChallenge(reply.text);
  try {
    const final = await connection.request('', [235]);
    if (final.code === 235) return { ok: true };
  } catch (err) {
    return classifyAuthFailure(err, challenge);
  }
  return { ok: false, reply: undefined, challenge };
}

function classifyAuthFailure(err: unknown, challenge: SaslErrorChallenge | undefined): AuthOutcome {
  const reply = replyOf(err);
  if (reply === undefined) throw toSmtpError(err, 'AUTH');
  const text = `${reply.code} ${reply.text}`;
  if (/\b5\.7\.139\b/.test(text)) {
    throw new TransportError('ERR_SMTP_AUTH_DISABLED', 'SMTP AUTH (client authentication) is disabled for this tenant or mailbox', {
      kind: 'configuration',
      response: text.slice(0, 200),
      responseCode: reply.code,
      hint: 'Enable Authenticated SMTP (SmtpClientAuthentication) for the mailbox or the tenant in Exchange Online',
    });
  }
  if (reply.code === 538 || reply.code === 530) {
    throw new TransportError('ERR_TLS_REQUIRED', 'The SMTP server requires encryption before authentication', {
      kind: 'configuration',
      response: text.slice(0, 200),
      responseCode: reply.code,
    });
  }
  if (reply.code === 535 || reply.code === 534 || reply.code === 501 || reply.code === 500 || reply.code === 504) {
    return { ok: false, reply, challenge };
  }
  throw toSmtpError(err, 'AUTH');
}

/**
 * Connects, secures (implicit TLS or verified STARTTLS), and authenticates with XOAUTH2,
 * refreshing the token once when the server rejects it.
 * @internal
 */
export async function openSmtpSession(settings: SmtpSettings, source: TokenSource, options: SmtpOptions = {}): Promise<SmtpSession> {
  const endpoint = resolveEndpoint(settings, 'smtp', options);
  const logger: Logger = resolveLogger(options.logger);
  const clock = options.clock ?? systemClock;
  const allowPlaintext = options.allowPlaintext === true;
  if (endpoint.security === 'none' && !allowPlaintext) {
    throw new TransportError('ERR_TLS_REQUIRED', 'Refusing to send a token over an unencrypted SMTP connection', { kind: 'configuration' });
  }
  const { emailjs, Connection } = await loadConnectionClass();
  const secrets: string[] = [];
  const tls = tlsOptions(endpoint.host, options.ca);
  const connection = new Connection(
    {
      host: endpoint.host,
      port: endpoint.port,
      ssl: endpoint.security === 'tls' ? tls : false,
      tls: false, // STARTTLS is done by startTls(), verified
      timeout: endpoint.timeout,
      domain: options.clientName ?? 'mail-oauth',
      authentication: ['XOAUTH2'],
      logger: (...args: unknown[]) => logger.debug(redact(`smtp: ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a) ?? '')).join(' ')}`, secrets)),
    },
    options.onTranscript,
    secrets,
    clock,
  );
  const close = (): void => connection.close(true);
  try {
    await connection.open();
    const name = options.clientName ?? 'mail-oauth';
    await connection.ehloAndParse(name);
    if (endpoint.security === 'starttls') {
      if (connection.has_extn('starttls')) {
        try {
          await connection.startTls(endpoint, options.ca, clock);
        } catch (err) {
          throw toSmtpError(err, 'STARTTLS');
        }
        await connection.ehloAndParse(name);
      } else if (!allowPlaintext) {
        throw new TransportError('ERR_TLS_REQUIRED', 'The SMTP server does not offer STARTTLS; refusing to authenticate without TLS', {
          kind: 'configuration',
        });
      }
    }
    if (!connection.isSecure() && !allowPlaintext) {
      throw new TransportError('ERR_TLS_REQUIRED', 'Refusing to authenticate over an unencrypted SMTP connection', { kind: 'configuration' });
    }
    let outcome = await authenticateOnce(connection, source.user, await source.accessToken(), secrets);
    if (!outcome.ok) {
      logger.info('smtp: token rejected, refreshing once', { status: outcome.challenge?.status });
      outcome = await authenticateOnce(connection, source.user, await source.refreshAfterRejection(), secrets);
    }
    if (!outcome.ok) {
      const reply = outcome.reply;
      throw new TransportError('ERR_AUTH_REJECTED', 'The SMTP server rejected the access token', {
        kind: 'configuration',
        ...(reply === undefined ? {} : { response: `${reply.code} ${reply.text}`.slice(0, 200), responseCode: reply.code }),
        ...(outcome.challenge?.scope === undefined ? {} : { hint: `Expected scope: ${outcome.challenge.scope}` }),
      });
    }
  } catch (err) {
    close();
    throw toSmtpError(err, 'session');
  }
  return {
    connection,
    emailjs,
    endpoint,
    close,
    async quit() {
      try {
        await connection.request('QUIT', [221, 250]);
      } catch {
        // closing anyway
      }
      close();
    },
  };
}

function list(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

function assertHeaderSafe(field: string, value: string): void {
  if (/[\r\n]/.test(value)) {
    throw new MailOAuthError('ERR_INVALID_OPTION', `The message ${field} contains a line break`, { kind: 'usage', params: { field } });
  }
}

async function buildMessage(emailjs: Emailjs, settings: SmtpSettings, message: MailMessage) {
  const sender = settings.senderAddress;
  if (sender === undefined || sender.length === 0) {
    throw new MailOAuthError('ERR_INVALID_SENDER_ADDRESS', 'No sender address is configured', { kind: 'configuration', params: { field: 'senderAddress' } });
  }
  const to = list(message.to);
  const cc = list(message.cc);
  const bcc = list(message.bcc);
  for (const value of [...to, ...cc, ...bcc, message.subject, settings.senderName ?? '', sender]) assertHeaderSafe('header', value);
  const from = settings.senderName !== undefined && settings.senderName.length > 0 ? `"${settings.senderName.replace(/["\\]/g, '')}" <${sender}>` : sender;
  const attachment = [];
  for (const a of message.attachments ?? []) {
    assertHeaderSafe('attachment file name', a.filename);
    const common = { name: a.filename, type: a.contentType ?? 'application/octet-stream' };
    if (a.content instanceof Uint8Array) {
      attachment.push({ ...common, data: Buffer.from(a.content.buffer, a.content.byteOffset, a.content.byteLength).toString('base64'), encoded: true });
    } else if ('path' in a.content && typeof a.content.path === 'string') {
      attachment.push({ ...common, path: a.content.path });
    } else {
      attachment.push({ ...common, stream: a.content as Readable });
    }
  }
  const msg = new emailjs.Message({
    from,
    to: to.join(', '),
    ...(cc.length > 0 ? { cc: cc.join(', ') } : {}),
    subject: message.subject,
    text: message.text ?? '',
    ...(attachment.length > 0 ? { attachment } : {}),
  });
  const { isValid, validationError } = msg.checkValidity();
  if (!isValid) throw new MailOAuthError('ERR_INVALID_OPTION', `The message is not valid: ${validationError ?? 'unknown'}`, { kind: 'usage' });
  const recipients = [...to, ...cc, ...bcc].flatMap((r) => emailjs.addressparser(r).map((a) => a.address)).filter((a): a is string => typeof a === 'string' && a.length > 0);
  if (recipients.length === 0) throw new MailOAuthError('ERR_INVALID_OPTION', 'The message has no recipient', { kind: 'usage' });
  return { msg, sender, recipients };
}

/** Streams emailjs' MIME output through the dot-stuffer into the socket, respecting the socket's back-pressure. */
function writeData(connection: VerifiedConnection, stream: ReturnType<InstanceType<Emailjs['Message']>['stream']>): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connection.socket();
    const stuffer = createDotStuffer();
    stuffer.on('data', (chunk: Buffer) => {
      if (!socket.write(chunk)) {
        stuffer.pause();
        socket.once('drain', () => stuffer.resume());
      }
    });
    stuffer.on('end', () => resolve());
    stuffer.on('error', reject);
    // emailjs' MessageStream queues a listener per chunk while paused, so it is not paused here:
    // the stuffer buffers what the socket cannot take yet (at most the encoded message).
    stream.on('data', (chunk: string | Buffer) => void stuffer.write(chunk));
    stream.on('end', () => stuffer.end());
    stream.on('error', (err: unknown) => reject(new MailOAuthError('ERR_INVALID_OPTION', 'An attachment could not be read', { kind: 'usage', cause: err })));
  });
}

/**
 * Sends one message through the SMTP server of a page's settings, authenticating with XOAUTH2
 * and the page's token. When the server rejects the token (a JSON challenge or `535 5.7.3`) it
 * forces one refresh and tries once more. emailjs is loaded on the first call.
 *
 * Certificates are verified on implicit TLS (`security: 'tls'`) and after STARTTLS
 * (`'starttls'`, which is required: a server without it is refused before AUTH). `none` is
 * refused unless `allowPlaintext` is set.
 *
 * @param settings - The page's `server`, `port`, `security`, `timeout`, `senderName`, `senderAddress`.
 * @param source - The page's token source.
 * @param message - Recipients, subject, text and attachments.
 * @param options - CA, plaintext permission, timeout, logger, transcript.
 * @throws TransportError `ERR_CONNECTION`, `ERR_DNS`, `ERR_TLS`, `ERR_TLS_REQUIRED`, `ERR_AUTH_REJECTED`,
 * `ERR_SMTP_AUTH_DISABLED` (Microsoft `535 5.7.139`: a configuration problem, the token stays usable),
 * `ERR_MAIL_PROTOCOL`, `ERR_MAIL_TIMEOUT`; errors of the token source unchanged.
 *
 * @example
 * ```ts
 * await sendMail(
 *   { server: 'smtp.office365.com', port: 587, security: 'starttls', senderName: 'Scanner 3F', senderAddress: 'scanner@contoso.com' },
 *   source,
 *   { to: 'alice@contoso.com', subject: 'Scan', text: 'Attached.', attachments: [{ filename: 'scan.pdf', content: pdf, contentType: 'application/pdf' }] },
 * );
 * ```
 */
export async function sendMail(settings: SmtpSettings, source: TokenSource, message: MailMessage, options: SmtpOptions = {}): Promise<SendResult> {
  // Validate the message before connecting, so a bad message never costs a token.
  const emailjs = (await loadConnectionClass()).emailjs;
  const { msg, sender, recipients } = await buildMessage(emailjs, settings, message);
  const session = await openSmtpSession(settings, source, options);
  const { connection } = session;
  try {
    await connection.request(`MAIL FROM:<${sender}>`, [250]);
    const accepted: string[] = [];
    for (const rcpt of recipients) {
      await connection.request(`RCPT TO:<${rcpt}>`, [250, 251]);
      accepted.push(rcpt);
    }
    await connection.request('DATA', [354]);
    await writeData(connection, msg.stream());
    const final = await connection.request('\r\n.', [250], '.');
    await session.quit();
    const id = msg.header['message-id'];
    return { messageId: typeof id === 'string' ? id : undefined, response: `${final.code} ${final.text}`, accepted };
  } catch (err) {
    session.close();
    throw toSmtpError(err, 'sending');
  }
}

/**
 * Opens an SMTP session (TLS, XOAUTH2 with refresh-and-retry-once), sends `NOOP`, and quits.
 * The connection test uses it.
 *
 * @example
 * ```ts
 * await verifySmtp(settings, source, { ca });
 * ```
 */
export async function verifySmtp(settings: SmtpSettings, source: TokenSource, options: SmtpOptions = {}): Promise<void> {
  const session = await openSmtpSession(settings, source, options);
  try {
    await session.connection.request('NOOP', [250]);
  } catch (err) {
    session.close();
    throw toSmtpError(err, 'NOOP');
  }
  await session.quit();
}
