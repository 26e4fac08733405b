export { createMailOAuth } from './device.js';
export type { MailOAuth, MailOAuthOptions } from './device.js';
export type { MailOAuthEvent } from './events.js';
export { BasePage } from './pages/page.js';
export { SmtpPage } from './pages/smtp.js';
export { Pop3Page } from './pages/pop3.js';
export { ImapPage } from './pages/imap.js';
export type { ImapSessionOptions } from './pages/imap.js';
export type { Page } from './pages/types.js';
export type { ConnectionTestReport, GetTokenOptions, SignalOptions, TestConnectionOptions, TokenInfo } from './pages/page.js';
export type { TranscriptEntry } from './transports/options.js';
export type { MailAttachment, MailMessage, SendOptions, SendProgress, SendResult, SmtpPoolOptions } from './transports/smtp.js';
// POP3 mailbox and session types: 'mail-oauth/pop3'.
export type { TokenStatus } from './status.js';
export type { BackoffPolicy } from './machine/backoff.js';
export { mfpPages } from './registry/mfp-pages.js';
export type { MfpTopology } from './registry/mfp-pages.js';
// Page topology types (custom devices, PageFor): 'mail-oauth/topology'.
export { memoryStore } from './store/memory.js';
export { fileStore } from './store/file.js';
export type { FileStoreOptions } from './store/file.js';
export { microsoft365 } from './providers/microsoft365.js';
export type { Microsoft365Options } from './providers/microsoft365.js';
export { google } from './providers/google.js';
export type { GoogleOptions } from './providers/google.js';
export { oidc } from './providers/oidc.js';
export type { OidcOptions } from './providers/oidc.js';
export { startLoopbackListener } from './oauth/loopback.js';
export type { LoopbackListener, LoopbackListenerOptions } from './oauth/loopback.js';
export type { TokenStore } from './store/types.js';
export type { Clock } from './clock.js';
export type { Logger } from './logger.js';
export type { AuthMethod, MailboxSettings, PageSettings, PageSettingsInput, Protocol, Security, SmtpSettings } from './settings/types.js';
export type { AuthorizationPrompt, Flow, InteractiveFlow } from './oauth/types.js';
// Provider plug-in types (ProviderAdapter, TokenSet, pending authorizations) and the parts of the
// factories' options (ProviderHttpOptions, ClientCertificate, ServiceAccountKey, …): 'mail-oauth/provider'.
export {
  AuthorizationError,
  MailOAuthError,
  OAuthError,
  SettingsError,
  StoreError,
  TokenStateError,
  TopologyError,
  TransportError,
  UsageError,
} from './errors.js';
export type { ErrorCode, ErrorKind, MailOAuthErrorOptions } from './errors.js';
export { localize, localizeError } from './messages/localize.js';
export type { Locale, TextKey } from './messages/localize.js';
// Adding a language (catalog types, textKeys, resolveLocale): 'mail-oauth/languages'.
