/**
 * A small POP3 client (RFC 1939, 2449, 2595, 5034) that authenticates with OAuth 2.0 bearer
 * tokens (XOAUTH2, OAUTHBEARER) or a password (`USER`/`PASS`, SASL PLAIN). No npm POP3 client
 * speaks XOAUTH2, so this one is our own.
 * @packageDocumentation
 */
import type * as net from 'node:net';
import { Readable } from 'node:stream';
import { systemClock, type Clock } from '../../clock.js';
import type { MailOAuthError } from '../../errors.js';
import { SettingsError, TransportError } from '../../errors.js';
import { resolveLogger, type Logger } from '../../logger.js';
import { parseSaslErrorChallenge, type SaslErrorChallenge } from '../../sasl/challenge.js';
import { assertSaslInput } from '../../sasl/input.js';
import { buildOAuthBearer, OAUTHBEARER_FAILURE_RESPONSE } from '../../sasl/oauthbearer.js';
import { assertPassword, buildPlain } from '../../sasl/plain.js';
import { buildXOAuth2 } from '../../sasl/xoauth2.js';
import type { PageSettings } from '../../settings/types.js';
import { unstuffLine } from '../dot.js';
import { LineSplitter } from '../lines.js';
import {
  assertPlaintextAllowed,
  createRedactor,
  openSocket,
  plaintextAllowed,
  plaintextRefused,
  resolveEndpoint,
  timeoutError,
  toTransportError,
  upgradeSocket,
  type Endpoint,
} from '../net.js';
import type { MailCredentials } from '../credentials.js';
import type { TransportOptions } from '../options.js';
import type { TokenSource } from '../token-source.js';
import {
  NO_CAPABILITIES,
  parsePop3Capabilities,
  parsePop3ListLine,
  parsePop3Stat,
  parsePop3Status,
  parsePop3UidlLine,
  type Pop3Capabilities,
  type Pop3ListEntry,
  type Pop3Ok,
  type Pop3Stat,
  type Pop3Status,
  type Pop3UidlEntry,
} from './parser.js';

/**
 * The SASL mechanisms the POP3 client can use.
 * @category Receiving mail
 */
export type Pop3Mechanism = 'XOAUTH2' | 'OAUTHBEARER';

/**
 * Options of a POP3 session (`page.mailbox().connect()`, `Pop3Client.connect`, `connectPop3`).
 * @category Receiving mail
 */
export interface Pop3Options extends TransportOptions {
  /** Longest accepted line in bytes (status or message line). Default 65 536. */
  maxLineLength?: number;
  /** Largest multi-line reply other than a message (CAPA, LIST, UIDL) in bytes. Default 16 MiB. */
  maxResponseSize?: number;
  /** Largest message `RETR` accepts, in bytes, buffered or streamed. Default 64 MiB. */
  maxMessageSize?: number;
  /** Close the connection after this many milliseconds without a command. Default 60 000. */
  idleTimeout?: number;
  /** SASL mechanism. Default: `XOAUTH2` when offered, else `OAUTHBEARER` when offered, else `XOAUTH2`. */
  mechanism?: Pop3Mechanism;
  /**
   * Send the token with the `AUTH` command (initial response, as Gmail accepts) instead of
   * after the server's `+` (two-step, which Exchange Online requires). Default `false`.
   */
  initialResponse?: boolean;
}

const SECRET = '/* secret */';
/** RETR commands sent ahead of their replies when the server announces PIPELINING. */
const PIPELINE_WINDOW = 32;
const MAX_BACKLOG_LINES = 4096;

type Outcome = { ok: true } | { ok: false; response: string; challenge: SaslErrorChallenge | undefined };
type PasswordCredentials = Exclude<MailCredentials, { method: 'oauth2' }>;

/**
 * An authenticated POP3 session, as `page.mailbox().connect()` opens it. Commands issued
 * concurrently run one after another. An interface rather than the class so the public
 * declarations promise no `Pop3Client.connect` value that the main entry does not export
 * (the connection class is loaded only when a mailbox is first used).
 *
 * @example
 * ```ts
 * const pop = await device.page('pop.emailPrint').mailbox().connect();
 * for (const { id } of await pop.uidl()) await pop.retr(id);
 * await pop.quit();
 * ```
 * @category Receiving mail
 */
