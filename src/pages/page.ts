import type { Scope } from '../machine/scope.js';
import type { TokenStatus } from '../status.js';
import type { Messages } from '../messages/localize.js';
import type { AuthorizationPrompt, Flow } from '../oauth/types.js';
import type { PageDefinition } from '../registry/topology.js';
import { validatePassword, validateSettings } from '../settings/validate.js';
import type { PageSettings, PageSettingsInput, Protocol } from '../settings/types.js';
import type { PasswordVault } from '../store/password.js';
import type { SmtpPoolOptions } from '../transports/smtp.js';
import { pageCredentials } from '../transports/page-source.js';
import type { TransportOptions } from '../transports/options.js';
import type { TokenStateError } from '../errors.js';
import { toMailOAuthError, UsageError, type ErrorCode } from '../errors.js';
import type { EventFact } from '../events.js';
import { raceAbort, throwIfAborted, type SignalOptions } from './abort.js';

export type { SignalOptions } from './abort.js';

/**
 * Options of {@link BasePage.getToken}.
 * @category Pages and tokens
 */
export interface GetTokenOptions extends SignalOptions {
  /**
   * `device-code` (show a code to enter elsewhere) or `authorization-code` (redirect); for
   * app-only access without a user, `client-credentials` (Microsoft) or `jwt-bearer` (Google
   * service account), which need no sign-in and resolve with `{ kind: 'none' }`.
   * Default: the provider's preferred flow.
   */
  flow?: Flow;
  /**
   * For `authorization-code`: the redirect URI registered for the device (its web UI callback route, or a loopback URL).
   * Absolute, no fragment, `https:` or `http:` to a loopback host; else `ERR_INVALID_REDIRECT_URI`.
   */
  redirectUri?: string;
}

/**
 * Non-secret facts about a page's token, for display.
 * @category Pages and tokens
 */
export interface TokenInfo {
  /** The status the page shows. */
  status: TokenStatus;
  /** The status in the device's language. */
  statusText: string;
  /** The account the provider issued the token to, when known. */
  account?: string;
  /** The authorization in progress, when waiting. */
  prompt?: AuthorizationPrompt;
  /**
   * Why the token is Invalid (`ERR_TOKEN_REFRESH_FAILED`, the manual's "Token update failed", or
   * `ERR_TOKEN_INVALID` / `ERR_NO_REFRESH_TOKEN`) or why the last operation failed: a stable code.
   */
  errorCode?: ErrorCode;
  /** For an Invalid token: the provider's reason (`ERR_OAUTH` for `invalid_grant`, say), beside the manual's `errorCode`. */
  reasonCode?: ErrorCode;
  /** An administrator hint for the error (an AADSTS explanation, a copied token file), when one is known. */
  hint?: string;
  /** When the token was obtained by signing in (ms since the epoch). */
  acquiredAt?: number;
  /** When the access token expires (ms since the epoch). */
  expiresAt?: number;
  /** When the token was last renewed (ms since the epoch); absent until the first renewal. */
  renewedAt?: number;
  /** When the device will renew the token on its own (before expiry, or the idle keep-alive), while Acquired (ms since the epoch). */
  nextRenewalAt?: number;
  /** The OAuth scopes the provider granted, when its token response listed them. */
  scopes?: string[];
}

/**
 * Options of {@link BasePage.testConnection}.
 * @category Pages and tokens
 */
export interface TestConnectionOptions extends SignalOptions {
  /** The language of the report's message. Default: the device's language. */
  locale?: string;
}

/**
 * The result of {@link BasePage.testConnection}.
 * @category Pages and tokens
 */
export interface ConnectionTestReport {
  /** `true` when connecting, TLS, authentication and one real command all succeeded. */
  ok: boolean;
  /** `OK` or the stable code of the failing step (`ERR_TOKEN_REFRESH_FAILED`, `ERR_AUTH_REJECTED`, `ERR_TLS`, …). */
  code: 'OK' | ErrorCode;
  /** The device-facing message in the device's language (the manual's wording where it has one). */
  message: string;
  /** An administrator hint (which setting or tenant policy to change), when one is known. Never a token. */
  hint?: string;
}

/** @internal */
export interface PageContext {
  providers: ReadonlySet<string>;
  locale: () => string;
  /** The device's own lookup, so that languages added with `locales` reach statuses and test results. */
  localize: Messages['localize'];
  transportOptions: () => TransportOptions;
  passwords: PasswordVault;
  /** Whether the device has been closed: mail operations refuse to start after that. */
  closed: () => boolean;
  smtpPool: SmtpPoolOptions;
  /** Publishes a page's fact (mail sent, connection tested) as a device event. */
  emit: (pageId: string, fact: EventFact) => void;
  /** The device's clock (ms since the epoch), for durations. */
  now: () => number;
}

