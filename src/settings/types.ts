/** The mail protocol a page configures. */
export type Protocol = 'smtp' | 'pop3' | 'imap';

/** How the connection to the mail server is secured. */
export type Security = 'tls' | 'starttls' | 'none';

/** The authentication method chosen on a settings page. Only `oauth2` uses tokens. */
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

/** Settings of an SMTP page. */
export interface SmtpSettings extends CommonSettings {
  /** Display name of the sender. */
  senderName?: string;
  /** Sender e-mail address (RFC 5322 addr-spec). */
  senderAddress?: string;
}

/** Settings of a POP3 or IMAP page. */
export interface MailboxSettings extends CommonSettings {
  /** How often the device checks for mail, in milliseconds (60 000 – 86 400 000). */
  checkInterval?: number;
}

/** Settings of any page. Which fields apply depends on the page's protocol. */
export type PageSettings = SmtpSettings & MailboxSettings;
