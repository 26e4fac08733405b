/**
 * Token revocation (RFC 7009). Revoking the refresh token ends the whole grant at Google and at
 * oidc-provider. Microsoft has no revocation endpoint: deleting there is local only.
 * @packageDocumentation
 */
import type { GrantContext } from './types.js';
import type { ClientAuth } from './client-auth.js';
import { errorFromResponse } from './errors.js';
import { postForm } from './token-endpoint.js';
import type { EndpointOptions } from './token-endpoint.js';

/**
 * Asks the revocation endpoint to revoke `token`. Resolves on HTTP 200 (RFC 7009 §2.2: also when
 * the token was already invalid); throws a classified error otherwise (503 is transient).
 *
 * @example
 * ```ts
 * await revokeToken(revocationUrl, client, tokens.refreshToken, 'refresh_token', context);
 * ```
 */
export async function revokeToken(
  endpoint: string,
  client: ClientAuth,
  token: string,
  tokenTypeHint: 'refresh_token' | 'access_token',
  context: GrantContext,
  options: EndpointOptions = {},
): Promise<void> {
  await postForm(endpoint, { token, token_type_hint: tokenTypeHint }, client, context, options, (res, redact) => {
    if (res.status !== 200) throw errorFromResponse(res, 'revocation endpoint', options.hint, redact);
  });
}
