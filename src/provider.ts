/**
 * Types for writing a provider adapter: the interface `createMailOAuth({ providers })` accepts,
 * what the token-scope machine passes to it, and the tokens and pending authorizations it
 * returns. Imported as `mail-oauth/provider`; the main entry keeps them out because most devices
 * only use the built-in `microsoft365()`, `google()` and `oidc()` factories, and pending
 * authorizations hold secrets (device code, PKCE verifier).
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
