/**
 * A hostile OpenID issuer on 127.0.0.1: discovery, JWKS, device authorization, token and
 * revocation endpoints that put EVERY request they receive (request line, headers including
 * `Authorization` and its decoded Basic credentials, raw and decoded body) into their error
 * answers — in `error_description`, `error_uri`, and as the whole body of a 400/500 — the way a
 * careless endpoint, proxy or WAF does. Each endpoint's behaviour is scripted per test.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/** One request the issuer received. */
export interface HostileRequest {
  path: string;
  /** Form body parameters. */
  params: Record<string, string>;
  /** Lower-case request headers. */
  headers: Record<string, string>;
}

/** What the token endpoint answers to a grant. */
export type TokenScript =
  | 'ok'
  /** RFC 8628 `authorization_pending`, echoing the request. */
  | 'pending'
  /** 400 `invalid_grant`, echoing the request in `error_description` and `error_uri`. */
  | 'invalid-grant-echo'
  /** 401 `invalid_client` with an AADSTS number, echoing the request. */
  | 'invalid-client-echo'
  /** 500 whose whole `text/plain` body is the echo. */
  | 'plain-500-echo'
  /** 400 whose whole JSON-typed body is the echo (not JSON). */
  | 'json-400-echo'
  /** 200 with tokens that live 1 ms. */
  | 'short-lived'
  /** 200 without an access token, the echo in `token_type`. */
  | 'bad-200-echo';

export interface HostileIssuerOptions {
  clientId: string;
  /** The account the ID token names. */
  account: string;
  /** The device response's `interval` in seconds (omitted when undefined). */
  interval?: number;
}

export interface HostileIssuer {
  issuer: string;
  /** Every request, in order. */
  requests: HostileRequest[];
  /** Requests at the token endpoint with this grant type. */
  grants(grantType: string): HostileRequest[];
  /** The next answers of the token endpoint per grant type; when a queue is empty, `fallback[grant]` or 'ok'. */
  script: Record<string, TokenScript[]>;
  fallback: Record<string, TokenScript>;
  /** What the revocation endpoint answers: 'ok' (200) or an echo. */
  revocation: 'ok' | 'invalid-grant-echo' | 'plain-500-echo';
  close(): Promise<void>;
}

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export async function startHostileIssuer(options: HostileIssuerOptions): Promise<HostileIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'hostile-1', alg: 'RS256', use: 'sig' };
  const sockets = new Set<Socket>();
  let serial = 0;
  const state: HostileIssuer = {
    issuer: '',
    requests: [],
    grants: (grantType) => state.requests.filter((r) => r.path === '/token' && r.params.grant_type === grantType),
    script: {},
    fallback: {},
    revocation: 'ok',
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const request: HostileRequest = {
        path: new URL(req.url ?? '/', 'http://x').pathname,
        params: Object.fromEntries(new URLSearchParams(raw)),
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')])),
      };
      state.requests.push(request);
      void route(req, res, request, echoOf(req, raw, request)).catch((err: unknown) => {
        res.writeHead(599).end(String(err));
      });
    });
  });

  const route = async (req: IncomingMessage, res: ServerResponse, request: HostileRequest, echo: string): Promise<void> => {
    const issuer = state.issuer;
    switch (request.path) {
      case '/.well-known/openid-configuration':
        return json(res, 200, {
          issuer,
          token_endpoint: `${issuer}/token`,
          device_authorization_endpoint: `${issuer}/device`,
          revocation_endpoint: `${issuer}/revoke`,
          authorization_endpoint: `${issuer}/authorize`,
          jwks_uri: `${issuer}/jwks`,
        });
      case '/jwks':
        return json(res, 200, { keys: [jwk] });
      case '/device':
        serial += 1;
        return json(res, 200, {
          device_code: `hostile-device-code-${serial}-${'d'.repeat(24)}`,
          user_code: `HOST-${serial}`,
          verification_uri: `${issuer}/activate`,
          expires_in: 600,
          ...(options.interval === undefined ? {} : { interval: options.interval }),
        });
      case '/revoke':
        if (state.revocation === 'ok') return void res.writeHead(200).end();
        return answer(res, state.revocation, echo);
      case '/token': {
        const grant = request.params.grant_type ?? '';
        const step = state.script[grant]?.shift() ?? state.fallback[grant] ?? 'ok';
        if (step === 'ok' || step === 'short-lived') {
          serial += 1;
          const idToken = await new SignJWT({ email: options.account, email_verified: true })
            .setProtectedHeader({ alg: 'RS256', kid: 'hostile-1' })
            .setIssuer(issuer)
            .setSubject('user-1')
            .setAudience(options.clientId)
            .setIssuedAt()
            .setExpirationTime('10m')
            .sign(privateKey);
          return json(res, 200, {
            access_token: `hostile-access-${serial}-${'a'.repeat(24)}`,
            token_type: 'Bearer',
            expires_in: step === 'short-lived' ? 0.001 : 3600,
            ...(grant === 'client_credentials' ? {} : { refresh_token: `hostile-refresh-${serial}-${'r'.repeat(24)}`, id_token: idToken }),
          });
        }
        return answer(res, step, echo);
      }
      default:
        return answer(res, 'plain-500-echo', `${req.method} ${req.url}`);
    }
  };

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

/** Everything the request carried, raw and decoded, as an endpoint that echoes would show it. */
function echoOf(req: IncomingMessage, raw: string, request: HostileRequest): string {
  // The body first: a client that truncates the echo must still not keep a fragment of a secret.
  const lines = [raw, `${req.method} ${req.url}`];
  for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${value}`);
  const basic = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (basic !== undefined) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    lines.push(`basic: ${decoded}`, `basic decoded: ${decodeURIComponent(decoded)}`);
  }
  lines.push(JSON.stringify(request.params));
  for (const [name, value] of Object.entries(request.params)) lines.push(`${name}=${value}`);
  return lines.join('\n');
}

function answer(res: ServerResponse, step: Exclude<TokenScript, 'ok' | 'short-lived'>, echo: string): void {
  switch (step) {
    case 'pending':
      return json(res, 400, { error: 'authorization_pending', error_description: echo });
    case 'invalid-grant-echo':
      // The echo first on one line, so that a truncated message would keep a fragment of it.
      return json(res, 400, {
        error: 'invalid_grant',
        error_description: echo.replace(/\n/g, ' | '),
        error_uri: `https://errors.example/?q=${encodeURIComponent(echo)}`,
      });
    case 'invalid-client-echo':
      return json(res, 401, {
        error: 'invalid_client',
        error_description: `AADSTS7000215: Invalid client secret provided. ${echo.replace(/\n/g, ' | ')}`,
        error_codes: [7000215],
      });
    case 'plain-500-echo':
      return void res.writeHead(500, { 'content-type': 'text/plain' }).end(echo);
    case 'json-400-echo':
      return void res.writeHead(400, { 'content-type': 'application/json' }).end(echo);
    case 'bad-200-echo':
      return json(res, 200, { token_type: echo, expires_in: 3600 });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