export interface Pop3Session {
  /** The capabilities the server announced (after STLS, the ones announced over TLS). */
  readonly capabilities: Pop3Capabilities;
  /** Whether the connection is encrypted (implicit TLS or a completed STLS). */
  readonly secure: boolean;
  /** Whether authentication succeeded. */
  readonly authenticated: boolean;
  /**
   * `STAT`: number of messages and total size.
   *
   * @example
   * ```ts
   * const session = await device.page('pop.emailStatus').mailbox().connect({ signal });
   * const { count, size } = await session.stat();
   * await session.quit();
   * ```
   */
  stat(): Promise<Pop3Stat>;
  /**
   * `LIST`: every message number and size.
   *
   * @example
   * ```ts
   * for (const { id, size } of await session.list()) console.log(id, size);
   * ```
   */
  list(): Promise<Pop3ListEntry[]>;
  /**
   * `UIDL`: every message number and its unique id (stable across sessions).
   *
   * @example
   * ```ts
   * const fresh = (await session.uidl()).filter(({ uid }) => !seen.has(uid));
   * ```
   */
  uidl(): Promise<Pop3UidlEntry[]>;
  /**
   * `RETR n`, buffered: the message with dot-unstuffing undone and CRLF line endings.
   * @throws TransportError `ERR_MAIL_LIMIT` beyond `maxMessageSize` (the connection is closed).
   *
   * @example
   * ```ts
   * const raw = await session.retr(1); // RFC 5322 bytes, CRLF
   * ```
   */
  retr(id: number): Promise<Buffer>;
  /**
   * `RETR` for several messages, buffered, in the order given; pipelined when the server
   * announces `PIPELINING`. A failure closes the connection.
   * @throws TransportError `ERR_MAIL_LIMIT` beyond `maxMessageSize`; `ERR_MAIL_PROTOCOL` when a RETR is refused.
   *
   * @example
   * ```ts
   * const messages = await session.retrAll((await session.list()).map(({ id }) => id));
   * ```
   */
  retrAll(ids: readonly number[]): Promise<Buffer[]>;
  /**
   * `RETR n`, streamed with back-pressure; other commands wait until the stream ended, and
   * destroying it early closes the connection.
   *
   * @example
   * ```ts
   * const stream = await session.retrStream(1);
   * await pipeline(stream, createWriteStream('/var/spool/print/job-1.eml'));
   * ```
   */
  retrStream(id: number): Promise<Readable>;
  /**
   * `DELE n`: marks a message for deletion (done at {@link Pop3Session.quit}).
   *
   * @example
   * ```ts
   * await session.dele(1);
   * await session.quit(); // the deletion happens here
   * ```
   */
  dele(id: number): Promise<void>;
  /**
   * `NOOP`: keeps the connection alive and proves it works.
   *
   * @example
   * ```ts
   * await session.noop();
   * ```
   */
  noop(): Promise<void>;
  /**
   * `RSET`: unmarks messages marked for deletion.
   *
   * @example
   * ```ts
   * await session.dele(1);
   * await session.rset(); // message 1 stays on the server
   * ```
   */
  rset(): Promise<void>;
  /**
   * `QUIT`: commits deletions and closes the connection. Never throws.
   *
   * @example
   * ```ts
   * await session.quit();
   * ```
   */
  quit(): Promise<void>;
  /**
   * Closes the connection at once (no QUIT: deletions are not committed).
   *
   * @example
   * ```ts
   * session.close(); // no QUIT: nothing marked with DELE is deleted
   * ```
   */
  close(): void;
}

/**
 * One POP3 connection with a command queue: commands issued concurrently run one after another.
 * Open it with `page.mailbox().connect()` (authenticated), or `Pop3Client.connect` internally.
 *
 * @example
 * ```ts
 * const pop = await Pop3Client.connect({ server: 'outlook.office365.com', port: 995, security: 'tls' });
 * await pop.authenticate(tokenSource);
 * const { count } = await pop.stat();
 * for (const { id, uid } of await pop.uidl()) {
 *   const raw = await pop.retr(id);
 * }
 * await pop.quit();
 * ```
 */
export class Pop3Client implements Pop3Session {
  /** Tokens and SASL payloads sent on this connection, redacted from everything the server says. */
  readonly #secrets = createRedactor();
  readonly #endpoint: Endpoint;
  readonly #options: Pop3Options;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #splitter: LineSplitter;
  #socket: net.Socket;
  #secure: boolean;
  #capabilities: Pop3Capabilities = NO_CAPABILITIES;
  #authenticated = false;
  #lines: Buffer[] = [];
  #failure: MailOAuthError | undefined;
  #wake: (() => void) | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #idleTimer: unknown;
  readonly #onData = (chunk: Buffer): void => this.#receive(chunk);
  readonly #onClose = (): void =>
    this.#fail(new TransportError('ERR_CONNECTION', 'The POP3 server closed the connection', { kind: 'transient' }));
  readonly #onError = (err: unknown): void => this.#fail(toTransportError(err, 'POP3 connection'));

