/**
 * A one-shot loopback redirect listener (RFC 8252 §7.3): listens on 127.0.0.1 with any port,
 * serves the redirect URI, and hands over the first callback URL that arrives on its path.
 * @packageDocumentation
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TransportError, UsageError } from '../errors.js';

/**
 * Options of {@link startLoopbackListener}.
 * @category Pages and tokens
 */
export interface LoopbackListenerOptions {
  /** Port on 127.0.0.1; `0` (default) lets the system choose one. */
  port?: number;
  /** Path of the redirect URI. Default `/callback`. */
  path?: string;
  /** Stops waiting: the callback promise rejects with `ERR_ABORTED`. */
  signal?: AbortSignal;
  /** The page shown in the browser once the redirect arrived. */
  successHtml?: string;
}

/**
 * A running loopback listener.
 * @category Pages and tokens
 */
export interface LoopbackListener {
  /** The redirect URI to put in the authorization request (`http://127.0.0.1:<port><path>`). */
  redirectUri: string;
  /** Resolves with the full callback URL (pass it to `completeAuthorization`). */
  callback: Promise<string>;
  /**
   * Stops listening (also done after the first callback).
   *
   * @example
   * ```ts
   * const listener = await startLoopbackListener();
   * await listener.close(); // the administrator cancelled
   * ```
   */
  close(): Promise<void>;
}

/**
 * Starts a loopback listener for the authorization-code flow.
 *
 * @example
 * ```ts
 * const listener = await startLoopbackListener({ signal });
 * const prompt = await page.getToken({ flow: 'authorization-code', redirectUri: listener.redirectUri });
 * await page.completeAuthorization(await listener.callback);
 * ```
 * @category Pages and tokens
 */
export async function startLoopbackListener(options: LoopbackListenerOptions = {}): Promise<LoopbackListener> {
  const path = options.path ?? '/callback';
  let resolve!: (url: string) => void;
  let reject!: (err: unknown) => void;
  const callback = new Promise<string>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  callback.catch(() => undefined);
  let port = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (req.method !== 'GET' || url.pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(options.successHtml ?? '<!doctype html><title>Signed in</title><p>You can close this window and return to the device.</p>');
    resolve(url.toString());
    void close();
  });
  const close = (): Promise<void> =>
    new Promise((done) => {
      server.closeAllConnections();
      server.close(() => done());
    });
  await new Promise<void>((res, rej) => {
    server.once('error', (err) =>
      rej(new TransportError('ERR_CONNECTION', 'The loopback redirect listener could not start', { kind: 'configuration', cause: err })),
    );
    server.listen(options.port ?? 0, '127.0.0.1', () => res());
  });
  port = (server.address() as AddressInfo).port;
  const onAbort = (): void => {
    reject(new UsageError('ERR_ABORTED', 'Waiting for the sign-in was aborted'));
    void close();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  return { redirectUri: `http://127.0.0.1:${port}${path}`, callback, close };
}
