import { TokenStateError } from '../errors.js';
import type { TokenSource } from './token-source.js';

/** The part of a page a token source needs. @internal */
export interface TokenHolder {
  readonly settings: { account?: string };
  accessToken(): Promise<string>;
  renewRejectedToken(token: string): Promise<string>;
}

/**
 * A page's token source for the transports. It remembers the token it handed out, so that a
 * rejection renews exactly that token: callers that saw the same rejection share one renewal.
 * @internal
 */
export function pageTokenSource(page: TokenHolder): TokenSource {
  const user = page.settings.account;
  if (user === undefined) {
    throw new TokenStateError('ERR_NOT_CONFIGURED', 'Choose OAuth 2.0, a provider and an account name first', { kind: 'usage' });
  }
  let last: string | undefined;
  return {
    user,
    async accessToken() {
      last = await page.accessToken();
      return last;
    },
    async refreshAfterRejection() {
      last = last === undefined ? await page.accessToken() : await page.renewRejectedToken(last);
      return last;
    },
  };
}