  private constructor(socket: net.Socket, endpoint: Endpoint, options: Pop3Options, clock: Clock) {
    this.#socket = socket;
    this.#endpoint = endpoint;
    this.#options = options;
    this.#clock = clock;
    this.#logger = resolveLogger(options.logger);
    this.#splitter = new LineSplitter(options.maxLineLength ?? 65_536);
    this.#secure = endpoint.security === 'tls';
    this.#attach(socket);
  }

  /**
   * Connects, reads the greeting, asks for capabilities and — with security `starttls` — upgrades
   * with STLS, verifying the certificate. It does not authenticate.
   *
   * @param settings - The page's `server`, `port`, `security` and `timeout`.
   * @param options - Limits, timeouts, CA, logger, clock.
   * @throws TransportError `ERR_DNS`, `ERR_CONNECTION`, `ERR_TLS`, `ERR_MAIL_TIMEOUT`, `ERR_MAIL_PROTOCOL`;
   * `ERR_TLS_REQUIRED` when STLS is unavailable or refused (with security `starttls`, whatever `allowPlaintext` says).
   *
   * @example
   * ```ts
   * const pop = await Pop3Client.connect({ server: '127.0.0.1', port: 1110, security: 'starttls' }, { ca });
   * ```
   */
  static async connect(settings: PageSettings, options: Pop3Options = {}): Promise<Pop3Client> {
    const endpoint = resolveEndpoint(settings, 'pop3', options);
    const clock = options.clock ?? systemClock;
    const socket = await openSocket(endpoint, endpoint.security === 'tls', options.ca, clock);
    const client = new Pop3Client(socket, endpoint, options, clock);
    try {
      await client.#run(async () => {
        const greeting = await client.#readStatus();
        if (greeting.kind !== 'ok') throw client.#unexpected('greeting', greeting);
        await client.#capa();
        if (endpoint.security === 'starttls') await client.#stls();
      });
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  /** The capabilities the server announced (after STLS, the ones announced over TLS). */
  get capabilities(): Pop3Capabilities {
    return this.#capabilities;
  }

  /** Whether the connection is encrypted (implicit TLS or a completed STLS). */
  get secure(): boolean {
    return this.#secure;
  }

  /** Whether {@link Pop3Client.authenticate} succeeded. */
  get authenticated(): boolean {
    return this.#authenticated;
  }

