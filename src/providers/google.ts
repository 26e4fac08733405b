/**
 * Google (Gmail, Google Workspace). The device flow cannot grant the Gmail scope, so Google
 * uses the authorization-code flow (a desktop client with a loopback redirect or a pasted
 * redirect URL) or, in Workspace, a service account with domain-wide delegation.
 * @packageDocumentation
 */
import { AuthorizationError } from '../errors.js';
import type { ServiceAccountKey } from '../oauth/jwt-bearer.js';
import { remoteJwks } from '../oauth/id-token.js';
import type { Flow } from '../oauth/types.js';
import type { Protocol } from '../settings/types.js';
import { clientAuthOf, createProviderAdapter, requireOption } from './adapter.js';
import type { ProviderHttpOptions } from './adapter.js';
import type { MailServer, ProviderAdapter } from './types.js';

/**
 * Options of {@link google}.
 * @category Providers
 */
export interface GoogleOptions {
  /** OAuth client id (a "Desktop app" client for the loopback or pasted redirect). */
  clientId: string;
  /** The client secret Google issues even to desktop clients. */
  clientSecret?: string;
  /** A Workspace service account key (JSON) with domain-wide delegation: enables the `jwt-bearer` flow. */
  serviceAccount?: ServiceAccountKey;
  /** HTTP tuning. */
  http?: ProviderHttpOptions;
}

const SERVERS: Readonly<Record<Protocol, MailServer>> = {
  smtp: { host: 'smtp.gmail.com', port: 465, security: 'tls' },
  pop3: { host: 'pop.gmail.com', port: 995, security: 'tls' },
  imap: { host: 'imap.gmail.com', port: 993, security: 'tls' },
};

/**
 * The Google provider adapter (id `google`). Flows: authorization code + PKCE (default, with
 * `access_type=offline` and `prompt=consent` so a refresh token is issued) and, with a service
 * account, `jwt-bearer`. The device flow is refused with `ERR_FLOW_UNSUPPORTED` before any request.
 * Deleting a token revokes it at Google.
 *
 * @example
 * ```ts
 * const providers = [google({ clientId: '…apps.googleusercontent.com', clientSecret: process.env.GOOGLE_SECRET })];
 * ```
 * @category Providers
 */
export function google(options: GoogleOptions): ProviderAdapter {
  const clientId = requireOption(options.clientId, 'clientId');
  const flows: Flow[] = ['authorization-code'];
  if (options.serviceAccount !== undefined) flows.push('jwt-bearer');
  const endpoints = {
    token: 'https://oauth2.googleapis.com/token',
    authorization: 'https://accounts.google.com/o/oauth2/v2/auth',
    revocation: 'https://oauth2.googleapis.com/revoke',
    issuer: ['https://accounts.google.com', 'accounts.google.com'],
  };
  return createProviderAdapter({
    id: 'google',
    clientId,
    client: clientAuthOf(clientId, options, 'client_secret_post'),
    flows,
    defaultFlow: 'authorization-code',
    endpoints: async () => endpoints,
    jwks: remoteJwks('https://www.googleapis.com/oauth2/v3/certs'),
    mailScopes: () => ['https://mail.google.com/'],
    identityScopes: ['openid', 'email'],
    authorizationParams: { access_type: 'offline', prompt: 'consent' },
    serviceAccount: options.serviceAccount,
    http: options.http,
    mailServer: (protocol) => SERVERS[protocol],
    refuse(flow) {
      if (flow !== 'device-code') return undefined;
      return new AuthorizationError('ERR_FLOW_UNSUPPORTED', "Google's device flow cannot grant access to Gmail", {
        kind: 'configuration',
        params: { flow, provider: 'google' },
        hint: 'Use the authorization-code flow (sign in through the browser), or a Workspace service account.',
      });
    },
  });
}
