/**
 * Authorization server metadata by discovery: OpenID Connect Discovery
 * (`/.well-known/openid-configuration`), then RFC 8414 (`/.well-known/oauth-authorization-server`).
 * @packageDocumentation
 */
import { SettingsError } from '../errors.js';
import type { GrantContext } from './types.js';
import { errorFromResponse } from './errors.js';
import { httpRequest, parseJsonObject, protocolError } from './http.js';
import { httpOptions } from './token-endpoint.js';
import type { EndpointOptions } from './token-endpoint.js';

/** The metadata fields mail-oauth uses (RFC 8414 §2, RFC 8628 §4, OpenID Discovery §3). */
export interface AuthorizationServerMetadata {
  /** The issuer identifier; equals the URL it was discovered from. */
  issuer: string;
  /** Token endpoint. */
  token_endpoint: string;
  /** Authorization endpoint (authorization-code flow). */
  authorization_endpoint?: string;
  /** Device authorization endpoint (RFC 8628). */
  device_authorization_endpoint?: string;
  /** Revocation endpoint (RFC 7009). */
  revocation_endpoint?: string;
  /** JWKS of the ID token signing keys. */
  jwks_uri?: string;
  /** Client authentication methods at the token endpoint. */
  token_endpoint_auth_methods_supported?: string[];
  /** Everything else the server published. */
  [name: string]: unknown;
}

const URL_FIELDS = [
  'token_endpoint',
  'authorization_endpoint',
  'device_authorization_endpoint',
  'revocation_endpoint',
  'jwks_uri',
] as const;

/** Options of {@link discover}. */
export interface DiscoveryOptions extends EndpointOptions {
  /**
   * Hosts besides the issuer's own origin that discovered endpoints may name (`login.example.com`
   * or `login.example.com:8443`); they must be reached over HTTPS. Default: none.
   */
  allowedHosts?: readonly string[] | undefined;
}

/**
 * Fetches and validates an issuer's metadata. The document's `issuer` must equal `issuer`
 * exactly (RFC 8414 §3.3) and `token_endpoint` must be present: else `ERR_PROTOCOL`. Every
 * endpoint must share the issuer's origin or name one of `allowedHosts` over HTTPS, else
 * `ERR_PROVIDER_METADATA` (kind `configuration`): the client secret goes to the token endpoint.
 *
 * @example
 * ```ts
 * const metadata = await discover('https://issuer.example.com', context);
 * metadata.device_authorization_endpoint; // 'https://issuer.example.com/device/auth'
 * ```
 */
export async function discover(
  issuer: string,
  context: GrantContext,
  options: DiscoveryOptions = {},
): Promise<AuthorizationServerMetadata> {
  const base = issuer.replace(/\/+$/, '');
  const parsed = new URL(base);
  const candidates = [
    `${base}/.well-known/openid-configuration`,
    `${parsed.origin}/.well-known/oauth-authorization-server${parsed.pathname === '/' ? '' : parsed.pathname}`,
  ];
  let lastError: Error | undefined;
  for (const url of candidates) {
    const res = await httpRequest({ method: 'GET', url, headers: { accept: 'application/json' } }, httpOptions(context, options));
    if (res.status === 404) {
      lastError = errorFromResponse(res, 'discovery endpoint');
      continue;
    }
    if (res.status !== 200) throw errorFromResponse(res, 'discovery endpoint');
    return validate(parseJsonObject(res, 'discovery document'), issuer, options.allowedHosts ?? []);
  }
  throw lastError ?? protocolError('No discovery document');
}

function validate(json: Record<string, unknown>, issuer: string, allowedHosts: readonly string[]): AuthorizationServerMetadata {
  if (json.issuer !== issuer && json.issuer !== issuer.replace(/\/+$/, '')) {
    throw protocolError('The discovery document names another issuer');
  }
  for (const field of URL_FIELDS) {
    const value = json[field];
    if (value !== undefined && typeof value !== 'string') throw protocolError(`The discovery document's ${field} is not a string`);
  }
  if (typeof json.token_endpoint !== 'string') throw protocolError('The discovery document has no token_endpoint');
  const origin = new URL(issuer).origin;
  const allowed = new Set(allowedHosts.map((h) => h.toLowerCase()));
  for (const field of URL_FIELDS) {
    const value = json[field];
    if (typeof value === 'string') assertTrustedEndpoint(field, value, origin, allowed);
  }
  return json as AuthorizationServerMetadata;
}

function assertTrustedEndpoint(field: string, value: string, issuerOrigin: string, allowed: ReadonlySet<string>): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url !== undefined) {
    if (url.origin === issuerOrigin) return;
    if (url.protocol === 'https:' && (allowed.has(url.host) || allowed.has(url.hostname))) return;
  }
  const shown = url === undefined ? 'an invalid URL' : url.origin;
  throw new SettingsError(
    'ERR_PROVIDER_METADATA',
    `The discovery document's ${field} points to ${shown}, outside the issuer ${issuerOrigin}; list the host in allowedHosts if it is trusted`,
    {
      kind: 'configuration',
      params: { field, origin: shown },
    },
  );
}
