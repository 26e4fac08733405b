import { UsageError } from '../errors.js';

// Any C0 control character or DEL. CR, LF and \x01 would let a value end the SASL message or
// the protocol line early; the other control characters have no business in a user or token.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Refuses a SASL user or bearer token that could break out of the SASL message or the
 * protocol line (CR, LF, `\x01` or any other control character), or that is empty.
 * The value itself never appears in the error.
 * @internal
 */
export function assertSaslInput(field: 'user' | 'token' | 'host', value: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new UsageError('ERR_SASL_INVALID_INPUT', `The SASL ${field} is empty`, {
      kind: 'usage',
      params: { field },
    });
  }
  if (CONTROL.test(value)) {
    throw new UsageError(
      'ERR_SASL_INVALID_INPUT',
      `The SASL ${field} contains a control character (CR, LF, \\x01 or similar) and was not sent`,
      { kind: 'usage', params: { field } },
    );
  }
}
