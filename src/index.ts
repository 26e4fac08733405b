export { createMailOAuth } from './device.js';
export type { MailOAuth, MailOAuthOptions, Pop3Mailbox } from './device.js';
export { Page } from './page.js';
export type { ConnectionTestReport, GetTokenOptions, TokenInfo } from './page.js';
export type { TokenSource } from './transports/token-source.js';
export type { MailCredentials } from './transports/credentials.js';
export type { TranscriptEntry, TransportOptions } from './transports/options.js';
export type { MailAttachment, MailAttachmentFile, MailMessage, SendOptions, SendProgress, SendResult, SmtpPoolOptions } from './transports/smtp.js';
export type { FetchPop3Options, Pop3Message, Pop3Poller, Pop3PollerOptions } from './transports/pop3/mailbox.js';
export type { Pop3Client, Pop3Mechanism, Pop3Options } from './transports/pop3/client.js';
export type { Pop3Capabilities, Pop3ListEntry, Pop3Stat, Pop3UidlEntry } from './transports/pop3/parser.js';
export { buildXOAuth2 } from './sasl/xoauth2.js';
export { buildOAuthBearer } from './sasl/oauthbearer.js';
export type { OAuthBearerOptions } from './sasl/oauthbearer.js';
export { parseSaslErrorChallenge } from './sasl/challenge.js';
export type { SaslErrorChallenge } from './sasl/challenge.js';
export type { TokenStatus } from './machine/token-scope.js';
export type { BackoffPolicy } from './machine/backoff.js';
export type { ScopeRecord, ScopePhase } from './machine/record.js';
export { SCOPE_RECORD_VERSION } from './machine/record.js';
export { mfpPages } from './registry/mfp-pages.js';
export type { MfpPageId } from './registry/mfp-pages.js';
export type { PageDefinition, PageTopology, LinkGroup } from './registry/topology.js';
export { memoryStore } from './store/memory.js';
export { fileStore } from './store/file.js';
export type {
  FileStoreCommonOptions,
  FileStoreKeyOptions,
  FileStoreKeyProviderOptions,
  FileStoreOptions,
  FileStorePassphraseOptions,
} from './store/file.js';
export { microsoft365 } from './providers/microsoft365.js';
export type { Microsoft365Options, MicrosoftCloud } from './providers/microsoft365.js';
export { google } from './providers/google.js';
export type { GoogleOptions } from './providers/google.js';
export { oidc } from './providers/oidc.js';
export type { OidcOptions, ScopeList } from './providers/oidc.js';
export type { ProviderHttpOptions } from './providers/adapter.js';
export type { ClientCertificate } from './oauth/client-auth.js';
export type { ServiceAccountKey } from './oauth/jwt-bearer.js';
export { startLoopbackListener } from './oauth/loopback.js';
export type { LoopbackListener, LoopbackListenerOptions } from './oauth/loopback.js';
export type { TokenStore } from './store/types.js';
export type { Clock } from './clock.js';
export { systemClock } from './clock.js';
export type { Logger, LogFields } from './logger.js';
export type { AuthMethod, CommonSettings, MailboxSettings, PageSettings, PageSettingsInput, Protocol, Security, SmtpSettings } from './settings/types.js';
export type {
  AuthorizationPrompt,
  DeviceCodePending,
  Flow,
  InteractiveFlow,
  PendingAuthorization,
  RedirectPending,
  TokenSet,
} from './oauth/types.js';
export type {
  AuthorizationRequest,
  AuthorizationStart,
  DevicePollResult,
  GrantContext,
  MailServer,
  ProviderAdapter,
} from './providers/types.js';
export {
  AuthorizationError,
  MailOAuthError,
  OAuthError,
  SettingsError,
  StoreError,
  TokenStateError,
  TopologyError,
  TransportError,
} from './errors.js';
export type { ErrorCode, ErrorKind, ErrorRecord, MailOAuthErrorOptions } from './errors.js';
export { localize, localizeError, locales, resolveLocale, textKeys } from './messages/localize.js';
export type { LanguageCatalog, Locale, LocaleMatch, PartialCatalog, TextKey } from './messages/localize.js';
export type { UiCatalog, UiTextKey } from './messages/ui.js';
export type { Catalog, MessageKey } from './messages/catalog.js';
