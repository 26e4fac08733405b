/**
 * Client authentication at the token endpoint: public client (`none`), client secret
 * (`client_secret_post` / `client_secret_basic`, RFC 6749 §2.3.1), and a certificate through a
 * signed client assertion (`private_key_jwt`, RFC 7523 §2.2, with `x5t#S256`).
 * @packageDocumentation
 */
import { createHash, createPrivateKey, randomUUID, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { loadJose } from '../lib/lazy.js';
import { SettingsError } from '../errors.js';

/**
 * A certificate credential of a confidential client (Microsoft app-only access).
 * @category Providers
 */
export interface ClientCertificate {
  /** The private key: PEM (PKCS#8 or PKCS#1) or a `KeyObject`. */
  privateKey: string | KeyObject;
  /** The certificate registered at the provider, PEM. Its SHA-256 thumbprint goes into `x5t#S256`. */
  certificate: string;
  /** Signature algorithm of the assertion. Default `PS256` for RSA keys, `ES256` for EC keys. */
  algorithm?: 'RS256' | 'PS256' | 'ES256';
}

/** How the client proves its identity at the token endpoint. */
export type ClientAuth =
  | { method: 'none'; clientId: string }
  | { method: 'client_secret_post' | 'client_secret_basic'; clientId: string; clientSecret: string }
  | { method: 'private_key_jwt'; clientId: string; certificate: ClientCertificate };

/** Lifetime of a client assertion: 5 minutes. */
const ASSERTION_TTL_S = 300;

/**
 * Adds the client's credentials to a token-endpoint request (body parameters or an
 * `Authorization` header). `audience` is the token endpoint URL (the assertion's `aud`).
 *
 * @example
 * ```ts
 * const body = new URLSearchParams({ grant_type: 'client_credentials' });
 * const headers: Record<string, string> = {};
 * await applyClientAuth({ method: 'client_secret_post', clientId, clientSecret }, body, headers, tokenUrl, Date.now());
 * ```
 */
export async function applyClientAuth(
  auth: ClientAuth,
  body: URLSearchParams,
  headers: Record<string, string>,
  audience: string,
  nowMs: number,
): Promise<void> {
  switch (auth.method) {
    case 'none':
      body.set('client_id', auth.clientId);
      return;
    case 'client_secret_post':
      body.set('client_id', auth.clientId);
      body.set('client_secret', auth.clientSecret);
      return;
    case 'client_secret_basic': {
      const user = encodeURIComponent(auth.clientId);
      const pass = encodeURIComponent(auth.clientSecret);
      headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
      return;
    }
    case 'private_key_jwt':
      body.set('client_id', auth.clientId);
      body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      body.set('client_assertion', await signClientAssertion(auth.clientId, auth.certificate, audience, nowMs));
      return;
  }
}

/**
 * Signs an RFC 7523 client assertion (`iss` = `sub` = client id, `aud` = token endpoint,
 * unique `jti`, 5-minute lifetime) with the certificate's key; the header carries
 * `x5t#S256` (and `x5t`, which Microsoft's v2 endpoint still reads).
 *
 * @example
 * ```ts
 * const assertion = await signClientAssertion(clientId, { privateKey, certificate }, tokenUrl, Date.now());
 * ```
 */
export async function signClientAssertion(clientId: string, cert: ClientCertificate, audience: string, nowMs: number): Promise<string> {
  const key = loadPrivateKey(cert.privateKey);
  const der = certificateDer(cert.certificate);
  const alg = cert.algorithm ?? (key.asymmetricKeyType === 'ec' ? 'ES256' : 'PS256');
  const iat = Math.floor(nowMs / 1000);
  const { SignJWT } = await loadJose();
  return new SignJWT({})
    .setProtectedHeader({
      alg,
      typ: 'JWT',
      'x5t#S256': createHash('sha256').update(der).digest('base64url'),
      x5t: createHash('sha1').update(der).digest('base64url'),
    })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(audience)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + ASSERTION_TTL_S)
    .sign(key);
}

/** Parses a private key option, as a configuration error when it is unusable. @internal */
export function loadPrivateKey(key: string | KeyObject): KeyObject {
  if (typeof key !== 'string') return key;
  try {
    return createPrivateKey(key);
  } catch (err) {
    throw new SettingsError('ERR_INVALID_OPTION', 'The private key is not a valid PEM private key', {
      cause: err,
      params: { option: 'privateKey' },
    });
  }
}

function certificateDer(pem: string): Buffer {
  try {
    return new X509Certificate(pem).raw;
  } catch (err) {
    throw new SettingsError('ERR_INVALID_OPTION', 'The certificate is not a valid PEM X.509 certificate', {
      cause: err,
      params: { option: 'certificate' },
    });
  }
}
