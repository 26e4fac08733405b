/**
 * The one implementation of {@link ProviderAdapter} behind `microsoft365()`, `google()` and
 * `oidc()`: each factory describes its provider as a {@link ProviderProfile}; the grants, the
 * ID token and account checks, single use of redirects and error handling live here once.
 * @packageDocumentation
 */
import type { MailOAuthError } from '../errors.js';
import { AuthorizationError, OAuthError, SettingsError, TokenStateError } from '../errors.js';
import type { ClientAuth, ClientCertificate } from '../oauth/client-auth.js';
import { clientCredentialsGrant } from '../oauth/client-credentials.js';
import { authorizationEnded, pollDeviceToken, startDeviceAuthorization } from '../oauth/device-code.js';
import {
  assertRedirectUri,
  createAuthorizationRequest,
  exchangeAuthorizationCode,
  readAuthorizationResponse,
} from '../oauth/authorization-code.js';
import type { HintResolver } from '../oauth/errors.js';
import { assertAccountOfClaims, verifyIdToken } from '../oauth/id-token.js';
import type { AccountClaimRule, JwksSource } from '../oauth/id-token.js';
import type { ServiceAccountKey } from '../oauth/jwt-bearer.js';
import { jwtBearerGrant } from '../oauth/jwt-bearer.js';
import { refreshTokenGrant } from '../oauth/refresh.js';
import { revokeToken } from '../oauth/revocation.js';
import type { EndpointOptions } from '../oauth/token-endpoint.js';
import type { ParsedTokenResponse } from '../oauth/token-response.js';
import type { Flow, RedirectPending, TokenSet } from '../oauth/types.js';
import type { Protocol } from '../settings/types.js';
import type { AuthorizationRequest, GrantContext, MailServer, ProviderAdapter } from './types.js';

/**
 * HTTP tuning every provider factory accepts.
 * @category Providers
 */
export interface ProviderHttpOptions {
  /** Overall deadline of one request in milliseconds. Default 30 000. */
  timeoutMs?: number;
  /** Largest accepted answer in bytes. Default 1 048 576. */
  maxBodyBytes?: number;
  /**
   * Shortest token lifetime (`expires_in`) accepted, in milliseconds. Default 30 000: a shorter
   * one is a protocol error, since the device would have to renew it at once.
   */
  minTokenLifetimeMs?: number;
}

/** A provider's endpoints, static or discovered. @internal */
export interface ProviderEndpoints {
  /** Token endpoint. */
  token: string;
  /** Authorization endpoint. */
  authorization?: string | undefined;
  /** Device authorization endpoint. */
  device?: string | undefined;
  /** Revocation endpoint (RFC 7009); absent → deleting is local only. */
  revocation?: string | undefined;
  /** Expected ID token issuer(s); a single string may contain `{tenantid}`. */
  issuer: string | readonly string[];
  /** The issuer advertises `authorization_response_iss_parameter_supported` (RFC 9207): a redirect without `iss` is refused. */
  issParameterSupported?: boolean | undefined;
}

/** Everything that makes one provider differ from another. @internal */
export interface ProviderProfile {
  id: string;
  clientId: string;
  client: ClientAuth;
  flows: readonly Flow[];
  defaultFlow: Flow;
  endpoints(context: GrantContext): Promise<ProviderEndpoints>;
  jwks: JwksSource;
  /** Delegated mail scopes of a protocol. */
  mailScopes(protocol: Protocol): readonly string[];
  /** Scopes for identity and a refresh token (`openid email offline_access`). */
  identityScopes: readonly string[];
  /** App-only scope (client credentials). */
  appScope?(protocol: Protocol): string;
  /** Extra authorization request parameters (`prompt`, `access_type`). */
  authorizationParams?: Readonly<Record<string, string>>;
  /** Extra parameters on every token request (RFC 8707 `resource`). */
  tokenParams?: Readonly<Record<string, string>>;
  /** Whether a refresh sends the scopes again (Microsoft v2 wants them). */
  refreshWithScope?: boolean;
  /** A single-tenant's GUID the ID token's `tid` must match. */
  tenantId?: string | undefined;
  /** Which ID token claims name the signed-in account. Default `email`. */
  accountClaims?: AccountClaimRule | undefined;
  serviceAccount?: ServiceAccountKey | undefined;
  hint?: HintResolver | undefined;
  http?: ProviderHttpOptions | undefined;
  mailServer(protocol: Protocol): MailServer | undefined;
  /** Refuses a flow with a provider-specific explanation, before any request. */
  refuse?(flow: Flow, protocol: Protocol): MailOAuthError | undefined;
}

