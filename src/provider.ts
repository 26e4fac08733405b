/**
 * Types for writing a provider adapter: the interface `createMailOAuth({ providers })` accepts,
 * what the token-scope machine passes to it, and the tokens and pending authorizations it
 * returns; also the parts of the built-in factories' options (`ProviderHttpOptions`,
 * `ClientCertificate`, `ServiceAccountKey`, `MicrosoftCloud`, `ScopeList`). Imported as
 * `mail-oauth/provider`; the main entry keeps them out because most devices only use the built-in
 * `microsoft365()`, `google()` and `oidc()` factories, and pending authorizations hold secrets
 * (device code, PKCE verifier).
 *
 * @packageDocumentation
 */
export type {
  AuthorizationRequest,
  AuthorizationStart,
  DevicePollResult,
  GrantContext,
  MailServer,
  ProviderAdapter,
} from './providers/types.js';
export type { DeviceCodePending, PendingAuthorization, RedirectPending, TokenSet } from './oauth/types.js';
// The building blocks of the built-in factories' options (HTTP, client certificate, service
// account key, cloud, scope lists): named only by code that assembles options programmatically.
export type { ProviderHttpOptions } from './providers/adapter.js';
export type { ClientCertificate } from './oauth/client-auth.js';
export type { ServiceAccountKey } from './oauth/jwt-bearer.js';
export type { MicrosoftCloud } from './providers/microsoft365.js';
export type { ScopeList } from './providers/oidc.js';