  /**
   * Authenticates with the token source's access token, or with the credentials' password.
   * When the server rejects a token it answers the server's error challenge, forces one refresh
   * and tries once more. A password is sent as the method says: `login` as `USER`/`PASS`
   * (RFC 1939), `plain` as `AUTH PLAIN` (RFC 4616, never downgraded to `USER`/`PASS`).
   *
   * @throws TransportError `ERR_TLS_REQUIRED` on an unencrypted connection unless security is `none`,
   * the host is loopback and `allowPlaintext` is set (tokens and passwords alike); `ERR_AUTH_REJECTED` when the refreshed token is rejected too;
   * `ERR_PASSWORD_REJECTED` when the password is refused; `ERR_INVALID_AUTH_METHOD` for `none`;
   * errors of the token source unchanged.
   * @throws MailOAuthError `ERR_SASL_INVALID_INPUT` when user, token or password contain forbidden characters (nothing is sent).
   *
   * @example
   * ```ts
   * await pop.authenticate({ user, accessToken: () => page.accessToken(), refreshAfterRejection });
   * await pop.authenticate({ method: 'login', user: 'scanner', password: async () => secret });
   * ```
   */
  async authenticate(credentials: TokenSource | MailCredentials): Promise<void> {
    let source: TokenSource;
    if ('method' in credentials) {
      if (credentials.method !== 'oauth2') return this.#authenticateWithPassword(credentials);
      source = credentials.source;
    } else {
      source = credentials;
    }
    await this.#run(async () => {
      this.#requireEncryption('a token');
      const mechanism = this.#mechanism();
      let outcome = await this.#authOnce(mechanism, source.user, await source.accessToken());
      if (!outcome.ok) {
        this.#logger.info('pop3: token rejected, refreshing once', { status: outcome.challenge?.status });
        const fresh = await source.refreshAfterRejection();
        outcome = await this.#authOnce(mechanism, source.user, fresh);
      }
      if (!outcome.ok) {
        throw new TransportError('ERR_AUTH_REJECTED', 'The POP3 server rejected the access token', {
          kind: 'configuration',
          response: outcome.response,
          hint:
            outcome.challenge?.scope === undefined
              ? 'Check the account and the mailbox permissions'
              : `Expected scope: ${outcome.challenge.scope}`,
        });
      }
      this.#authenticated = true;
    });
  }

  #authenticateWithPassword(credentials: PasswordCredentials): Promise<void> {
    return this.#run(async () => {
      if (credentials.method === 'none') {
        throw new SettingsError('ERR_INVALID_AUTH_METHOD', 'A POP3 mailbox cannot be read without authentication', {});
      }
      this.#requireEncryption('a password');
      const password = await credentials.password();
      const outcome =
        credentials.method === 'login' ? await this.#userPass(credentials.user, password) : await this.#plain(credentials.user, password);
      if (!outcome.ok) {
        throw new TransportError('ERR_PASSWORD_REJECTED', 'The POP3 server rejected the user name or password', {
          kind: 'configuration',
          response: outcome.response,
          hint: 'Check the account name and the password',
        });
      }
      this.#authenticated = true;
    });
  }

  /**
   * `STAT`: number of messages and total size.
   * @example
   * ```ts
   * const { count, size } = await pop.stat();
   * ```
   */
  stat(): Promise<Pop3Stat> {
    return this.#run(async () => parsePop3Stat((await this.#simple('STAT')).text));
  }

  /**
   * `LIST`: every message number and size.
   * @example
   * ```ts
   * for (const { id, size } of await pop.list()) console.log(id, size);
   * ```
   */
  list(): Promise<Pop3ListEntry[]> {
    return this.#run(async () => {
      await this.#simple('LIST');
      return (await this.#collectLines('LIST')).map((line) => parsePop3ListLine(line));
    });
  }

  /**
   * `UIDL`: every message number and its unique id (stable across sessions).
   * @example
   * ```ts
   * const seen = new Set(await loadSeen());
   * const fresh = (await pop.uidl()).filter(({ uid }) => !seen.has(uid));
   * ```
   */
  uidl(): Promise<Pop3UidlEntry[]> {
    return this.#run(async () => {
      await this.#simple('UIDL');
      return (await this.#collectLines('UIDL')).map((line) => parsePop3UidlLine(line));
    });
  }

  /**
   * `RETR n`, buffered: the message with dot-unstuffing undone and CRLF line endings.
   * @throws TransportError `ERR_MAIL_LIMIT` beyond `maxMessageSize` (the connection is closed).
   * @example
   * ```ts
   * const raw: Buffer = await pop.retr(1);
   * ```
   */
  async retr(id: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.retrStream(id)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * `RETR` for several messages, buffered, in the order given. When the server announces
   * `PIPELINING` (RFC 2449) up to 32 commands travel ahead of their replies, so a mailbox of small
   * messages costs a round trip per batch rather than per message. A failure closes the
   * connection (replies to commands already sent would otherwise be misread).
   * @throws TransportError `ERR_MAIL_LIMIT` beyond `maxMessageSize`; `ERR_MAIL_PROTOCOL` when a RETR is refused.
   * @example
   * ```ts
   * const ids = (await pop.uidl()).map(({ id }) => id);
   * const messages: Buffer[] = await pop.retrAll(ids);
   * ```
   */
  retrAll(ids: readonly number[]): Promise<Buffer[]> {
    ids.forEach(assertMessageId);
    return this.#run(async () => {
      const ahead = this.#capabilities.all.has('PIPELINING') ? PIPELINE_WINDOW : 1;
      const limit = this.#options.maxMessageSize ?? 64 * 1024 * 1024;
      const messages: Buffer[] = [];
      let sent = 0;
      try {
        for (const id of ids) {
          if (sent < ids.length && sent < messages.length + ahead) {
            // One TLS record for the whole batch, not one per command.
            this.#socket.cork();
            while (sent < ids.length && sent < messages.length + ahead) this.#write(`RETR ${ids[sent++] as number}`);
            process.nextTick(() => this.#socket.uncork());
          }
          const status = await this.#readStatus();
          if (status.kind !== 'ok') throw this.#unexpected(`RETR ${id}`, status);
          const chunks: Buffer[] = [];
          let size = 0;
          await this.#readMultiline((batch) => {
            size += batch.length;
            if (size > limit) throw this.#limit(`The message is larger than ${limit} bytes`);
            chunks.push(batch);
          });
          messages.push(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
        }
      } catch (err) {
        if (sent > messages.length + 1) this.#fail(toTransportError(err, 'POP3 RETR'));
        throw err;
      }
      return messages;
    });
  }

  /**
   * `RETR n`, streamed: resolves when the server accepted the command; the stream yields the
   * message (unstuffed, CRLF line endings) with back-pressure on the socket, so a large message
   * never has to fit in memory. Other commands wait until the stream ended. Destroying the
   * stream early closes the connection.
   *
   * @example
   * ```ts
   * await pipeline(await pop.retrStream(1), createWriteStream('/tmp/scan.eml'));
   * ```
   */
  retrStream(id: number): Promise<Readable> {
    assertMessageId(id);
    return new Promise<Readable>((resolveStream, rejectStream) => {
      let started = false;
      this.#run(async () => {
        try {
          await this.#simple(`RETR ${id}`);
          let wantMore: (() => void) | undefined;
          let destroyed = false;
          const stream = new Readable({
            read() {
              const resume = wantMore;
              wantMore = undefined;
              resume?.();
            },
            destroy: (err, callback) => {
              destroyed = true;
              wantMore?.();
              callback(err);
            },
          });
          started = true;
          resolveStream(stream);
          const limit = this.#options.maxMessageSize ?? 64 * 1024 * 1024;
          let size = 0;
          try {
            await this.#readMultiline(async (batch) => {
              size += batch.length;
              if (size > limit) throw this.#limit(`The message is larger than ${limit} bytes`);
              if (destroyed) {
                const closed = new TransportError('ERR_CONNECTION', 'The message stream was closed early', { kind: 'usage' });
                this.#fail(closed);
                throw closed;
              }
              if (!stream.push(batch)) await new Promise<void>((resolve) => (wantMore = resolve));
            });
            stream.push(null);
          } catch (err) {
            stream.destroy(err as Error);
            throw err;
          }
        } catch (err) {
          if (!started) throw err;
          this.#logger.debug('pop3: RETR failed', { code: (err as MailOAuthError).code });
        }
      }).catch((err: unknown) => {
        // Already coded in practice; anything else still reaches the caller with a stable code.
        if (!started) rejectStream(toTransportError(err, 'POP3 RETR'));
      });
    });
  }

  /**
   * `DELE n`: marks a message for deletion (done at {@link Pop3Client.quit}).
   * @example
   * ```ts
   * await pop.dele(1);
   * ```
   */
  async dele(id: number): Promise<void> {
    assertMessageId(id);
    await this.#run(() => this.#simple(`DELE ${id}`));
  }

  /**
   * `NOOP`: keeps the connection alive and proves it works.
   * @example
   * ```ts
   * await pop.noop();
   * ```
   */
  async noop(): Promise<void> {
    await this.#run(() => this.#simple('NOOP'));
  }

  /**
   * `RSET`: unmarks messages marked for deletion.
   * @example
   * ```ts
   * await pop.rset();
   * ```
   */
  async rset(): Promise<void> {
    await this.#run(() => this.#simple('RSET'));
  }

  /**
   * `QUIT`: commits deletions and closes the connection. Never throws: a failing QUIT just closes.
   * @example
   * ```ts
   * await pop.quit();
   * ```
   */
  async quit(): Promise<void> {
    try {
      await this.#run(() => this.#simple('QUIT'));
    } catch {
      // the connection is closed below either way
    }
    this.close();
  }

  /**
   * Closes the connection at once (no QUIT: deletions are not committed).
   * @example
   * ```ts
   * pop.close();
   * ```
   */
  close(): void {
    this.#clock.clearTimeout(this.#idleTimer);
    if (this.#failure === undefined) {
      this.#failure = new TransportError('ERR_CONNECTION', 'The POP3 connection is closed', { kind: 'usage' });
    }
    this.#detach(this.#socket);
    this.#socket.destroy();
    this.#wake?.();
  }

  // ── queue ────────────────────────────────────────────────────────────────

  #run<T>(task: () => Promise<T>): Promise<T> {
    this.#pending++;
    this.#clock.clearTimeout(this.#idleTimer);
    const result = this.#tail.then(async () => {
      if (this.#failure !== undefined) throw this.#failure;
      return task();
    });
    this.#tail = result.then(
      () => this.#settled(),
      () => this.#settled(),
    );
    return result;
  }

  #settled(): void {
    this.#pending--;
    if (this.#pending > 0 || this.#failure !== undefined) return;
    const idle = this.#options.idleTimeout ?? 60_000;
    this.#idleTimer = this.#clock.setTimeout(() => {
      this.#logger.debug('pop3: idle timeout, closing');
      this.#fail(timeoutError('The idle POP3 connection', idle));
    }, idle);
  }

  // ── socket and reading ───────────────────────────────────────────────────

  #attach(socket: net.Socket): void {
    socket.on('data', this.#onData);
    socket.on('close', this.#onClose);
    socket.on('error', this.#onError);
  }

  #detach(socket: net.Socket): void {
    socket.removeListener('data', this.#onData);
    socket.removeListener('close', this.#onClose);
    socket.removeListener('error', this.#onError);
    socket.on('error', () => {});
  }

  #receive(chunk: Buffer): void {
    let lines: Buffer[];
    try {
      lines = this.#splitter.push(chunk);
    } catch (err) {
      this.#fail(err as MailOAuthError);
      return;
    }
    for (const line of lines) this.#lines.push(line);
    if (this.#lines.length > MAX_BACKLOG_LINES) this.#socket.pause();
    if (lines.length > 0) this.#wake?.();
  }

  #fail(err: MailOAuthError): void {
    if (this.#failure !== undefined) return;
    this.#failure = err;
    this.#clock.clearTimeout(this.#idleTimer);
    this.#detach(this.#socket);
    this.#socket.destroy();
    this.#lines = [];
    this.#wake?.();
  }

  /** Waits (at most one reply timeout) for at least one line; returns every line received. */
  async #take(): Promise<Buffer[]> {
    if (this.#lines.length === 0 && this.#failure === undefined) {
      const ms = this.#endpoint.timeout;
      await new Promise<void>((resolve) => {
        const timer = this.#clock.setTimeout(() => {
          this.#fail(timeoutError('Waiting for the POP3 server', ms));
        }, ms);
        this.#wake = () => {
          this.#clock.clearTimeout(timer);
          this.#wake = undefined;
          resolve();
        };
      });
    }
    if (this.#lines.length === 0 && this.#failure !== undefined) throw this.#failure;
    const lines = this.#lines;
    this.#lines = [];
    if (this.#socket.isPaused()) this.#socket.resume();
    return lines;
  }

  async #readLine(): Promise<Buffer> {
    if (this.#lines.length === 0) this.#lines = await this.#take();
    const line = this.#lines.shift();
    if (line === undefined) throw this.#failure ?? timeoutError('Waiting for the POP3 server', this.#endpoint.timeout);
    return line;
  }

  async #readStatus(): Promise<Pop3Status> {
    // Redacted before anything reads it: a server that echoes the AUTH line must not carry the
    // token into a transcript, a log or an error's response.
    const line = this.#secrets.redact((await this.#readLine()).toString('utf8'));
    this.#transcript('server', line);
    return parsePop3Status(line);
  }

  /** Reads a multi-line body until the `.` line; hands unstuffed CRLF-terminated batches to `sink`. */
  async #readMultiline(sink: (batch: Buffer) => void | Promise<void>): Promise<void> {
    const crlf = Buffer.from('\r\n');
    for (;;) {
      const lines = await this.#take();
      const parts: Buffer[] = [];
      let done = false;
      let index = 0;
      for (; index < lines.length; index++) {
        const content = unstuffLine(lines[index] as Buffer);
        if (content === null) {
          done = true;
          index++;
          break;
        }
        parts.push(content, crlf);
      }
      if (done && index < lines.length) this.#lines = lines.slice(index).concat(this.#lines);
      if (parts.length > 0) await sink(Buffer.concat(parts));
      if (done) return;
    }
  }

  async #collectLines(what: string): Promise<string[]> {
    const limit = this.#options.maxResponseSize ?? 16 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    await this.#readMultiline((batch) => {
      size += batch.length;
      if (size > limit) throw this.#limit(`The ${what} reply is larger than ${limit} bytes`);
      chunks.push(batch);
    });
    const text = Buffer.concat(chunks).toString('utf8');
    return text.length === 0 ? [] : text.slice(0, -2).split('\r\n');
  }

  #limit(message: string): TransportError {
    const err = new TransportError('ERR_MAIL_LIMIT', message, { kind: 'protocol' });
    this.#fail(err);
    return err;
  }

  // ── commands ─────────────────────────────────────────────────────────────

  #write(line: string, shown: string = line): void {
    if (this.#failure !== undefined) throw this.#failure;
    this.#transcript('client', shown);
    this.#socket.write(`${line}\r\n`);
  }

  #transcript(direction: 'client' | 'server', line: string): void {
    this.#options.onTranscript?.({ direction, line });
    this.#logger.debug(`pop3 ${direction === 'client' ? 'C' : 'S'}: ${line}`);
  }

  async #command(line: string, shown: string = line): Promise<Pop3Status> {
    this.#write(line, shown);
    return this.#readStatus();
  }

  /** A command that must answer `+OK`. */
  async #simple(line: string): Promise<Pop3Ok> {
    const status = await this.#command(line);
    if (status.kind !== 'ok') throw this.#unexpected(line.split(' ')[0] ?? line, status);
    return status;
  }

  #unexpected(what: string, status: Pop3Status): TransportError {
    const text = status.kind === 'continue' ? `+ ${status.text}` : `${status.kind === 'ok' ? '+OK' : '-ERR'} ${status.text}`;
    return new TransportError('ERR_MAIL_PROTOCOL', `The POP3 server refused ${what}`, {
      kind: status.kind === 'err' && status.code?.startsWith('SYS/TEMP') === true ? 'transient' : 'protocol',
      response: text.slice(0, 200),
    });
  }

  async #capa(): Promise<void> {
    const status = await this.#command('CAPA');
    if (status.kind !== 'ok') {
      this.#capabilities = NO_CAPABILITIES;
      return;
    }
    this.#capabilities = parsePop3Capabilities(await this.#collectLines('CAPA'));
  }

  // Required TLS stays required (RFC 2595 §2.2, RFC 8314): allowPlaintext never skips STLS.
  async #stls(): Promise<void> {
    if (!this.#capabilities.stls) {
      throw new TransportError('ERR_TLS_REQUIRED', 'The POP3 server does not offer STLS; refusing to authenticate without TLS', {
        kind: 'configuration',
      });
    }
    const status = await this.#command('STLS');
    if (status.kind !== 'ok') {
      throw new TransportError('ERR_TLS_REQUIRED', 'The POP3 server refused STLS; refusing to authenticate without TLS', {
        kind: 'configuration',
        response: status.text.slice(0, 200),
      });
    }
    // Anything the server sent after "+OK" and before the handshake would be injected plaintext.
    if (this.#lines.length > 0 || this.#splitter.pending > 0) {
      throw new TransportError('ERR_TLS', 'The POP3 server sent data before the TLS handshake', { kind: 'protocol' });
    }
    const plain = this.#socket;
    this.#detach(plain);
    try {
      this.#socket = await upgradeSocket(plain, this.#endpoint, this.#options.ca, this.#clock);
    } catch (err) {
      this.#failure = err as MailOAuthError;
      throw err;
    }
    this.#attach(this.#socket);
    this.#secure = true;
    await this.#capa();
  }

  /** One rule for every secret: never in clear, except security `none` to a loopback host with `allowPlaintext`. */
  #requireEncryption(what: string): void {
    if (!this.#secure && !plaintextAllowed(this.#endpoint, this.#options))
      throw plaintextRefused(this.#endpoint, this.#options, 'POP3', what);
  }

  /** RFC 1939 `USER`/`PASS`. */
  async #userPass(user: string, password: string): Promise<Outcome> {
    assertSaslInput('user', user);
    assertPassword(password);
    this.#secrets.push(password);
    const named = await this.#command(`USER ${user}`);
    if (named.kind !== 'ok') return this.#refused('USER', named);
    return this.#refused('PASS', await this.#command(`PASS ${password}`, `PASS ${SECRET}`));
  }

  /** RFC 5034 `AUTH PLAIN`, two-step unless `initialResponse`. */
  async #plain(user: string, password: string): Promise<Outcome> {
    const payload = buildPlain(user, password);
    this.#secrets.push(password, payload);
    let status: Pop3Status;
    if (this.#options.initialResponse === true) {
      status = await this.#command(`AUTH PLAIN ${payload}`, `AUTH PLAIN ${SECRET}`);
    } else {
      const ready = await this.#command('AUTH PLAIN');
      if (ready.kind === 'ok') throw this.#unexpected('AUTH PLAIN', ready);
      if (ready.kind === 'err') return this.#refused('AUTH PLAIN', ready);
      status = await this.#command(payload, SECRET);
    }
    // PLAIN has no second round: a challenge here is cancelled (RFC 5034 "*") and counts as refused.
    if (status.kind === 'continue') status = await this.#command('*');
    return this.#refused('AUTH PLAIN', status);
  }

  /** `+OK` is success; `-ERR` a refusal, unless the server says the failure is its own (SYS, IN-USE). */
  #refused(what: string, status: Pop3Status): Outcome {
    if (status.kind === 'ok') return { ok: true };
    if (status.kind === 'continue' || (status.code !== undefined && (status.code.startsWith('SYS') || status.code === 'IN-USE'))) {
      throw this.#unexpected(what, status);
    }
    return { ok: false, response: `-ERR ${status.text}`.slice(0, 200), challenge: undefined };
  }

  #mechanism(): Pop3Mechanism {
    if (this.#options.mechanism !== undefined) return this.#options.mechanism;
    const offered = this.#capabilities.sasl;
    if (offered.includes('XOAUTH2')) return 'XOAUTH2';
    if (offered.includes('OAUTHBEARER')) return 'OAUTHBEARER';
    return 'XOAUTH2';
  }

  async #authOnce(mechanism: Pop3Mechanism, user: string, token: string): Promise<Outcome> {
    // Built (and validated) before anything is sent.
    const payload =
      mechanism === 'XOAUTH2'
        ? buildXOAuth2(user, token)
        : buildOAuthBearer(user, token, { host: this.#endpoint.host, port: this.#endpoint.port });
    this.#secrets.push(token, payload);
    let status: Pop3Status;
    if (this.#options.initialResponse === true) {
      status = await this.#command(`AUTH ${mechanism} ${payload}`, `AUTH ${mechanism} ${SECRET}`);
    } else {
      const ready = await this.#command(`AUTH ${mechanism}`);
      if (ready.kind === 'err') return { ok: false, response: `-ERR ${ready.text}`.slice(0, 200), challenge: undefined };
      if (ready.kind === 'ok') throw this.#unexpected(`AUTH ${mechanism}`, ready);
      status = await this.#command(payload, SECRET);
    }
    if (status.kind === 'ok') return { ok: true };
    let challenge: SaslErrorChallenge | undefined;
    if (status.kind === 'continue') {
      challenge = parseSaslErrorChallenge(status.text);
      status = await this.#command(mechanism === 'XOAUTH2' ? '' : OAUTHBEARER_FAILURE_RESPONSE);
      if (status.kind === 'ok') return { ok: true };
      if (status.kind === 'continue') throw this.#unexpected(`AUTH ${mechanism}`, status);
    }
    if (status.code !== undefined && (status.code.startsWith('SYS') || status.code === 'IN-USE')) {
      throw this.#unexpected(`AUTH ${mechanism}`, status);
    }
    return { ok: false, response: `-ERR ${status.text}`.slice(0, 200), challenge };
  }
}

