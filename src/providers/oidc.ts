/**
 * Any standards-compliant OAuth 2.0 / OpenID Connect issuer, configured by discovery
 * (OpenID Discovery, RFC 8414). Also what the tests use against a local authorization server.
 * @packageDocumentation
 */
import type { ClientCertificate } from '../oauth/client-auth.js';
import { discover } from '../oauth/discovery.js';
import type { AuthorizationServerMetadata } from '../oauth/discovery.js';
import { remoteJwks } from '../oauth/id-token.js';
import { protocolError } from '../oauth/http.js';
import type { Flow } from '../oauth/types.js';
import type { Protocol } from '../settings/types.js';
import { clientAuthOf, createProviderAdapter, requireOption } from './adapter.js';
import type { ProviderEndpoints, ProviderHttpOptions } from './adapter.js';
import type { GrantContext, MailServer, ProviderAdapter } from './types.js';

/**
 * Scopes per mail protocol: a space-separated string or a list.
 * @category Providers
 */
export type ScopeList = string | readonly string[];

/**
 * Options of {@link oidc}.
 * @category Providers
 */
export interface OidcOptions {
  /** The id a page's `provider` setting names. */
  id: string;
  /** The issuer identifier (its metadata is discovered under `/.well-known/`). */
  issuer: string;
  /**
   * Hosts other than the issuer's origin that its discovered endpoints may use (`auth.example.com`,
   * or with a port `auth.example.com:8443`), over HTTPS only. Default: none — an endpoint on any
   * other origin is refused with `ERR_PROVIDER_METADATA`, so that a discovery document cannot send
   * the client secret or the user's tokens elsewhere.
   */
  allowedHosts?: readonly string[];
  /** Client id. */
  clientId: string;
  /** Client secret of a confidential client (enables client credentials). */
  clientSecret?: string;
  /** Certificate credential (`private_key_jwt`; enables client credentials). */
  certificate?: ClientCertificate;
  /** How a secret is sent: `client_secret_basic` (default, RFC 6749 §2.3.1) or `client_secret_post`. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /** The mail scopes of each protocol. */
  scopes: {
    /** Scopes for sending (SMTP). */
    smtp: ScopeList;
    /** Scopes for reading over POP3. */
    pop3: ScopeList;
    /** Scopes for reading over IMAP. */
    imap: ScopeList;
  };
  /** RFC 8707 resource indicator sent with every grant. */
  resource?: string;
  /** The flows offered. Default: device code and authorization code, plus client credentials with a credential. */
  flows?: readonly Flow[];
  /** The mail servers of the provider, to pre-fill pages. */
  mailServers?: Partial<Record<Protocol, MailServer>>;
  /** HTTP tuning. */
  http?: ProviderHttpOptions;
}

/**
 * A provider adapter for any OAuth 2.0 / OIDC issuer. Endpoints come from discovery on first
 * use (a failed discovery is retried on the next call). Device code needs the issuer's
 * `device_authorization_endpoint`; deleting a token revokes it when a `revocation_endpoint` exists.
 *
 * @example
 * ```ts
 * const provider = oidc({ id: 'corp', issuer: 'https://login.corp.example', clientId: 'printer',
 *   scopes: { smtp: 'mail.send', pop3: 'mail.read', imap: 'mail.read' } });
 * ```
 * @category Providers
 */
export function oidc(options: OidcOptions): ProviderAdapter {
  const id = requireOption(options.id, 'id');
  const issuer = requireOption(options.issuer, 'issuer');
  const clientId = requireOption(options.clientId, 'clientId');
  const confidential = options.clientSecret !== undefined || options.certificate !== undefined;
  const flows: readonly Flow[] =
    options.flows ?? (confidential ? ['device-code', 'authorization-code', 'client-credentials'] : ['device-code', 'authorization-code']);
  let metadata: Promise<AuthorizationServerMetadata> | undefined;
  const load = (context: GrantContext): Promise<AuthorizationServerMetadata> => {
    if (metadata === undefined) {
      metadata = discover(issuer, context, { ...options.http, allowedHosts: options.allowedHosts });
      metadata.catch(() => {
        metadata = undefined;
      });
    }
    return metadata;
  };
  const endpoints = async (context: GrantContext): Promise<ProviderEndpoints> => {
    const m = await load(context);
    return {
      token: m.token_endpoint,
      authorization: m.authorization_endpoint,
      device: m.device_authorization_endpoint,
      revocation: m.revocation_endpoint,
      issuer: m.issuer,
      issParameterSupported: m.authorization_response_iss_parameter_supported === true,
    };
  };
  const scopeMap: Readonly<Record<Protocol, ScopeList>> = {
    smtp: options.scopes.smtp,
    pop3: options.scopes.pop3,
    imap: options.scopes.imap,
  };
  const list = (scopes: ScopeList): readonly string[] => (typeof scopes === 'string' ? scopes.split(/\s+/).filter(Boolean) : scopes);
  return createProviderAdapter({
    id,
    clientId,
    client: clientAuthOf(clientId, options, options.tokenEndpointAuthMethod ?? 'client_secret_basic'),
    flows,
    defaultFlow: flows.includes('device-code') ? 'device-code' : (flows[0] ?? 'authorization-code'),
    endpoints,
    jwks: remoteJwks(async (context) => {
      const uri = (await load(context)).jwks_uri;
      if (uri === undefined) throw protocolError('The issuer publishes no jwks_uri');
      return uri;
    }),
    mailScopes: (protocol) => list(scopeMap[protocol]),
    identityScopes: ['openid', 'email', 'offline_access'],
    authorizationParams: { prompt: 'consent' },
    ...(options.resource === undefined ? {} : { tokenParams: { resource: options.resource } }),
    http: options.http,
    mailServer: (protocol) => options.mailServers?.[protocol],
  });
}
