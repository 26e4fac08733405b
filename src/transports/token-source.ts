/**
 * What a transport needs from a token scope: the current access token, a forced refresh after
 * the server rejected one, and the SASL user. A page of the device facade provides one; tests
 * and integrators can write their own.
 *
 * @example
 * ```ts
 * const source: TokenSource = {
 *   user: 'scanner@contoso.com',
 *   accessToken: () => page.accessToken(),
 *   refreshAfterRejection: () => page.refreshAccessToken(),
 * };
 * await sendMail(settings, source, message);
 * ```
 */
export interface TokenSource {
  /** Current access token, refreshed first when needed. */
  accessToken(): Promise<string>;
  /** Called when the server rejected the token: force one refresh and return the new token. */
  refreshAfterRejection(): Promise<string>;
  /** The SASL user (the page's account). */
  readonly user: string;
}
