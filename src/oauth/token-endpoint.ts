/**
 * One POST to a token-style endpoint (token, device authorization, revocation): client
 * authentication applied, form-encoded body, JSON answer, errors classified.
 * @packageDocumentation
 */
import type { GrantContext } from './types.js';
import { applyClientAuth } from './client-auth.js';
import type { ClientAuth } from './client-auth.js';
import { errorFromResponse } from './errors.js';
import type { HintResolver } from './errors.js';
import { httpRequest, parseJsonObject } from './http.js';
import type { HttpOptions, HttpResponse } from './http.js';
import { redactError, redactor, sentSecrets } from './redact.js';
import type { Redact } from './redact.js';

/** Per-request tuning shared by every grant. */
export interface EndpointOptions {
  /** Administrator hints for provider errors (Microsoft: the AADSTS table). */
  hint?: HintResolver | undefined;
  /** Overall deadline per request in milliseconds. Default 30 000. */
  timeoutMs?: number | undefined;
  /** Largest accepted answer in bytes. Default 1 MiB. */
  maxBodyBytes?: number | undefined;
  /** Shortest accepted token lifetime (`expires_in`) in milliseconds. Default 30 000. */
  minTokenLifetimeMs?: number | undefined;
}

/** The {@link HttpOptions} of a grant call. @internal */
export function httpOptions(context: GrantContext, options: EndpointOptions = {}): HttpOptions {
  return {
    dispatcher: context.dispatcher,
    signal: context.signal,
    timeoutMs: options.timeoutMs,
    maxBodyBytes: options.maxBodyBytes,
    now: () => context.clock.now(),
  };
}

/**
 * Sends a client-authenticated form POST and hands the response to `handle`. This is the one
 * place that knows what was sent: `handle` receives a {@link Redact} for the errors it builds,
 * and any error it (or the request) throws leaves with every sent secret removed from message,
 * stack, fields and cause chain. @internal
 */
export async function postForm<T>(
  url: string,
  params: Record<string, string>,
  client: ClientAuth | undefined,
  context: GrantContext,
  options: EndpointOptions,
  handle: (res: HttpResponse, redact: Redact) => T | Promise<T>,
): Promise<T> {
  const body = new URLSearchParams(params);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (client !== undefined) await applyClientAuth(client, body, headers, url, context.clock.now());
  const redact = redactor(sentSecrets(body, headers));
  try {
    const res = await httpRequest({ method: 'POST', url, headers, body: body.toString() }, httpOptions(context, options));
    return await handle(res, redact);
  } catch (err) {
    throw redactError(err, redact);
  }
}

/**
 * POSTs a grant to a token endpoint and returns `parse` applied to the successful JSON answer;
 * any other answer is thrown as a classified error (see {@link errorFromResponse}). Errors from
 * `parse` are redacted like the endpoint's own.
 *
 * @example
 * ```ts
 * const parsed = await tokenGrant(tokenUrl, { grant_type: 'refresh_token', refresh_token }, client, context, {},
 *   (json) => parseTokenResponse(json, { flow: 'device-code', now: Date.now() }));
 * ```
 */
export function tokenGrant<T>(
  url: string,
  params: Record<string, string>,
  client: ClientAuth | undefined,
  context: GrantContext,
  options: EndpointOptions,
  parse: (json: Record<string, unknown>) => T,
): Promise<T> {
  return postForm(url, params, client, context, options, (res, redact) => {
    if (res.status !== 200) throw errorFromResponse(res, 'token endpoint', options.hint, redact);
    return parse(parseJsonObject(res, 'token response'));
  });
}

/**
 * POSTs a grant to a token endpoint and returns the successful JSON answer; any other answer
 * is thrown as a classified error (see {@link errorFromResponse}).
 *
 * @example
 * ```ts
 * const json = await tokenEndpointRequest(tokenUrl, { grant_type: 'refresh_token', refresh_token }, client, context);
 * ```
 */
export function tokenEndpointRequest(
  url: string,
  params: Record<string, string>,
  client: ClientAuth | undefined,
  context: GrantContext,
  options: EndpointOptions = {},
): Promise<Record<string, unknown>> {
  return tokenGrant(url, params, client, context, options, (json) => json);
}
