import { MailOAuthError, type ErrorCode } from '../index.js';

/** The CLI's exit codes: scripts switch on them, so they never change meaning. */
export const EXIT = {
  ok: 0,
  /** The command line itself is wrong. */
  usage: 1,
  /** Needs the administrator: authorization, consent, app registration, server settings. */
  administrator: 2,
  /** Network or server trouble that may pass: try again later. */
  transient: 3,
  /** The token is unusable: delete it and sign in again (the manual's message). */
  tokenInvalid: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A wrong command line: exit code 1 with the usage hint (not an SDK error: the SDK never sees the argv). */
export class CommandLineError extends Error {
  override name = 'CommandLineError';
}

const TOKEN_INVALID = new Set<ErrorCode>(['ERR_TOKEN_INVALID', 'ERR_TOKEN_REFRESH_FAILED', 'ERR_NO_REFRESH_TOKEN']);
const TRANSIENT = new Set<ErrorCode>([
  'ERR_CONNECTION',
  'ERR_DNS',
  'ERR_HTTP',
  'ERR_HTTP_TIMEOUT',
  'ERR_MAIL_TIMEOUT',
  'ERR_STORE_LOCKED',
  'ERR_TOKEN_REFRESH_UNAVAILABLE',
]);

/** The exit code of a coded outcome (a connection test's code, or an error's). */
export function exitCodeOf(code: 'OK' | ErrorCode, kind?: string): ExitCode {
  if (code === 'OK') return EXIT.ok;
  if (TOKEN_INVALID.has(code)) return EXIT.tokenInvalid;
  if (TRANSIENT.has(code) || kind === 'transient') return EXIT.transient;
  return EXIT.administrator;
}

/** The exit code of anything a command threw. */
export function exitCodeOfError(err: unknown): ExitCode {
  if (err instanceof CommandLineError) return EXIT.usage;
  if (err instanceof MailOAuthError)
    return err.kind === 'usage' && err.code === 'ERR_INVALID_OPTION' ? EXIT.usage : exitCodeOf(err.code, err.kind);
  // Anything uncoded (a file that cannot be read, …) is for the administrator to look at.
  return EXIT.administrator;
}
