/**
 * One POST to a token-style endpoint (token, device authorization, revocation): client
 * authentication applied, form-encoded body, JSON answer, errors classified.
 * @packageDocumentation
 */
import type { GrantContext } from '../providers/types.js';
import { applyClientAuth } from './client-auth.js';
import type { ClientAuth } from './client-auth.js';
import { errorFromResponse } from './errors.js';
import type { HintResolver } from './errors.js';
import { httpRequest, parseJsonObject } from './http.js';
import type { HttpOptions, HttpResponse } from './http.js';

/** Per-request tuning shared by every grant. */
export interface EndpointOptions {
  /** Administrator hints for provider errors (Microsoft: the AADSTS table). */
  hint?: HintResolver | undefined;
  /** Overall deadline per request in milliseconds. Default 30 000. */
  timeoutMs?: number | undefined;
  /** Largest accepted answer in bytes. Default 1 MiB. */
  maxBodyBytes?: number | undefined;
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

/** Sends a client-authenticated form POST and returns the raw response. @internal */
export async function postForm(
  url: string,
  params: Record<string, string>,
  client: ClientAuth | undefined,
  context: GrantContext,
  options: EndpointOptions = {},
): Promise<HttpResponse> {
  const body = new URLSearchParams(params);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (client !== undefined) await applyClientAuth(client, body, headers, url, context.clock.now());
  return httpRequest({ method: 'POST', url, headers, body: body.toString() }, httpOptions(context, options));
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
export async function tokenEndpointRequest(
  url: string,
  params: Record<string, string>,
  client: ClientAuth | undefined,
  context: GrantContext,
  options: EndpointOptions = {},
): Promise<Record<string, unknown>> {
  const res = await postForm(url, params, client, context, options);
  if (res.status !== 200) throw errorFromResponse(res, 'token endpoint', options.hint);
  return parseJsonObject(res, 'token response');
}