/**
 * What every settings page can do, whatever its protocol: settings, token, connection test.
 * Linked pages are views of one token scope: a change made through any of them is seen on all
 * of them. {@link SmtpPage}, {@link Pop3Page} and {@link ImapPage} add their protocol's mail operations.
 *
 * @example
 * ```ts
 * const page = device.page('smtp.services');
 * await page.configure({ authMethod: 'oauth2', provider: 'microsoft365', account: 'scanner@contoso.com' });
 * const prompt = await page.getToken({ flow: 'device-code', signal });
 * if (prompt.kind === 'device-code') show(prompt.userCode, prompt.verificationUri);
 * page.subscribe((info) => render(info.statusText, info.prompt));
 * ```
 * @category Pages and tokens
 */
export abstract class BasePage {
  /** The page id. */
  readonly id: string;
  /** The protocol the page configures; narrows a {@link Page} to its class. */
  abstract readonly protocol: Protocol;
  /** A human label for the page. */
  readonly label: string | undefined;
  readonly #scope: Scope;
  /** @internal */
  protected readonly context: PageContext;

  /** @internal */
  constructor(definition: PageDefinition, scope: Scope, context: PageContext) {
    this.id = definition.id;
    this.label = definition.label;
    this.#scope = scope;
    this.context = context;
  }

  /** The id of the token scope this page shows (shared by linked pages). */
  get scopeId(): string {
    return this.#scope.id;
  }

  /** The token status: `not-acquired`, `waiting-for-authorization`, `acquired` or `invalid`. */
  get status(): TokenStatus {
    return this.#scope.status;
  }

  /** A copy of the page's settings (shared with linked pages). Never contains the password. */
  get settings(): PageSettings {
    return this.#scope.settings;
  }

