/**
 * The demo's authorization server: oidc-provider on 127.0.0.1 with its own login and consent
 * pages, the device flow, rotating refresh tokens and RS256 JWT access tokens that carry the
 * mailbox (`email`) and the grant (`gid`). The demo's mail servers accept a token only while its
 * grant exists, so revoking the grant here is seen at once, as at a real provider.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, jwtVerify } from 'jose';
import Provider from 'oidc-provider';

/** The public client the device uses (device flow, authorization code + PKCE with a loopback redirect). */
export const DEMO_CLIENT_ID = 'mail-oauth-demo-device';
/** The scope the demo's mail servers expect. */
export const DEMO_MAIL_SCOPE = 'mail';
const MAIL_RESOURCE = 'urn:mail-oauth:demo:mail';

/** Options of {@link startDemoIssuer}. */
export interface DemoIssuerOptions {
  /** Mailbox users who may sign in (any password is accepted on the demo login page). */
  accounts: readonly string[];
  /** Path of the device web UI's callback route; any loopback port is accepted (RFC 8252). */
  callbackPath: string;
  /** Access token lifetime in seconds. Default 3600. */
  accessTokenTtl?: number;
}

/** A running demo authorization server. */
export interface DemoIssuer {
  /** Issuer URL, `http://127.0.0.1:<port>`. */
  issuer: string;
  /** SPKI PEM of the access-token signing key (for Dovecot's local validation). */
  publicKeyPem: string;
  /** The token check the demo's mail servers use: the mailbox of a valid token whose grant still exists, else `undefined`. */
  verifyAccessToken: (token: string) => Promise<string | undefined>;
  /** A check URL for Dovecot (`introspection_mode = post`): answers `{ active, email }`. */
  introspectionUrl: string;
  /** Revokes every grant of `account`, as "remove app access" at a real provider does. Returns how many. */
  revokeGrants(account: string): Promise<number>;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Starts the demo authorization server on 127.0.0.1 (ephemeral port). */
export async function startDemoIssuer(options: DemoIssuerOptions): Promise<DemoIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = 'demo-rs256';
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const accounts = new Set(options.accounts.map((a) => a.toLowerCase()));
  const grantsOf = new Map<string, Set<string>>();

  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: DEMO_CLIENT_ID,
        client_name: 'mail-oauth demo device',
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
        redirect_uris: [`http://127.0.0.1${options.callbackPath}`],
      },
    ],
    jwks: { keys: [privateJwk] },
    // A fresh random key per run: the demo forgets its sessions on restart anyway.
    cookies: { keys: [Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    scopes: ['openid', 'offline_access', 'email'],
    pkce: { required: () => true },
    rotateRefreshToken: true,
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => MAIL_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: DEMO_MAIL_SCOPE,
          audience: MAIL_RESOURCE,
          accessTokenFormat: 'jwt',
          accessTokenTTL: options.accessTokenTtl ?? 3600,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    ttl: {
      AccessToken: options.accessTokenTtl ?? 3600,
      DeviceCode: 900,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 900,
      Session: 3600,
      Grant: 14 * 86400,
      RefreshToken: 14 * 86400,
    },
    async findAccount(_ctx: unknown, sub: string) {
      const email = sub.toLowerCase();
      if (!accounts.has(email)) return undefined;
      return { accountId: email, claims: () => ({ sub: email, email, email_verified: true }) };
    },
    async extraTokenClaims(_ctx: unknown, token: unknown) {
      const { accountId, grantId } = token as { accountId?: string; grantId?: string };
      if (accountId === undefined) return undefined;
      if (grantId !== undefined) grantsOf.set(accountId, (grantsOf.get(accountId) ?? new Set()).add(grantId));
      return { email: accountId, ...(grantId === undefined ? {} : { gid: grantId }) };
    },
    formats: {
      customizers: {
        // Dovecot's local JWT validation wants exactly `JWT`.
        jwt(_ctx: unknown, _token: unknown, jwt: { header?: Record<string, unknown> }) {
          jwt.header = { ...jwt.header, typ: 'JWT' };
          return jwt;
        },
      },
    },
  });

  const verifyAccessToken = async (token: string): Promise<string | undefined> => {
    try {
      const { payload } = await jwtVerify(token, publicKey, { issuer, audience: MAIL_RESOURCE });
      const email = typeof payload['email'] === 'string' ? payload['email'].toLowerCase() : '';
      const gid = payload['gid'];
      if (!accounts.has(email) || typeof gid !== 'string') return undefined;
      return (await provider.Grant.find(gid)) === undefined ? undefined : email;
    } catch {
      return undefined;
    }
  };

  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url !== '/mail-introspect' || req.method !== 'POST') return void callback(req, res);
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      void verifyAccessToken(new URLSearchParams(body).get('token') ?? '').then((email) => {
        const answer = email === undefined ? { active: false } : { active: true, email, scope: DEMO_MAIL_SCOPE };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
  });

  return {
    issuer,
    publicKeyPem: await exportSPKI(publicKey),
    verifyAccessToken,
    introspectionUrl: `${issuer}/mail-introspect`,
    async revokeGrants(account) {
      const ids = grantsOf.get(account.toLowerCase()) ?? new Set<string>();
      let revoked = 0;
      for (const id of ids) {
        const grant = (await provider.Grant.find(id)) as { destroy(): Promise<void> } | undefined;
        if (grant !== undefined) {
          await grant.destroy();
          revoked++;
        }
      }
      ids.clear();
      return revoked;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
