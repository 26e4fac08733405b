/**
 * Cancellation for page operations. The token scope and most transports do not take a signal
 * yet, so a call stops waiting at once and the work it started is settled (and disposed of) in
 * the background.
 * @internal
 */
import type { MailOAuthError } from '../errors.js';
import { UsageError } from '../errors.js';

/**
 * Options every long page operation accepts.
 * @category Pages and tokens
 */
export interface SignalOptions {
  /** Aborts the operation: it rejects with `ERR_ABORTED` (a connection test reports it) within a second. */
  signal?: AbortSignal;
}

/** @internal */
export function abortedError(): MailOAuthError {
  return new UsageError('ERR_ABORTED', 'The operation was aborted', { kind: 'usage' });
}

/** @internal */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortedError();
}

/**
 * Settles with `work`, or rejects with `ERR_ABORTED` as soon as `signal` aborts. A result that
 * arrives after the abort goes to `dispose` (close a session nobody will use); a late failure is
 * dropped, since its caller has already been told.
 * @internal
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined, dispose?: (late: T) => void): Promise<T> {
  if (signal === undefined) return work;
  const late = (): void => {
    work.then(
      (value) => dispose?.(value),
      () => undefined,
    );
  };
  if (signal.aborted) {
    late();
    return Promise.reject(abortedError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      late();
      reject(abortedError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: Error) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
