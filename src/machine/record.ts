import { StoreError, type ErrorRecord } from '../errors.js';
import type { Flow, PendingAuthorization, TokenSet } from '../oauth/types.js';
import type { PageSettings } from '../settings/types.js';

/** Current version of {@link ScopeRecord}. Bump it and add a migration when the shape changes. */
export const SCOPE_RECORD_VERSION = 1;

/** The phase of a token scope as persisted: the manual's four statuses. */
export type ScopePhase = 'not-acquired' | 'authorizing' | 'acquired' | 'invalid';

/**
 * What a token scope persists through its {@link TokenStore}: enough to come back after a
 * restart with the same settings, status and tokens. Contains secrets.
 */
export interface ScopeRecord {
  /** Schema version. */
  v: typeof SCOPE_RECORD_VERSION;
  /** The settings shared by the scope's pages. */
  settings: PageSettings;
  /** Where the scope was. */
  phase: ScopePhase;
  /** Tokens, in `acquired` and `invalid` phases. */
  tokens?: TokenSet;
  /** When the tokens were obtained (ms since the epoch): bounds the refresh margin for short-lived tokens. */
  obtainedAt?: number;
  /** True when the refresh token was withheld from persistence by policy. */
  refreshTokenWithheld?: boolean;
  /** The authorization in progress, in the `authorizing` phase. */
  pending?: PendingAuthorization;
  /** The flow being authorized. */
  flow?: Flow;
  /** Why the scope is Invalid. */
  invalidReason?: ErrorRecord;
}

const phases: readonly ScopePhase[] = ['not-acquired', 'authorizing', 'acquired', 'invalid'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a value read from a store. Returns the record, `undefined` when there is none, and
 * throws a coded {@link StoreError} for anything that is not a record this version understands.
 * @internal
 */
export function parseScopeRecord(value: unknown): ScopeRecord | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || typeof value.v !== 'number') {
    throw new StoreError('ERR_STORE_CORRUPT', 'The stored token record is not in a known format', { kind: 'configuration' });
  }
  if (value.v > SCOPE_RECORD_VERSION) {
    throw new StoreError('ERR_STORE_VERSION', `The stored token record has version ${value.v}; this version of mail-oauth reads up to ${SCOPE_RECORD_VERSION}`, { kind: 'configuration' });
  }
  if (!isObject(value.settings) || !phases.includes(value.phase as ScopePhase)) {
    throw new StoreError('ERR_STORE_CORRUPT', 'The stored token record is incomplete', { kind: 'configuration' });
  }
  const tokens = value.tokens;
  if (tokens !== undefined && (!isObject(tokens) || typeof tokens.accessToken !== 'string' || typeof tokens.expiresAt !== 'number')) {
    throw new StoreError('ERR_STORE_CORRUPT', 'The stored token record has malformed tokens', { kind: 'configuration' });
  }
  return value as unknown as ScopeRecord;
}
