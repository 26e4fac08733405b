/**
 * SMTP on nodemailer: a pool of authenticated connections for one page's settings and
 * credentials, and a single verified session for the connection test. nodemailer is loaded on
 * first use.
 * @internal
 * @packageDocumentation
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { SMTPPoolOptions, Transporter } from 'nodemailer';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import { systemClock } from '../../clock.js';
import type { MailOAuthError } from '../../errors.js';
import { UsageError } from '../../errors.js';
import { resolveLogger } from '../../logger.js';
import type { SmtpSettings } from '../../settings/types.js';
import type { MailCredentials } from '../credentials.js';
import { assertPlaintextAllowed, createRedactor, isLoopbackHost, resolveEndpoint, type Endpoint, type Redactor } from '../net.js';
import type { TransportOptions } from '../options.js';
import { trustContext } from '../trust.js';
import { toSmtpError, type FailureContext } from './errors.js';
import { createLogAdaptor } from './log.js';
import { prepareMessage, type MailMessage } from './message.js';
import { XOAUTH2_HANDLER, xoauth2Handler } from './xoauth2.js';

/**
 * How many connections a page keeps and for how long.
 * @category Sending mail
 */
export interface SmtpPoolOptions {
  /** Most connections open at once to the page's server. Default 2. */
  maxConnections?: number;
  /** Messages sent over one connection before it is replaced. Default 100. */
  maxMessages?: number;
  /** How long an unused connection stays open, in milliseconds. Default 30 000. */
  idleTimeout?: number;
}

/**
 * Progress of one message while it is handed to the server.
 * @category Sending mail
 */
export interface SendProgress {
  /** Bytes of the encoded message written so far. */
  sentBytes: number;
  /** The estimated size of the encoded message in bytes; `undefined` for a message without attachments, or with a stream attachment of unknown length. */
  totalBytes: number | undefined;
}

/**
 * Options of one send.
 * @category Sending mail
 */
export interface SendOptions {
  /** Aborts the send (queued, connecting, or streaming the data); it then fails with `ERR_ABORTED`. */
  signal?: AbortSignal;
  /** Called as the message data is written (about every 64 KiB) and once at the end. */
  onProgress?: (progress: SendProgress) => void;
}

/**
 * What the server said when it accepted a message.
 * @category Sending mail
 */
export interface SendResult {
  /** The `Message-ID` header of the sent message (in the sender address's domain). */
  messageId: string | undefined;
  /** The server's final reply to the message data (e.g. `250 2.0.0 OK`). */
  response: string;
  /** The envelope recipients the server accepted. */
  accepted: string[];
}

/** Options of an SMTP transport: those of every transport. */
export type SmtpOptions = TransportOptions;

type Nodemailer = typeof import('nodemailer');
type Transport = Transporter<import('nodemailer').SMTPPoolSentMessageInfo, SMTPPoolOptions>;
let nodemailerModule: Promise<Nodemailer> | undefined;

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function aborted(): MailOAuthError {
  return new UsageError('ERR_ABORTED', 'Sending was aborted', { kind: 'usage' });
}

/** Counts the bytes of the encoded message as nodemailer streams it to the socket. */
function progressCounter(totalBytes: number | undefined, onProgress: (progress: SendProgress) => void): Transform {
  let sentBytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      sentBytes += chunk.length;
      onProgress({ sentBytes, totalBytes });
      callback(null, chunk);
    },
  });
}

interface Live {
  transport: Transport;
  context: FailureContext;
  close(force: boolean): void;
}

/**
 * Connections to one SMTP server for one page: authenticated once per connection, reused for
 * the following messages, closed after `idleTimeout`. A connection authenticates with the
 * credentials' current token, so a renewed token is used for new connections.
 * @internal
 */
export class SmtpPool {
  readonly #settings: SmtpSettings;
  readonly #credentials: MailCredentials;
  readonly #options: SmtpOptions;
  readonly #pool: Required<SmtpPoolOptions>;
  readonly #endpoint: Endpoint;
  readonly #redactor: Redactor = createRedactor();
  readonly #progress = new Map<string, (chunk: Transform) => void>();
  #live: Promise<Live> | undefined;
  #closed = false;

