import { isIP } from 'node:net';
import { SettingsError, type ErrorCode } from '../errors.js';
import type { PageSettings, Protocol } from './types.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;
const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const ATEXT = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;

const common = ['server', 'port', 'security', 'timeout', 'authMethod', 'provider', 'account'] as const;
const fieldsFor: Record<Protocol, readonly string[]> = {
  smtp: [...common, 'senderName', 'senderAddress'],
  pop3: [...common, 'checkInterval'],
  imap: [...common, 'checkInterval'],
};

function reject(code: ErrorCode, field: string, message: string): never {
  throw new SettingsError(code, message, { params: { field }, kind: 'usage' });
}

/** True for a DNS host name (RFC 1123) or an IPv4/IPv6 address. @internal */
export function isHost(value: string): boolean {
  if (isIP(value) !== 0) return true;
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  // An all-numeric last label would be a malformed IPv4 address, not a host name.
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return false;
  return labels.every((label) => LABEL.test(label));
}

/** True for an RFC 5322 addr-spec with a dot-atom local part and a host-name or IP-literal domain. @internal */
export function isAddrSpec(value: string): boolean {
  if (value.length > 254 || CONTROL.test(value)) return false;
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) return false;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (local.length > 64 || !local.split('.').every((atom) => ATEXT.test(atom))) return false;
  if (domain.startsWith('[') && domain.endsWith(']')) {
    const literal = domain.slice(1, -1);
    return isIP(literal.startsWith('IPv6:') ? literal.slice(5) : literal) !== 0;
  }
  return isHost(domain) && domain.includes('.');
}

function integerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/**
 * Validates a settings patch for a page of the given protocol. Throws a {@link SettingsError}
 * whose `code` names the problem and whose `params.field` names the field.
 * @internal
 */
export function validateSettings(
  protocol: Protocol,
  patch: Readonly<Record<string, unknown>>,
  providers: ReadonlySet<string>,
): PageSettings {
  if (typeof patch !== 'object' || patch === null) reject('ERR_INVALID_OPTION', 'settings', 'Settings must be an object');
  const allowed = fieldsFor[protocol];
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(patch)) {
    if (!allowed.includes(field)) reject('ERR_INVALID_OPTION', field, `"${field}" is not a setting of a ${protocol} page`);
    if (value === undefined) continue;
    switch (field) {
      case 'server':
        if (typeof value !== 'string' || !isHost(value))
          reject('ERR_INVALID_HOST', field, 'The server must be a host name or an IP address');
        break;
      case 'port':
        if (!integerIn(value, 1, 65_535)) reject('ERR_INVALID_PORT', field, 'The port must be a whole number from 1 to 65535');
        break;
      case 'security':
        if (value !== 'tls' && value !== 'starttls' && value !== 'none')
          reject('ERR_INVALID_SECURITY', field, 'Security must be "tls", "starttls" or "none"');
        break;
      case 'timeout':
        if (!integerIn(value, 1_000, 600_000)) reject('ERR_INVALID_TIMEOUT', field, 'The timeout must be 1000 to 600000 milliseconds');
        break;
      case 'checkInterval':
        if (!integerIn(value, 60_000, 86_400_000))
          reject('ERR_INVALID_CHECK_INTERVAL', field, 'The check interval must be 60000 to 86400000 milliseconds');
        break;
      case 'authMethod':
        if (value !== 'oauth2' && value !== 'none' && value !== 'plain' && value !== 'login')
          reject('ERR_INVALID_AUTH_METHOD', field, 'Unknown authentication method');
        if (value === 'none' && protocol !== 'smtp')
          reject('ERR_INVALID_AUTH_METHOD', field, `A ${protocol} mailbox cannot be read without authentication`);
        break;
      case 'provider':
        if (typeof value !== 'string' || !providers.has(value))
          reject('ERR_UNKNOWN_PROVIDER', field, 'No provider with that id is configured');
        break;
      case 'account':
        if (typeof value !== 'string' || value.length === 0 || value.length > 320 || CONTROL.test(value) || value.trim() !== value) {
          reject(
            'ERR_INVALID_ACCOUNT',
            field,
            'The account name must be 1 to 320 characters without control characters or surrounding spaces',
          );
        }
        break;
      case 'senderName':
        if (typeof value !== 'string' || value.length > 128 || CONTROL.test(value))
          reject('ERR_INVALID_SENDER_NAME', field, 'The sender name must be up to 128 characters without control characters');
        break;
      case 'senderAddress':
        if (typeof value !== 'string' || !isAddrSpec(value))
          reject('ERR_INVALID_SENDER_ADDRESS', field, 'The sender address must be an e-mail address (local@domain)');
        break;
    }
    out[field] = value;
  }
  return out;
}

/** The longest password the settings page accepts, in characters. */
const MAX_PASSWORD_LENGTH = 256;

/**
 * Validates the write-only `password` setting. Returns the password to store, or `null` when
 * `''` or `null` asks to remove it. CR, LF and NUL are refused: each would end or split the
 * protocol line or SASL message that carries the password.
 * @internal
 */
export function validatePassword(value: unknown): string | null {
  if (value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > MAX_PASSWORD_LENGTH || /[\r\n\0]/.test(value)) {
    reject('ERR_INVALID_PASSWORD', 'password', `The password must be 1 to ${MAX_PASSWORD_LENGTH} characters without CR, LF or NUL`);
  }
  return value;
}