function assertMessageId(id: number): void {
  if (!Number.isInteger(id) || id < 1) {
    throw new SettingsError('ERR_INVALID_OPTION', 'A POP3 message number is an integer ≥ 1', { kind: 'usage' });
  }
}

/**
 * Connects to the POP3 server of a page's settings and authenticates with the token source or
 * the page's credentials.
 *
 * @param settings - The page's `server`, `port`, `security`, `timeout`.
 * @param source - The page's token source, or its credentials (token or password).
 * @param options - CA, plaintext permission, limits, timeouts, logger, clock.
 * @throws TransportError with `ERR_CONNECTION`, `ERR_DNS`, `ERR_TLS`, `ERR_TLS_REQUIRED`,
 * `ERR_AUTH_REJECTED`, `ERR_PASSWORD_REJECTED`, `ERR_MAIL_PROTOCOL`, `ERR_MAIL_TIMEOUT` or `ERR_MAIL_LIMIT`.
 *
 * @example
 * ```ts
 * const pop = await connectPop3({ server: 'outlook.office365.com', port: 995, security: 'tls' }, source);
 * console.log(await pop.stat());
 * await pop.quit();
 * ```
 */
export async function connectPop3(
  settings: PageSettings,
  source: TokenSource | MailCredentials,
  options: Pop3Options = {},
): Promise<Pop3Client> {
  // Before connecting: a refused host is never looked up nor contacted.
  assertPlaintextAllowed(resolveEndpoint(settings, 'pop3', options), options, 'POP3');
  const client = await Pop3Client.connect(settings, options);
  try {
    await client.authenticate(source);
  } catch (err) {
    await client.quit();
    throw err;
  }
  return client;
}