  constructor(settings: SmtpSettings, credentials: MailCredentials, options: SmtpOptions = {}, pool: SmtpPoolOptions = {}) {
    this.#settings = settings;
    this.#credentials = credentials;
    this.#options = options;
    this.#pool = {
      maxConnections: pool.maxConnections ?? 2,
      maxMessages: pool.maxMessages ?? 100,
      idleTimeout: pool.idleTimeout ?? 30_000,
    };
    this.#endpoint = resolveEndpoint(settings, 'smtp', options);
    // Before any connection or DNS lookup: no unencrypted connection except to loopback.
    assertPlaintextAllowed(this.#endpoint, options, 'SMTP');
  }

  /** Sends one message over a pooled connection. */
  async send(message: MailMessage, options: SendOptions = {}): Promise<SendResult> {
    if (isAborted(options.signal)) throw aborted();
    // A bad message fails before it costs a connection or a token.
    const prepared = await prepareMessage(this.#settings, message);
    if (isAborted(options.signal)) throw aborted();
    const live = await this.#open();
    const { data, messageId, size } = prepared;
    if (size !== undefined) (data.envelope as Record<string, unknown>)['size'] = size;
    if (options.signal !== undefined) data.signal = options.signal;
    const onProgress = options.onProgress;
    if (onProgress !== undefined) this.#progress.set(messageId, () => progressCounter(size, onProgress));
    try {
      const info = await live.transport.sendMail(data);
      return {
        messageId: info.messageId,
        response: this.#redactor.redact(String(info.response)),
        accepted: [...info.accepted].map(String),
      };
    } catch (err) {
      const error = isAborted(options.signal) ? aborted() : toSmtpError(err, live.context);
      // A refused login or a stalled server: start over with fresh connections next time.
      if (['ERR_AUTH_REJECTED', 'ERR_PASSWORD_REJECTED', 'ERR_MAIL_TIMEOUT', 'ERR_TLS'].includes(error.code)) this.#drop(live, true);
      throw error;
    } finally {
      this.#progress.delete(messageId);
    }
  }

  /**
   * Opens one session outside the pool (connect, TLS, authenticate, `RSET`, `QUIT`): the
   * connection test.
   */
  async verify(): Promise<void> {
    const { default: Connection } = await import('nodemailer/lib/smtp-connection');
    let stall: ((err: Error) => void) | undefined;
    const failed = new Promise<never>((_resolve, reject) => {
      stall = reject;
    });
    failed.catch(() => undefined);
    const setup = await this.#connectionSetup(() => {
      context.stalled = true;
      connection.close();
      stall?.(new Error('stalled'));
    });
    const context = setup.context;
    const connection = new Connection(setup.options);
    // nodemailer reports a failed connect or TLS upgrade as an 'error' event, not to the callback.
    connection.on('error', (err: Error) => stall?.(err));
    connection.on('end', () => stall?.(Object.assign(new Error('Connection closed'), { code: 'ECONNECTION' })));
    const step = (run: (done: (err?: Error | null) => void) => void): Promise<void> =>
      Promise.race([new Promise<void>((resolve, reject) => run((err) => (err ? reject(err) : resolve()))), failed]);
    try {
      await step((done) => connection.connect(done));
      if (setup.auth !== undefined) {
        const auth = setup.auth;
        await step((done) => connection.login(auth, done));
      }
      // One real command after authenticating.
      await step((done) => connection.reset(done));
      stall = undefined;
      connection.quit();
    } catch (err) {
      connection.close();
      throw toSmtpError(err, context);
    } finally {
      setup.close();
    }
  }

  /** Closes every connection; a message being sent fails. Idempotent. */
  close(): void {
    this.#closed = true;
    const live = this.#live;
    this.#live = undefined;
    void live?.then(
      (l) => l.close(true),
      () => undefined,
    );
  }

  #drop(live: Live, force: boolean): void {
    live.close(force);
    void this.#live?.then(
      (current) => {
        if (current === live) this.#live = undefined;
      },
      () => undefined,
    );
  }

  #open(): Promise<Live> {
    if (this.#closed)
      return Promise.reject(new UsageError('ERR_DEVICE_CLOSED', 'The SMTP connections of this page are closed', { kind: 'usage' }));
    const live = (this.#live ??= this.#create());
    live.catch(() => {
      if (this.#live === live) this.#live = undefined;
    });
    return live;
  }

  async #create(): Promise<Live> {
    nodemailerModule ??= import('nodemailer');
    const nodemailer = await nodemailerModule;
    // eslint-disable-next-line prefer-const -- the stall callback below reads it before it is assigned; a const would still be in its temporal dead zone
    let live: Live | undefined;
    const setup = await this.#connectionSetup(() => {
      setup.context.stalled = true;
      if (live !== undefined) this.#drop(live, true);
    });
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- the linter resolves this overloaded call to Mail<any, any>; tsc checks it against Transport
    const transport: Transport = nodemailer.createTransport({
      ...setup.options,
      pool: true,
      maxConnections: this.#pool.maxConnections,
      maxMessages: this.#pool.maxMessages,
      idleTimeout: this.#pool.idleTimeout,
      // Without AUTH in the server's EHLO, a message must not go out unauthenticated by accident.
      forceAuth: setup.auth !== undefined,
      ...(setup.auth === undefined ? {} : { auth: setup.auth }),
    });
    transport.on('error', () => undefined);
    transport.use('stream', (mail, done) => {
      const id = mail.data.messageId;
      const counter = typeof id === 'string' ? this.#progress.get(id) : undefined;
      if (counter !== undefined && mail.message !== null) mail.message.transform(counter as () => Transform);
      done();
    });
    live = {
      transport,
      context: setup.context,
      close(force) {
        transport.close({ force });
        setup.close();
      },
    };
    return live;
  }

  /** nodemailer's connection options, the AUTH data, and the log adaptor, for the pool and for `verify()`. */
  async #connectionSetup(onStall: () => void) {
    const endpoint = this.#endpoint;
    const options = this.#options;
    const context: FailureContext = { redactor: this.#redactor, stalled: false, sizeLimit: undefined };
    const log = createLogAdaptor({
      redactor: this.#redactor,
      logger: resolveLogger(options.logger),
      clock: options.clock ?? systemClock,
      onTranscript: options.onTranscript,
      replyTimeout: endpoint.timeout,
      onStall,
      onCapabilities(lines) {
        const size = lines.map((l) => /^250[ -]SIZE\s+(\d+)/i.exec(l)?.[1]).find((s) => s !== undefined);
        if (size !== undefined && Number(size) > 0) context.sizeLimit = Number(size);
      },
    });
    const credentials = this.#credentials;
    let auth: SMTPConnection.AuthenticationType | undefined;
    const customAuth: NonNullable<SMTPConnection.Options['customAuth']> = {};
    if (credentials.method === 'oauth2') {
      customAuth[XOAUTH2_HANDLER] = xoauth2Handler(credentials.source, this.#redactor, (status) => {
        resolveLogger(options.logger).info('smtp: token rejected, renewing once', { status });
      });
      auth = { type: 'custom', user: credentials.source.user, method: XOAUTH2_HANDLER };
    } else if (credentials.method === 'plain' || credentials.method === 'login') {
      const pass = await credentials.password();
      this.#redactor.push(pass);
      auth = { user: credentials.user, pass, method: credentials.method.toUpperCase() };
    }
    const secureContext = trustContext(options.ca);
    const connectionOptions = {
      host: endpoint.host,
      port: endpoint.port,
      secure: endpoint.security === 'tls',
      // `starttls` is never downgraded: no STARTTLS, or a failed upgrade, ends the session.
      requireTLS: endpoint.security === 'starttls',
      ignoreTLS: endpoint.security === 'none',
      name: options.clientName ?? 'mail-oauth',
      connectionTimeout: endpoint.timeout,
      greetingTimeout: endpoint.timeout,
      socketTimeout: endpoint.timeout,
      dnsTimeout: endpoint.timeout,
      allowInternalNetworkInterfaces: isLoopbackHost(endpoint.host),
      tls: { rejectUnauthorized: true, minVersion: 'TLSv1.2' as const, ...(secureContext === undefined ? {} : { secureContext }) },
      logger: log.logger,
      transactionLog: true,
      customAuth,
    } satisfies SMTPConnection.Options;
    return { options: connectionOptions, auth, context, close: log.close };
  }
}