  /** Whether a password is stored for this page (and its linked pages), for the settings form to show. */
  get passwordSet(): boolean {
    return this.context.passwords.has(this.#scope.id);
  }

  /**
   * The stored password, for the transports only. Never log it.
   * @internal
   */
  storedPassword(): string | undefined {
    return this.context.passwords.get(this.#scope.id);
  }

  /**
   * Display facts about the token, in the device's language (or `locale`). Never contains a token.
   *
   * @example
   * ```ts
   * const { status, statusText, account, errorCode } = device.page('smtp.services').tokenInfo('de');
   * // 'acquired', 'Abgerufen', 'scanner@contoso.com', undefined
   * ```
   */
  tokenInfo(locale: string = this.context.locale()): TokenInfo {
    const status = this.#scope.status;
    const info: TokenInfo = { status, statusText: this.context.localize(status, locale) };
    const account = this.#scope.tokenAccount;
    if (account !== undefined) info.account = account;
    const prompt = this.#scope.prompt;
    if (prompt !== undefined && status === 'waiting-for-authorization') info.prompt = prompt;
    return Object.assign(info, this.#scope.facts);
  }

  /**
   * Calls `listener` with the page's {@link TokenInfo} (in the device's language) whenever what
   * the page shows changes (status, prompt or error), on this page or any page linked to it.
   * Never carries a token.
   * @returns a function that stops the notifications.
   *
   * @example
   * ```ts
   * const stop = device.page('smtp.services').subscribe((info) => render(info.statusText)); // also fires for smtp.quick
   * stop();
   * ```
   */
  subscribe(listener: (info: TokenInfo) => void): () => void {
    return this.#scope.watchShown(() => listener(this.tokenInfo()));
  }

  /**
   * Calls `listener` when the token status changes (a connection pool that must reconnect).
   * @internal
   */
  protected onStatusChange(listener: () => void): () => void {
    return this.#scope.subscribe(() => listener());
  }

  /**
   * Changes some settings. Fields left out keep their value. Invalid input throws a
   * {@link SettingsError} with a stable code and leaves the settings unchanged. Changing the
   * provider or the account while a token is held throws `ERR_SETTINGS_LOCKED_BY_TOKEN`.
   * Resolves once the settings are stored.
   *
   * `password` is write-only and kept in the token store, not in the settings: `''` or `null`
   * removes it, and so does choosing `oauth2` or `none` (a password given together with those
   * is dropped). When the store cannot be written, nothing changes: neither settings nor password.
   *
   * @example
   * ```ts
   * await page.configure({ server: 'mail.example.com', port: 587, security: 'starttls',
   *                        authMethod: 'login', account: 'scanner', password: secretFromForm });
   * page.passwordSet; // true
   * ```
   */
  async configure(settings: PageSettingsInput): Promise<void> {
    let fields = settings as Readonly<Record<string, unknown>>;
    let password: string | null | undefined;
    if (typeof settings === 'object' && settings !== null && 'password' in settings) {
      const { password: given, ...rest } = settings;
      fields = rest;
      if (given !== undefined) password = validatePassword(given);
    }
    const patch = validateSettings(this.protocol, fields, this.context.providers);
    const next = { ...this.#scope.settings, ...patch };
    if (next.authMethod !== 'plain' && next.authMethod !== 'login') password = null;
    await this.context.passwords.update(this.#scope.id, password, () => this.#scope.configure(next));
  }

  /**
   * Starts obtaining a token (the manual's **Get Token**). Resolves with what the administrator
   * must do: enter a code at an address, or open a sign-in URL. The status becomes
   * Waiting for Authorization, then Acquired once the provider has issued the token.
   *
   * While a sign-in is starting or waiting, another call with the same flow (and redirect URI)
   * resolves with the same prompt: there is one sign-in per page. A call with another flow
   * replaces it: callers still waiting on the replaced sign-in (this method, or
   * {@link BasePage.waitForAuthorization}) reject with `ERR_AUTHORIZATION_CANCELLED`. To get a fresh
   * code for the same flow, call {@link BasePage.cancelAuthorization} first.
   *
   * When the tokens cannot be stored, the sign-in fails with `ERR_STORE_WRITE` and the status
   * stays Not Acquired (the page's `tokenInfo().errorCode` says so): fix the store, then Get Token again.
   *
   * Aborting `signal` rejects this call with `ERR_ABORTED`; a sign-in no other caller is waiting
   * for is then cancelled.
   *
   * @example
   * ```ts
   * const prompt = await page.getToken({ flow: 'device-code', signal: AbortSignal.timeout(15 * 60_000) });
   * if (prompt.kind === 'device-code') show(prompt.verificationUri, prompt.userCode);
   * // Google, or a tenant that blocks device code:
   * // await page.getToken({ flow: 'authorization-code', redirectUri: 'https://printer.local/oauth/callback' })
   * ```
   */
  async getToken(options: GetTokenOptions = {}): Promise<AuthorizationPrompt> {
    const request: { flow?: Flow; redirectUri?: string } = {};
    if (options.flow !== undefined) request.flow = options.flow;
    if (options.redirectUri !== undefined) request.redirectUri = options.redirectUri;
    return this.#scope.getToken(request, options.signal);
  }

  /**
   * Completes an `authorization-code` sign-in with the URL the provider redirected the browser
   * to (from the device's web UI route, a loopback listener, or pasted by the administrator).
   * A redirect that does not belong to the pending sign-in is refused (`ERR_STATE_MISMATCH`)
   * and the sign-in keeps waiting. When the page is not known in advance, use the device's
   * `completeAuthorization`, which finds the page by the redirect's `state`.
   *
   * @example
   * ```ts
   * const listener = await startLoopbackListener();
   * const prompt = await page.getToken({ flow: 'authorization-code', redirectUri: listener.redirectUri });
   * await page.completeAuthorization(await listener.callback);
   * ```
   */
  async completeAuthorization(callbackUrl: string, options: SignalOptions = {}): Promise<void> {
    return this.#scope.completeAuthorization(callbackUrl, options.signal);
  }

  /**
   * The `state` of this page's pending authorization-code sign-in, read from its sign-in URL.
   * @internal
   */
  pendingState(): string | undefined {
    const prompt = this.#scope.status === 'waiting-for-authorization' ? this.#scope.prompt : undefined;
    if (prompt?.kind !== 'redirect') return undefined;
    try {
      return new URL(prompt.url).searchParams.get('state') ?? undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Resolves once a pending sign-in ends with a token; rejects with the reason if it ends
   * otherwise (`ERR_AUTHORIZATION_CANCELLED` when it is cancelled or replaced). While it waits,
   * the Node.js process stays alive, so a plain script can simply await it. Aborting `signal`
   * stops the wait (`ERR_ABORTED`), not the sign-in.
   *
   * @example
   * ```ts
   * await page.getToken({ flow: 'device-code' });
   * await page.waitForAuthorization({ signal: AbortSignal.timeout(15 * 60_000) }); // Waiting for Authorization → Acquired
   * ```
   */
  async waitForAuthorization(options: SignalOptions = {}): Promise<void> {
    return this.#scope.authorizationSettled(options.signal);
  }

  /**
   * Abandons a sign-in in progress; the status returns to Not Acquired.
   *
   * @example
   * ```ts
   * cancelButton.onclick = () => page.cancelAuthorization(); // waitForAuthorization rejects with ERR_AUTHORIZATION_CANCELLED
   * ```
   */
  cancelAuthorization(): void {
    this.#scope.cancel();
  }

  /**
   * Deletes the token (the manual's **Delete**) on this page and its linked pages, revoking it at
   * the provider where possible. Aborting `signal` stops the wait (`ERR_ABORTED`); the deletion goes on.
   *
   * @example
   * ```ts
   * await device.page('smtp.quick').deleteToken(); // Not Acquired on smtp.services and smtp.initialQuick too
   * ```
   */
  async deleteToken(options: SignalOptions = {}): Promise<void> {
    return this.#scope.deleteToken(options.signal);
  }

  /**
   * The current access token, renewed first when it is due. Never log it.
   *
   * @example
   * ```ts
   * const token = await device.page('imap.inbox').accessToken({ signal }); // for a protocol client of your own
   * ```
   */
  async accessToken(options: SignalOptions = {}): Promise<string> {
    return this.#scope.accessToken(undefined, options.signal);
  }

  /**
   * The manual's connection test: connect to the page's server, secure the connection,
   * authenticate with the token (renewing it first when due) or the password (`plain`, `login`;
   * a refused password is `ERR_PASSWORD_REJECTED`), or not at all (SMTP `none`), run one real command (SMTP `NOOP`,
   * POP3 `STAT`, IMAP `SELECT INBOX`) and quit. Never throws: the outcome is a stable code and a
   * message in the device's language (or `options.locale`). When renewing the token failed, the
   * message is the manual's "Token update failed. Please delete the token and obtain it again."
   * Aborting `options.signal` ends the test at once with the code `ERR_ABORTED`.
   *
   * @example
   * ```ts
   * const result = await device.page('pop.emailStatus').testConnection({ signal: AbortSignal.timeout(20_000) });
   * if (!result.ok) showDialog(result.message);
   * ```
   */
  async testConnection(options: TestConnectionOptions = {}): Promise<ConnectionTestReport> {
    const locale = options.locale ?? this.context.locale();
    let code: 'OK' | ErrorCode;
    let hint: string | undefined;
    let params: Readonly<Record<string, string>> = {};
    try {
      throwIfAborted(options.signal);
      if (this.context.closed()) throw deviceClosed();
      ({ code, hint, params } = await raceAbort(this.#runTest(options.signal), options.signal));
    } catch (err) {
      const error = toMailOAuthError(err);
      code = error.code;
      hint = error.hint;
      params = error.params;
    }
    // The mail server cannot tell who signed in; name the accounts the device knows.
    const names = { expected: this.settings.account ?? '', actual: this.#scope.tokenAccount ?? '?', ...params };
    const report: ConnectionTestReport = { ok: code === 'OK', code, message: this.context.localize(code, locale, names) };
    if (hint !== undefined) report.hint = hint;
    this.context.emit(this.id, { type: 'connection.tested', page: this.id, ok: report.ok, code });
    return report;
  }

  async #runTest(
    signal: AbortSignal | undefined,
  ): Promise<{ code: 'OK' | ErrorCode; hint: string | undefined; params: Readonly<Record<string, string>> }> {
    const settings = this.settings;
    if (settings.authMethod === undefined) return { code: 'ERR_NOT_CONFIGURED', hint: undefined, params: {} };
    const credentials = pageCredentials(this);
    // The token first: a failed renewal is the manual's case, and needs no server to report.
    if (credentials.method === 'oauth2') await this.accessToken(signal === undefined ? {} : { signal });
    const { testConnection } = await import('../transports/connection-test.js');
    const result = await testConnection(this.protocol, settings, credentials, this.context.transportOptions());
    return { code: result.code, hint: result.error?.hint, params: result.error?.params ?? {} };
  }

  /**
   * Ends what the page started (pools, pollers) when the device closes.
   * @internal
   */
  async close(): Promise<void> {
    // Pages without background work have nothing to end.
  }

  /** @internal */
  protected assertOpen(): void {
    if (this.context.closed()) throw deviceClosed();
  }

  /**
   * Reports that a server rejected `token` and returns a renewed one. Callers that report the
   * same token share one renewal.
   *
   * @example
   * ```ts
   * let token = await page.accessToken();
   * if (!(await myClient.authenticate(account, token))) token = await page.renewRejectedToken(token);
   * ```
   */
  renewRejectedToken(token: string): Promise<string> {
    return this.#scope.accessToken(token);
  }
}

function deviceClosed(): TokenStateError {
  return new UsageError('ERR_DEVICE_CLOSED', 'The device is closed', { kind: 'usage' });
}
