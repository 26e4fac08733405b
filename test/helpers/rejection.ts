import { MailOAuthError } from '../../src/errors.js';

/** Awaits a promise that must reject with a MailOAuthError, and returns that error. */
export async function rejection(promise: Promise<unknown>): Promise<MailOAuthError> {
  const err = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  if (!(err instanceof MailOAuthError)) throw err;
  return err;
}
