/**
 * The JWT bearer grant (RFC 7523 §2.1) for a Google Workspace service account with
 * domain-wide delegation: the assertion's `sub` is the mailbox the device acts as.
 * @packageDocumentation
 */
import { loadJose } from '../lib/lazy.js';
import { SettingsError } from '../errors.js';
import type { GrantContext } from './types.js';
import { loadPrivateKey } from './client-auth.js';
import { tokenGrant } from './token-endpoint.js';
import type { EndpointOptions } from './token-endpoint.js';
import { parseTokenResponse } from './token-response.js';
import type { ParsedTokenResponse } from './token-response.js';

/**
 * The fields of a Google service account key file (JSON) that the grant needs.
 * @category Providers
 */
export interface ServiceAccountKey {
  /** The service account's e-mail (the assertion's `iss`). */
  client_email: string;
  /** PEM private key. */
  private_key: string;
  /** Key id (the assertion header's `kid`). */
  private_key_id?: string;
  /** Token endpoint. Default `https://oauth2.googleapis.com/token`. */
  token_uri?: string;
}

/** The grant type of RFC 7523 §2.1. */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Lifetime of the assertion: 1 hour (Google's maximum). */
const ASSERTION_TTL_S = 3600;

/**
 * Signs the service account's assertion (`iss` = service account, `sub` = mailbox, `scope`,
 * `aud` = token endpoint) with RS256 and exchanges it for an access token.
 *
 * @example
 * ```ts
 * const { tokens } = await jwtBearerGrant(JSON.parse(keyFile), 'scanner@example.com', 'https://mail.google.com/', context);
 * ```
 */
export async function jwtBearerGrant(
  serviceAccount: ServiceAccountKey,
  subject: string,
  scope: string,
  context: GrantContext,
  options: EndpointOptions = {},
): Promise<ParsedTokenResponse> {
  if (typeof serviceAccount.client_email !== 'string' || typeof serviceAccount.private_key !== 'string') {
    throw new SettingsError('ERR_INVALID_OPTION', 'The service account key needs client_email and private_key', {
      params: { option: 'serviceAccount' },
    });
  }
  const tokenEndpoint = serviceAccount.token_uri ?? 'https://oauth2.googleapis.com/token';
  const iat = Math.floor(context.clock.now() / 1000);
  const header: { alg: 'RS256'; typ: 'JWT'; kid?: string } = { alg: 'RS256', typ: 'JWT' };
  if (serviceAccount.private_key_id !== undefined) header.kid = serviceAccount.private_key_id;
  const { SignJWT } = await loadJose();
  const assertion = await new SignJWT({ scope })
    .setProtectedHeader(header)
    .setIssuer(serviceAccount.client_email)
    .setSubject(subject)
    .setAudience(tokenEndpoint)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_TTL_S)
    .sign(loadPrivateKey(serviceAccount.private_key));
  const parsed = await tokenGrant(tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion }, undefined, context, options, (json) =>
    parseTokenResponse(json, { flow: 'jwt-bearer', now: context.clock.now(), minLifetimeMs: options.minTokenLifetimeMs }),
  );
  delete parsed.tokens.refreshToken;
  parsed.tokens.account = subject;
  return parsed;
}
