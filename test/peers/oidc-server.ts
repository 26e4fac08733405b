/**
 * A real authorization server for the tests: `oidc-provider` v9 in-process on 127.0.0.1 (port 0)
 * with the device flow, revocation, introspection, resource indicators (RS256 JWT access tokens
 * with `aud` and an `email` claim), rotating refresh tokens, client credentials, and accounts
 * that can be disabled. Reusable by the transport tests (Dovecot / smtp-server validate its
 * access tokens): it exports the issuer, the signing key (JWK, PEM, kid) and lets the access
 * token header `typ` be chosen (Dovecot wants exactly `JWT`).
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, jwtVerify } from 'jose';
import type { JWK } from 'jose';
import Provider from 'oidc-provider';

/** The resource (audience) of mail access tokens. */
export const MAIL_RESOURCE = 'urn:mail-oauth:test:mail';
/** The resource scope the mail servers expect (Dovecot `scope = mail`). */
export const MAIL_SCOPE = 'mail';

/** Clients registered at the test server. */
export const CLIENTS = {
  /** Public native client (device flow, auth code + PKCE with a loopback redirect, refresh). */
  public: 'mail-oauth-public',
  /** Confidential client with a secret (`client_secret_basic`): every grant including client credentials. */
  confidential: 'mail-oauth-confidential',
  /** Confidential client authenticating with a client assertion (`private_key_jwt`). */
  assertion: 'mail-oauth-assertion',
} as const;

/** The secret of {@link CLIENTS.confidential} (a test value, not a credential). */
export const CONFIDENTIAL_SECRET = 'test-only-secret-not-a-credential-0123456789';

/** Options of {@link startOidcServer}. */
export interface OidcServerOptions {
  /** Access token lifetime in seconds. Default 3600. */
  accessTokenTtl?: number;
  /** Refresh token lifetime in seconds. Default 14 days. */
  refreshTokenTtl?: number;
  /** Device code lifetime in seconds. Default 600. */
  deviceCodeTtl?: number;
  /** Client-credentials token lifetime in seconds. Default 3600. */
  clientCredentialsTtl?: number;
  /** The access token JWT header `typ`. Default `JWT` (what Dovecot accepts); oidc-provider's own is `at+jwt`. */
  accessTokenTyp?: string;
  /** Accounts (e-mail addresses) that may sign in. Default `['scanner@example.test', 'admin@example.test']`. */
  accounts?: readonly string[];
  /** Redirect URIs of the public client. Default `['http://127.0.0.1/callback']` (any loopback port). */
  redirectUris?: readonly string[];
  /** Public JWKs of the `private_key_jwt` client (its certificate's key). */
  assertionClientJwks?: readonly JWK[];
  /** Accounts whose ID token says `email_verified: false`. Default none. */
  unverifiedAccounts?: readonly string[];
}

/** A running test authorization server. */
export interface OidcServer {
  /** The issuer identifier (`http://127.0.0.1:<port>`). */
  issuer: string;
  /** Port it listens on. */
  port: number;
  /** Access token signing key: public JWK (with `kid`, `alg`, `use`). */
  publicJwk: JWK;
  /** Access token signing key: public key as SPKI PEM (Dovecot's `local_validation_key_dict` file content). */
  publicKeyPem: string;
  /** Key id of the signing key. */
  kid: string;
  /** The provider instance (for advanced checks). */
  provider: Provider;
  /** Makes an account unable to obtain or refresh tokens (findAccount no longer finds it). */
  disableAccount(email: string): void;
  /** Re-enables an account. */
  enableAccount(email: string): void;
  /** How many times each grant type reached the token endpoint (to prove "stop polling"). */
  tokenRequests: Map<string, number>;
  /**
   * A mail server's token check that sees revocation (POST `token=`; answers `{ active, email }`):
   * the JWT must verify and its grant (`gid` claim) must still exist. oidc-provider itself cannot
   * introspect JWT access tokens.
   */
  mailIntrospectionUrl: string;
  /** Stops the server. */
  close(): Promise<void>;
}

/**
 * Starts the server on 127.0.0.1 with an ephemeral port.
 *
 * @example
 * ```ts
 * const server = await startOidcServer({ accessTokenTtl: 2 });
 * const provider = oidc({ id: 'test', issuer: server.issuer, clientId: CLIENTS.public, scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' } });
 * ```
 */
