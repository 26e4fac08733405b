/**
 * Dependencies the token path needs only on first use. A device restoring its pages at boot
 * does not pay for an HTTP client or JOSE until it talks to a provider or opens an encrypted store
 * (measured in docs/benchmarks.md).
 * @internal
 */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => (loading ??= load());
}

/** undici, loaded on the first HTTP request. @internal */
export const loadUndici = once(() => import('undici'));

/** jose, loaded on the first signature, verification or encryption. @internal */
export const loadJose = once(() => import('jose'));
