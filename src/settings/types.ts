/**
 * The mail protocol a page configures.
 * @category Settings
 */
export type Protocol = 'smtp' | 'pop3' | 'imap';

/**
 * How the connection to the mail server is secured.
 * @category Settings
 */
export type Security = 'tls' | 'starttls' | 'none';

/**
 * The authentication method chosen on a settings page. `oauth2` uses a token; `plain` (SASL
 * PLAIN) and `login` (SMTP `AUTH LOGIN`, POP3 `USER`/`PASS`) use the page's password; `none`
 * authenticates not at all (SMTP relays only: a mailbox cannot be read anonymously).
 * @category Settings
 */
export type AuthMethod = 'oauth2' | 'none' | 'plain' | 'login';

/** Fields every settings page has. */
export interface CommonSettings {
  /** Mail server host name or IP address. */
  server?: string;
  /** Mail server port, 1–65535. */
  port?: number;
  /** `tls` (implicit TLS), `starttls` (STARTTLS/STLS upgrade) or `none`. */
  security?: Security;
  /** Connection and reply timeout in milliseconds (1 000 – 600 000). */
  timeout?: number;
  /** Authentication method; `oauth2` to use a token. */
  authMethod?: AuthMethod;
  /** Provider id (the `id` of a configured provider adapter, e.g. `microsoft365`, `google`). */
  provider?: string;
  /** The mailbox account the token is for (usually an e-mail address). */
  account?: string;
}

/**
 * Settings of an SMTP page.
 * @category Settings
 */
export interface SmtpSettings extends CommonSettings {
  /** Display name of the sender. */
  senderName?: string;
  /** Sender e-mail address (RFC 5322 addr-spec). */
  senderAddress?: string;
}

/**
 * Settings of a POP3 or IMAP page.
 * @category Settings
 */
export interface MailboxSettings extends CommonSettings {
  /** How often the device checks for mail, in milliseconds (60 000 – 86 400 000). */
  checkInterval?: number;
}

/**
 * Settings of any page. Which fields apply depends on the page's protocol.
 * @category Settings
 */
export type PageSettings = SmtpSettings & MailboxSettings;

/**
 * What {@link BasePage.configure} accepts: the page's settings plus its password, which is
 * write-only. The password is kept in the token store (encrypted by `fileStore`), shared by linked
 * pages, and never returned by `page.settings`, `tokenInfo()`, a log or an error.
 * @category Settings
 */
export interface PageSettingsInput extends PageSettings {
  /**
   * The password for `authMethod` `plain` or `login`: 1–256 characters, no CR, LF or NUL.
   * `''` or `null` removes the stored password; leaving the field out keeps it. Choosing
   * `oauth2` or `none` removes it as well.
   */
  password?: string | null;
}
