import { SettingsError, TokenStateError } from '../errors.js';
import type { AuthMethod, Protocol } from '../settings/types.js';
import type { MailCredentials } from './credentials.js';
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

/** The part of a page that credentials need. @internal */
export interface CredentialHolder extends TokenHolder {
  readonly protocol: Protocol;
  readonly settings: { authMethod?: AuthMethod; account?: string };
  /** The page's stored password; read when a transport authenticates, so a change applies to the next connection. */
  storedPassword(): string | undefined;
}

/**
 * The page's credentials for the transports, as its authentication method chose them: the token
 * source for `oauth2`, the account and stored password for `plain`/`login`, nothing for `none`
 * (SMTP only). A missing account or password fails with `ERR_PASSWORD_NOT_SET` before any
 * connection is made.
 * @internal
 */
export function pageCredentials(page: CredentialHolder): MailCredentials {
  const { authMethod, account } = page.settings;
  switch (authMethod) {
    case 'oauth2':
      return { method: 'oauth2', source: pageTokenSource(page) };
    case 'plain':
    case 'login': {
      if (account === undefined || page.storedPassword() === undefined) throw passwordNotSet();
      return {
        method: authMethod,
        user: account,
        async password() {
          const password = page.storedPassword();
          if (password === undefined) throw passwordNotSet();
          return password;
        },
      };
    }
    case 'none':
      if (page.protocol !== 'smtp') {
        throw new SettingsError('ERR_INVALID_AUTH_METHOD', `A ${page.protocol} mailbox cannot be read without authentication`, {});
      }
      return { method: 'none' };
    default:
      throw new TokenStateError('ERR_NOT_CONFIGURED', 'Choose an authentication method first', { kind: 'usage' });
  }
}

function passwordNotSet(): SettingsError {
  return new SettingsError('ERR_PASSWORD_NOT_SET', 'Enter the account name and the password first', {
    kind: 'configuration',
    params: { field: 'password' },
  });
}
