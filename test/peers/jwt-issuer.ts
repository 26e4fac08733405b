/**
 * Mints RS256 JWT access tokens with jose for the mail-server peers (Dovecot validates them
 * locally; the smtp-server peer verifies them with jose). Independent of the oidc-provider peer,
 * so transport tests can make expired or wrong-account tokens at will.
 */
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

export interface JwtIssuer {
  issuer: string;
  kid: string;
  publicKeyPem: string;
  publicKey: CryptoKey;
  /** A token for `email`; `expiresIn` seconds (negative → already expired). */
  mint(email: string, options?: { expiresIn?: number; typ?: string }): Promise<string>;
}

export async function createJwtIssuer(issuer = 'https://issuer.mail-oauth.test'): Promise<JwtIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const kid = `kid-${Math.random().toString(36).slice(2, 10)}`;
  return {
    issuer,
    kid,
    publicKey,
    publicKeyPem: await exportSPKI(publicKey),
    async mint(email, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const expiresIn = options.expiresIn ?? 600;
      return new SignJWT({ email, scope: 'mail' })
        .setProtectedHeader({ alg: 'RS256', kid, typ: options.typ ?? 'JWT' })
        .setIssuer(issuer)
        .setSubject(email)
        .setAudience('urn:mail-oauth:test:mail')
        .setIssuedAt(expiresIn < 0 ? now + expiresIn - 60 : now)
        .setExpirationTime(now + expiresIn)
        .sign(privateKey);
    },
  };
}
