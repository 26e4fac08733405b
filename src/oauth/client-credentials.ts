/**
 * The client credentials grant (RFC 6749 §4.4): app-only access (Microsoft SMTP/POP/IMAP with
 * `https://outlook.office365.com/.default`), authenticated by a client secret or a certificate
 * assertion. There is no refresh token: renewal runs the grant again.
 * @packageDocumentation
 */
import { SettingsError } from '../errors.js';
import type { GrantContext } from './types.js';
import type { ClientAuth } from './client-auth.js';
import { tokenGrant } from './token-endpoint.js';
import type { EndpointOptions } from './token-endpoint.js';
import { parseTokenResponse } from './token-response.js';
import type { ParsedTokenResponse } from './token-response.js';

/** Options of {@link clientCredentialsGrant}. */
export interface ClientCredentialsOptions extends EndpointOptions {
  /** Extra body parameters (e.g. RFC 8707 `resource`). */
  extraParams?: Readonly<Record<string, string>> | undefined;
}

/**
 * Obtains an app-only token. A public client (`method: 'none'`) cannot use this grant:
 * `ERR_INVALID_OPTION` before any request.
 *
 * @example
 * ```ts
 * const { tokens } = await clientCredentialsGrant(tokenUrl, { method: 'client_secret_post', clientId, clientSecret },
 *   'https://outlook.office365.com/.default', context);
 * ```
 */
export async function clientCredentialsGrant(
  tokenEndpoint: string,
  client: ClientAuth,
  scope: string,
  context: GrantContext,
  options: ClientCredentialsOptions = {},
): Promise<ParsedTokenResponse> {
  if (client.method === 'none') {
    throw new SettingsError('ERR_INVALID_OPTION', 'Client credentials need a client secret or a certificate', {
      params: { option: 'clientSecret' },
    });
  }
  const parsed = await tokenGrant(
    tokenEndpoint,
    { ...options.extraParams, grant_type: 'client_credentials', scope },
    client,
    context,
    options,
    (json) => parseTokenResponse(json, { flow: 'client-credentials', now: context.clock.now(), minLifetimeMs: options.minTokenLifetimeMs }),
  );
  // An app-only grant is renewed by running it again, never by a refresh token.
  delete parsed.tokens.refreshToken;
  return parsed;
}