/** How many completed redirect authorizations are remembered to refuse a second use. */
const USED_STATES_LIMIT = 256;

/** Builds a {@link ProviderAdapter} from a profile. @internal */
export function createProviderAdapter(profile: ProviderProfile): ProviderAdapter {
  const used = new Set<string>();
  const endpointOptions = (): EndpointOptions => ({
    hint: profile.hint,
    timeoutMs: profile.http?.timeoutMs,
    maxBodyBytes: profile.http?.maxBodyBytes,
    minTokenLifetimeMs: profile.http?.minTokenLifetimeMs,
  });
  const delegatedScope = (protocol: Protocol): string => [...profile.identityScopes, ...profile.mailScopes(protocol)].join(' ');

  const assertFlow = (flow: Flow, protocol: Protocol): void => {
    const refused = profile.refuse?.(flow, protocol);
    if (refused !== undefined) throw refused;
    if (!profile.flows.includes(flow)) {
      throw new AuthorizationError('ERR_FLOW_UNSUPPORTED', `The provider ${profile.id} is not set up for the ${flow} flow`, {
        kind: 'configuration',
        params: { flow, provider: profile.id },
      });
    }
  };

  const noEndpoint = (flow: Flow): AuthorizationError =>
    new AuthorizationError('ERR_FLOW_UNSUPPORTED', `The provider ${profile.id} offers no endpoint for the ${flow} flow`, {
      kind: 'configuration',
      params: { flow, provider: profile.id },
    });
  const requireEndpoint = (url: string | undefined, flow: Flow): string => {
    if (url !== undefined) return url;
    throw noEndpoint(flow);
  };

  /** Checks the ID token and the signed-in account; only then are the tokens returned. */
  const finishInteractive = async (
    parsed: ParsedTokenResponse,
    request: AuthorizationRequest,
    nonce: string | undefined,
    context: GrantContext,
    callbackIssuer?: string,
  ): Promise<TokenSet> => {
    if (parsed.idToken === undefined) {
      throw new AuthorizationError('ERR_ID_TOKEN', 'The provider sent no ID token; the signed-in account cannot be checked', {
        kind: 'definite',
      });
    }
    const endpoints = await profile.endpoints(context);
    const claims = await verifyIdToken(
      parsed.idToken,
      profile.jwks,
      { issuer: endpoints.issuer, audience: profile.clientId, nonce, tenantId: profile.tenantId },
      context,
    );
    // A templated issuer let the redirect's `iss` pass on its shape only; the tenant is known now.
    if (
      callbackIssuer !== undefined &&
      typeof endpoints.issuer === 'string' &&
      endpoints.issuer.includes('{tenantid}') &&
      claims.iss !== callbackIssuer
    ) {
      throw new AuthorizationError('ERR_ID_TOKEN', "The ID token's tenant is not the tenant the redirect named (RFC 9207)", {
        kind: 'definite',
      });
    }
    const tokens = { ...parsed.tokens };
    tokens.account = assertAccountOfClaims(request.account, claims, profile.accountClaims);
    return tokens;
  };

  const appOnly = async (flow: Flow, request: AuthorizationRequest, context: GrantContext): Promise<TokenSet> => {
    const endpoints = await profile.endpoints(context);
    if (flow === 'jwt-bearer') {
      if (profile.serviceAccount === undefined) throw noEndpoint(flow);
      const parsed = await jwtBearerGrant(
        profile.serviceAccount,
        request.account,
        profile.mailScopes(request.protocol).join(' '),
        context,
        endpointOptions(),
      );
      return parsed.tokens;
    }
    const scope = profile.appScope?.(request.protocol) ?? profile.mailScopes(request.protocol).join(' ');
    const parsed = await clientCredentialsGrant(endpoints.token, profile.client, scope, context, {
      ...endpointOptions(),
      extraParams: profile.tokenParams,
    });
    return { ...parsed.tokens, account: request.account };
  };

  return {
    id: profile.id,
    flows: profile.flows,
    defaultFlow: profile.defaultFlow,
    mailServer: (protocol) => profile.mailServer(protocol),

    async startAuthorization(request, context) {
      assertFlow(request.flow, request.protocol);
      if (request.flow === 'client-credentials' || request.flow === 'jwt-bearer') {
        return { kind: 'tokens', tokens: await appOnly(request.flow, request, context) };
      }
      // Checked before any request: a bad redirect URI would otherwise surface only when the callback arrives.
      if (request.flow === 'authorization-code' && request.redirectUri !== undefined) assertRedirectUri(request.redirectUri);
      const endpoints = await profile.endpoints(context);
      // Keys are fetched now: after a device poll succeeds, a failed key fetch would lose the tokens.
      await profile.jwks.warm(context).catch(() => undefined);
      if (request.flow === 'device-code') {
        const pending = await startDeviceAuthorization(
          requireEndpoint(endpoints.device, request.flow),
          profile.client,
          delegatedScope(request.protocol),
          context,
          { ...endpointOptions(), extraParams: profile.tokenParams },
        );
        return { kind: 'pending', pending };
      }
      if (request.redirectUri === undefined) {
        throw new SettingsError('ERR_INVALID_OPTION', 'The authorization-code flow needs a redirect URI', {
          kind: 'usage',
          params: { option: 'redirectUri' },
        });
      }
      const pending = createAuthorizationRequest({
        authorizationEndpoint: requireEndpoint(endpoints.authorization, request.flow),
        clientId: profile.clientId,
        redirectUri: request.redirectUri,
        scope: delegatedScope(request.protocol),
        extraParams: { ...profile.authorizationParams, ...profile.tokenParams, login_hint: request.account },
        now: context.clock.now(),
      });
      return { kind: 'pending', pending };
    },

    async pollDeviceAuthorization(pending, request, context) {
      assertFlow('device-code', request.protocol);
      const endpoints = await profile.endpoints(context);
      const result = await pollDeviceToken(endpoints.token, profile.client, pending, context, endpointOptions());
      if (result.kind !== 'tokens') return result;
      // The device code is spent once tokens arrived: a failed check must not lead to another poll.
      const tokens = await finishInteractive(result, request, undefined, context).catch((err: unknown) => {
        throw authorizationEnded(err);
      });
      return { kind: 'tokens', tokens };
    },

    async completeAuthorization(pending: RedirectPending, callbackUrl, request, context) {
      if (used.has(pending.state)) {
        throw new TokenStateError('ERR_AUTHORIZATION_NOT_PENDING', 'This authorization was already completed; press Get Token again', {
          kind: 'usage',
        });
      }
      const endpoints = await profile.endpoints(context);
      let response: { code: string; issuer: string | undefined };
      try {
        response = readAuthorizationResponse(pending, callbackUrl, context.clock.now(), {
          issuer: endpoints.issuer,
          required: endpoints.issParameterSupported,
          tenantId: profile.tenantId,
        });
      } catch (err) {
        // A provider's error ends this authorization; a forged or mistyped URL does not.
        if (err instanceof OAuthError) remember(used, pending.state);
        throw err;
      }
      remember(used, pending.state);
      const parsed = await exchangeAuthorizationCode(endpoints.token, profile.client, pending, response.code, context, {
        ...endpointOptions(),
        extraParams: profile.tokenParams,
      });
      return finishInteractive(parsed, request, pending.nonce, context, response.issuer);
    },

    async refresh(tokens, request, context) {
      if (tokens.flow === 'client-credentials' || tokens.flow === 'jwt-bearer') {
        return appOnly(tokens.flow, request, context);
      }
      const endpoints = await profile.endpoints(context);
      const parsed = await refreshTokenGrant(endpoints.token, profile.client, tokens, context, {
        ...endpointOptions(),
        extraParams: profile.tokenParams,
        scope: profile.refreshWithScope === true ? delegatedScope(request.protocol) : undefined,
      });
      return parsed.tokens;
    },

    async revoke(tokens, context) {
      const endpoints = await profile.endpoints(context);
      if (endpoints.revocation === undefined) return;
      const [token, hint] =
        tokens.refreshToken === undefined ? [tokens.accessToken, 'access_token' as const] : [tokens.refreshToken, 'refresh_token' as const];
      await revokeToken(endpoints.revocation, profile.client, token, hint, context, endpointOptions());
    },
  };
}

function remember(used: Set<string>, state: string): void {
  used.add(state);
  if (used.size > USED_STATES_LIMIT) {
    const oldest = used.values().next().value;
    if (oldest !== undefined) used.delete(oldest);
  }
}

/** Builds the client authentication from a factory's credentials. @internal */
export function clientAuthOf(
  clientId: string,
  credentials: { clientSecret?: string | undefined; certificate?: ClientCertificate | undefined },
  secretMethod: 'client_secret_post' | 'client_secret_basic',
): ClientAuth {
  if (credentials.certificate !== undefined) return { method: 'private_key_jwt', clientId, certificate: credentials.certificate };
  if (credentials.clientSecret !== undefined) return { method: secretMethod, clientId, clientSecret: credentials.clientSecret };
  return { method: 'none', clientId };
}

/** Validates a required non-empty string option. @internal */
export function requireOption(value: unknown, option: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new SettingsError('ERR_INVALID_OPTION', `The option ${option} is required`, { params: { option } });
  }
  return value;
}
