/**
 * Administrator hints for Microsoft Entra ID (AADSTS) errors. The kind of an error comes from
 * its RFC 6749 `error` field; the AADSTS number only chooses what the administrator is told.
 * @packageDocumentation
 */
import type { OAuthErrorDetails } from '../oauth/errors.js';

/** Hints by AADSTS number (DESIGN.md §4). Non-secret, English; the UI may localize by number. */
export const AADSTS_HINTS: Readonly<Record<number, string>> = Object.freeze({
  70008: 'The refresh token has expired; delete the token and obtain it again.',
  700082: 'The refresh token expired from inactivity; delete the token and obtain it again.',
  50173: 'The grant was revoked (for example after a password change); delete the token and obtain it again.',
  65001: 'The application has no consent in this tenant; an administrator must grant consent to the app.',
  50076: 'Multi-factor authentication is required; obtain the token again and complete MFA.',
  50079: 'Multi-factor authentication registration is required; obtain the token again and complete MFA.',
  53003:
    'Conditional Access blocked the sign-in; ask the tenant administrator, or use the authorization-code flow if device code is blocked.',
  700016: 'The application (client id) is not found in this tenant; check the client id and tenant.',
  7000218: 'Public client flows are disabled; enable "Allow public client flows" in the app registration (Authentication).',
  90002: 'The tenant is not found; check the tenant name or id.',
  7000215: 'The client secret is invalid; check the secret configured on the device.',
  7000222: 'The client secret has expired; create a new one in the app registration.',
  50033: 'Microsoft had a temporary problem; the device retries.',
  90024: 'Microsoft had a temporary problem; the device retries.',
});

/**
 * The AADSTS number of a Microsoft error: the first of `error_codes`, else the `AADSTSnnnn`
 * prefix of `error_description`.
 *
 * @example
 * ```ts
 * aadstsNumber({ error: 'invalid_client', errorDescription: 'AADSTS7000218: …', errorCodes: [], status: 401 }); // 7000218
 * ```
 */
export function aadstsNumber(details: OAuthErrorDetails): number | undefined {
  const first = details.errorCodes[0];
  if (first !== undefined) return first;
  const match = /AADSTS(\d+)/.exec(details.errorDescription ?? '');
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * The administrator hint for a Microsoft error, or `undefined` when the number is not in
 * {@link AADSTS_HINTS} (`temporarily_unavailable` always gets the retry hint).
 *
 * @example
 * ```ts
 * aadstsHint({ error: 'invalid_grant', errorCodes: [65001], status: 400 }); // 'The application has no consent …'
 * ```
 */
export function aadstsHint(details: OAuthErrorDetails): string | undefined {
  const number = aadstsNumber(details);
  const hint = number === undefined ? undefined : AADSTS_HINTS[number];
  if (hint !== undefined) return hint;
  return details.error === 'temporarily_unavailable' ? AADSTS_HINTS[50033] : undefined;
}