export async function startOidcServer(options: OidcServerOptions = {}): Promise<OidcServer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = 'test-rs256';
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const publicKeyPem = await exportSPKI(publicKey);

  const accounts = new Set((options.accounts ?? ['scanner@example.test', 'admin@example.test']).map((a) => a.toLowerCase()));
  const disabled = new Set<string>();
  const unverified = new Set((options.unverifiedAccounts ?? []).map((a) => a.toLowerCase()));
  const typ = options.accessTokenTyp ?? 'JWT';
  const tokenRequests = new Map<string, number>();

  // Listen first: the issuer must contain the port.
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENTS.public,
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
        redirect_uris: [...(options.redirectUris ?? ['http://127.0.0.1/callback'])],
      },
      {
        client_id: CLIENTS.confidential,
        client_secret: CONFIDENTIAL_SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        application_type: 'native',
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'client_credentials'],
        response_types: ['code'],
        redirect_uris: [...(options.redirectUris ?? ['http://127.0.0.1/callback'])],
      },
      ...(options.assertionClientJwks === undefined
        ? []
        : [
            {
              client_id: CLIENTS.assertion,
              token_endpoint_auth_method: 'private_key_jwt',
              token_endpoint_auth_signing_alg: 'PS256',
              grant_types: ['client_credentials'],
              response_types: [],
              redirect_uris: [],
              jwks: { keys: [...options.assertionClientJwks] },
            },
          ]),
    ],
    jwks: { keys: [privateJwk] },
    cookies: { keys: ['mail-oauth-test-cookie-key'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    scopes: ['openid', 'offline_access', 'email'],
    pkce: { required: () => true },
    rotateRefreshToken: true,
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => MAIL_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: `${MAIL_SCOPE} smtp pop imap`,
          audience: MAIL_RESOURCE,
          accessTokenFormat: 'jwt',
          accessTokenTTL: options.accessTokenTtl ?? 3600,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    ttl: {
      AccessToken: options.accessTokenTtl ?? 3600,
      ClientCredentials: options.clientCredentialsTtl ?? 3600,
      RefreshToken: options.refreshTokenTtl ?? 14 * 24 * 3600,
      DeviceCode: options.deviceCodeTtl ?? 600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 14 * 24 * 3600,
    },
    async findAccount(_ctx: unknown, sub: string) {
      const email = sub.toLowerCase();
      if (!accounts.has(email) || disabled.has(email)) return undefined;
      return { accountId: sub, claims: () => ({ sub, email, email_verified: !unverified.has(email) }) };
    },
    async extraTokenClaims(_ctx: unknown, token: unknown) {
      const { accountId, grantId } = token as { accountId?: string; grantId?: string };
      return accountId === undefined ? undefined : { email: accountId, ...(grantId === undefined ? {} : { gid: grantId }) };
    },
    formats: {
      customizers: {
        jwt(_ctx: unknown, _token: unknown, jwt: { header?: Record<string, unknown> }) {
          jwt.header = { ...jwt.header, typ };
          return jwt;
        },
      },
    },
  });
  const count = (ctx: { oidc?: { params?: Record<string, unknown> } }): void => {
    const type = ctx.oidc?.params?.grant_type;
    const grant = typeof type === 'string' ? type : '?';
    tokenRequests.set(grant, (tokenRequests.get(grant) ?? 0) + 1);
  };
  provider.on('grant.success', count);
  provider.on('grant.error', count);
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url !== '/mail-introspect' || req.method !== 'POST') return void callback(req, res);
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      void (async () => {
        let answer: Record<string, unknown> = { active: false };
        try {
          const token = new URLSearchParams(body).get('token') ?? '';
          const { payload } = await jwtVerify(token, publicKey, { issuer });
          const email = typeof payload['email'] === 'string' ? payload['email'].toLowerCase() : '';
          const grant = typeof payload['gid'] === 'string' ? await provider.Grant.find(payload['gid']) : undefined;
          if (grant !== undefined && accounts.has(email) && !disabled.has(email)) answer = { active: true, email, scope: MAIL_SCOPE };
        } catch {
          // anything unverifiable is inactive
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      })();
    });
  });

  return {
    issuer,
    port,
    publicJwk,
    publicKeyPem,
    kid,
    provider,
    tokenRequests,
    mailIntrospectionUrl: `${issuer}/mail-introspect`,
    disableAccount: (email) => disabled.add(email.toLowerCase()),
    enableAccount: (email) => disabled.delete(email.toLowerCase()),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
