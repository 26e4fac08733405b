import { UsageError } from '../errors.js';
import { assertSaslInput } from './input.js';

/**
 * Refuses an empty password or one with CR, LF or NUL: NUL separates the fields of a PLAIN
 * message, CR and LF would end the protocol line (`PASS`, the SASL response). The password never
 * appears in the error.
 * @internal
 */
export function assertPassword(password: string): void {
  if (typeof password !== 'string' || password.length === 0 || /[\r\n\0]/.test(password)) {
    throw new UsageError('ERR_SASL_INVALID_INPUT', 'The password is empty or contains CR, LF or NUL and was not sent', {
      kind: 'usage',
      params: { field: 'password' },
    });
  }
}

/**
 * Builds the base64-encoded SASL PLAIN message (RFC 4616) with an empty authorization identity:
 * `base64("\0" + user + "\0" + password)`.
 *
 * @throws MailOAuthError `ERR_SASL_INVALID_INPUT` for an empty user or password, a control
 * character in the user, or CR/LF/NUL in the password; nothing is built.
 * @internal
 */
export function buildPlain(user: string, password: string): string {
  assertSaslInput('user', user);
  assertPassword(password);
  return Buffer.from(`\0${user}\0${password}`, 'utf8').toString('base64');
}
