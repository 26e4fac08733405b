import { StoreError, type ErrorKind, type ErrorRecord } from '../errors.js';
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
  /** When the grant was signed in (ms since the epoch); renewals keep it. Absent in records written before it existed. */
  acquiredAt?: number;
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
const flows: readonly Flow[] = ['device-code', 'authorization-code', 'client-credentials', 'jwt-bearer'];
const kinds: readonly ErrorKind[] = ['definite', 'configuration', 'transient', 'protocol', 'usage'];

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** `value[name]` is absent or passes `check`. */
function optional(value: Fields, name: string, check: (field: unknown) => boolean): boolean {
  return value[name] === undefined || check(value[name]);
}

const isString = (field: unknown): boolean => typeof field === 'string';

// Messages name the part, never a value: a record holds tokens.
function corrupt(what: string): StoreError {
  return new StoreError('ERR_STORE_CORRUPT', `The stored token record ${what}`, { kind: 'configuration' });
}

/**
 * Checks a value read from a store. Returns the record, `undefined` when there is none, and
 * throws a coded {@link StoreError} for anything that is not a record this version understands:
 * `ERR_STORE_VERSION` for a later version, `ERR_STORE_CORRUPT` for any other version or shape.
 * @internal
 */
export function parseScopeRecord(value: unknown): ScopeRecord | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || typeof value.v !== 'number') throw corrupt('is not in a known format');
  // Only a later firmware writes a higher version; 0, negative or fractional ones no version wrote.
  if (Number.isInteger(value.v) && value.v > SCOPE_RECORD_VERSION) {
    throw new StoreError(
      'ERR_STORE_VERSION',
      `The stored token record has version ${value.v}; this version of mail-oauth reads up to ${SCOPE_RECORD_VERSION}`,
      { kind: 'configuration' },
    );
  }
  if (value.v !== SCOPE_RECORD_VERSION) throw corrupt('has a version no mail-oauth wrote');
  if (!isObject(value.settings) || !phases.includes(value.phase as ScopePhase)) throw corrupt('is incomplete');
  if (!optional(value, 'tokens', isTokenSet)) throw corrupt('has malformed tokens');
  if (
    !optional(value, 'obtainedAt', isTime) ||
    !optional(value, 'acquiredAt', isTime) ||
    !optional(value, 'refreshTokenWithheld', (field) => typeof field === 'boolean')
  ) {
    throw corrupt('has malformed token metadata');
  }
  // These reach the machine as they are: a malformed one would surface as a crash, not a coded error.
  if (!optional(value, 'pending', isPending) || !optional(value, 'flow', isFlow))
    throw corrupt('has a malformed authorization in progress');
  if (!optional(value, 'invalidReason', isErrorRecord)) throw corrupt('has a malformed reason for Invalid');
  return value as unknown as ScopeRecord;
}

function isFlow(field: unknown): boolean {
  return flows.includes(field as Flow);
}

function isTokenSet(field: unknown): boolean {
  return (
    isObject(field) &&
    typeof field.accessToken === 'string' &&
    isTime(field.expiresAt) &&
    optional(field, 'refreshToken', isString) &&
    optional(field, 'tokenType', isString) &&
    optional(field, 'scope', isString) &&
    optional(field, 'account', isString) &&
    optional(field, 'flow', isFlow)
  );
}

function isPending(field: unknown): boolean {
  if (!isObject(field) || !isTime(field.expiresAt)) return false;
  if (field.flow === 'device-code') {
    return (
      ['deviceCode', 'userCode', 'verificationUri'].every((name) => typeof field[name] === 'string') &&
      optional(field, 'verificationUriComplete', isString) &&
      isTime(field.intervalMs)
    );
  }
  if (field.flow === 'authorization-code') {
    return ['url', 'redirectUri', 'state', 'codeVerifier', 'nonce'].every((name) => typeof field[name] === 'string');
  }
  return false;
}

function isErrorRecord(field: unknown): boolean {
  return (
    isObject(field) &&
    typeof field.name === 'string' &&
    typeof field.code === 'string' &&
    /^ERR_[A-Z0-9_]+$/.test(field.code) &&
    kinds.includes(field.kind as ErrorKind) &&
    typeof field.message === 'string' &&
    optional(field, 'hint', isString) &&
    optional(field, 'params', (params) => isObject(params) && Object.values(params).every(isString)) &&
    optional(field, 'retryAfterMs', (ms) => isTime(ms) && ms >= 0)
  );
}
