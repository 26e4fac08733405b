import type { ErrorCode } from './errors.js';
import type { Logger, LogFields } from './logger.js';
import type { Flow } from './oauth/types.js';

/**
 * A lifecycle event of the device, as `device.subscribe` hands it. Every event names its token
 * `scope`, the `pages` that show it, and `at` (ms since the epoch, from the device's clock);
 * `provider` and `account` are the scope's settings when set. Never carries a token, code,
 * password or secret.
 *
 * - `authorization.*`: a sign-in started (`flow`), ended with a token, was cancelled or replaced,
 *   expired unanswered, or failed (`code`).
 * - `token.renewed` (`keepAlive` when the idle keep-alive caused it), `token.renewal-failed`
 *   (transient: `attempt`, `nextRetryAt`; the token stays usable until it expires),
 *   `token.invalid` (`code` is `ERR_TOKEN_REFRESH_FAILED` or the manual's other Invalid code,
 *   `reasonCode` and `hint` say what the provider answered), `token.deleted` (`revoked`: whether
 *   the provider confirmed the revocation).
 * - `store.write-failed`: the token store refused a write (`code`).
 * - `mail.sent` / `mail.failed` (SMTP pages): `page`, `size` in bytes, `durationMs`, `messageId` / `code`.
 * - `connection.tested`: `page`, `ok`, `code` (`OK` or the failing step's code).
 *
 * @example
 * ```ts
 * const stop = device.subscribe((event) => {
 *   if (event.type === 'token.invalid') alertAdmin(event.scope, event.reasonCode, event.hint);
 *   audit.write(JSON.stringify(event)); // safe: events never hold secrets
 * });
 * ```
 * @category Device
 */
export type MailOAuthEvent =
  | {
      /** The sign-in started. */
      type: 'authorization.started';
      /** When it happened: ms since the epoch, from the device clock. */
      at: number;
      /** The token scope (slot) it concerns. */
      scope: string;
      /** The pages that show that scope (linked pages together). */
      pages: readonly string[];
      /** The scope's provider id, when set. */
      provider?: string;
      /** The scope's account, when set. */
      account?: string;
      /** The sign-in flow. */
      flow: Flow;
    }
  | {
      /** The sign-in ended with a stored token. */
      type: 'authorization.completed';
      /** When it happened: ms since the epoch, from the device clock. */
      at: number;
      /** The token scope (slot) it concerns. */
      scope: string;
      /** The pages that show that scope (linked pages together). */
      pages: readonly string[];
      /** The scope's provider id, when set. */
      provider?: string;
      /** The scope's account, when set. */
      account?: string;
      /** The sign-in flow. */
      flow: Flow;
    }
  | {
      /** The sign-in was cancelled or replaced. */
      type: 'authorization.cancelled';
      /** When it happened: ms since the epoch, from the device clock. */
      at: number;
      /** The token scope (slot) it concerns. */
      scope: string;
      /** The pages that show that scope (linked pages together). */
      pages: readonly string[];
      /** The scope's provider id, when set. */
      provider?: string;
      /** The scope's account, when set. */
      account?: string;
    }
  | {
      /** The sign-in expired unanswered. */
      type: 'authorization.expired';
      /** When it happened: ms since the epoch, from the device clock. */
      at: number;
      /** The token scope (slot) it concerns. */
      scope: string;
      /** The pages that show that scope (linked pages together). */
      pages: readonly string[];
      /** The scope's provider id, when set. */
      provider?: string;
      /** The scope's account, when set. */
      account?: string;
      /** The stable error code (or `OK`). */
      code: ErrorCode;
    }
  | {
      /** The sign-in failed. */
      type: 'authorization.failed';
      /** When it happened: ms since the epoch, from the device clock. */
      at: number;
      /** The token scope (slot) it concerns. */
      scope: string;
      /** The pages that show that scope (linked pages together). */
      pages: readonly string[];
      /** The scope's provider id, when set. */
      provider?: string;
      /** The scope's account, when set. */
      account?: string;
      /** The stable error code (or `OK`). */
      code: ErrorCode;
    }
  | {
      /** The token was renewed and stored. */
      type: 'token.renewed';
      /** When it happened: ms since the epoch, from the device clock. */
      at: number;
      /** The token scope (slot) it concerns. */
      scope: string;
      /** The pages that show that scope (linked pages together). */
      pages: readonly string[];
      /** The scope's provider id, when set. */
      provider?: string;
      /** The scope's account, when set. */
      account?: string;
      /** Whether the idle keep-alive caused the renewal. */
      keepAlive: boolean;
    }
  | {
      /** A renewal failed for now; the token stays usable until it expires. */
      type: 'token.renewal-failed';
      /** When it happened: ms since the epoch, from the device clock. */
      at: number;
      /** The token scope (slot) it concerns. */
      scope: string;
      /** The pages that show that scope (linked pages together). */
      pages: readonly string[];
      /** The scope's provider id, when set. */
      provider?: string;
      /** The scope's account, when set. */
      account?: string;
      /** The stable error code (or `OK`). */
      code: ErrorCode;
      /** Consecutive failed attempts so far. */
      attempt: number;
      /** When the device retries: ms since the epoch. */
      nextRetryAt: number;
    }
  | {
      /** The provider refused the grant: the status is Invalid. */
      type: 'token.invalid';
      /** When it happened: ms since the epoch, from the device clock. */
      at: number;
      /** The token scope (slot) it concerns. */
      scope: string;
      /** The pages that show that scope (linked pages together). */
      pages: readonly string[];
      /** The scope's provider id, when set. */
      provider?: string;
      /** The scope's account, when set. */
      account?: string;
      /** The stable error code (or `OK`). */
      code: ErrorCode;
      /** The provider's answer behind the Invalid status. */
      reasonCode: ErrorCode;
      /** An administrator hint, when known. */
      hint?: string;
    }
  | {
      /** The token was deleted and its revocation attempt ended. */
      type: 'token.deleted';
      /** When it happened: ms since the epoch, from the device clock. */
      at: number;
      /** The token scope (slot) it concerns. */
      scope: string;
      /** The pages that show that scope (linked pages together). */
      pages: readonly string[];
      /** The scope's provider id, when set. */
      provider?: string;
      /** The scope's account, when set. */
      account?: string;
      /** Whether the provider confirmed the revocation. */
      revoked: boolean;
    }
  | {
      /** The token store refused a write. */
      type: 'store.write-failed';
      /** When it happened: ms since the epoch, from the device clock. */
      at: number;
      /** The token scope (slot) it concerns. */
      scope: string;
      /** The pages that show that scope (linked pages together). */
      pages: readonly string[];
      /** The scope's provider id, when set. */
      provider?: string;
      /** The scope's account, when set. */
      account?: string;
      /** The stable error code (or `OK`). */
      code: ErrorCode;
    }
  | {
      /** An SMTP page sent a message. */
      type: 'mail.sent';
      /** When it happened: ms since the epoch, from the device clock. */
      at: number;
      /** The token scope (slot) it concerns. */
      scope: string;
      /** The pages that show that scope (linked pages together). */
      pages: readonly string[];
      /** The scope's provider id, when set. */
      provider?: string;
      /** The scope's account, when set. */
      account?: string;
      /** The page that did it. */
      page: string;
      /** Bytes of the message written. */
      size: number;
      /** How long it took, in milliseconds. */
      durationMs: number;
      /** The `Message-ID` of the message sent. */
      messageId?: string;
    }
  | {
      /** An SMTP page could not send a message. */
      type: 'mail.failed';
      /** When it happened: ms since the epoch, from the device clock. */
      at: number;
      /** The token scope (slot) it concerns. */
      scope: string;
      /** The pages that show that scope (linked pages together). */
      pages: readonly string[];
      /** The scope's provider id, when set. */
      provider?: string;
      /** The scope's account, when set. */
      account?: string;
      /** The page that did it. */
      page: string;
      /** How long it took, in milliseconds. */
      durationMs: number;
      /** The stable error code (or `OK`). */
      code: ErrorCode;
    }
  | {
      /** A connection test ended. */
      type: 'connection.tested';
      /** When it happened: ms since the epoch, from the device clock. */
      at: number;
      /** The token scope (slot) it concerns. */
      scope: string;
      /** The pages that show that scope (linked pages together). */
      pages: readonly string[];
      /** The scope's provider id, when set. */
      provider?: string;
      /** The scope's account, when set. */
      account?: string;
      /** The page that did it. */
      page: string;
      /** Whether the test succeeded. */
      ok: boolean;
      /** The stable error code (or `OK`). */
      code: 'OK' | ErrorCode;
    };

/** The fields every event shares; the device fills them in. */
type Common = 'at' | 'scope' | 'pages' | 'provider' | 'account';

/** An event before the device stamps its scope, pages, time, provider and account. @internal */
export type EventFact = MailOAuthEvent extends infer E ? (E extends MailOAuthEvent ? Omit<E, Common> : never) : never;

/** Log level and message of each event: normal life at info, retries and Invalid at warn, store failures at error. */
const logged: Record<MailOAuthEvent['type'], [level: keyof Logger, message: string]> = {
  'authorization.started': ['info', 'authorization started'],
  'authorization.completed': ['info', 'authorization completed'],
  'authorization.cancelled': ['info', 'authorization cancelled'],
  'authorization.expired': ['info', 'authorization expired'],
  'authorization.failed': ['warn', 'authorization failed'],
  'token.renewed': ['info', 'token renewed'],
  'token.renewal-failed': ['warn', 'token renewal failed; retrying'],
  'token.invalid': ['warn', 'token invalid'],
  'token.deleted': ['info', 'token deleted'],
  'store.write-failed': ['error', 'token store write failed'],
  'mail.sent': ['info', 'mail sent'],
  'mail.failed': ['warn', 'mail failed'],
  'connection.tested': ['info', 'connection tested'],
};

/** The event as log fields: the same facts, flattened (pages joined by commas). */
function fieldsOf(event: MailOAuthEvent): LogFields {
  const fields: Record<string, string | number | boolean | undefined> = {};
  for (const [key, value] of Object.entries(event)) {
    if (key === 'type') continue;
    fields[key] = Array.isArray(value) ? value.join(',') : (value as string | number | boolean | undefined);
  }
  return { event: event.type, ...fields };
}

/**
 * The device's event fan-out: listeners in subscription order, each isolated (a listener that
 * throws cannot stop a renewal or the other listeners), and the logger told the same facts.
 * @internal
 */
export class EventHub {
  readonly #listeners = new Set<(event: MailOAuthEvent) => void>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  subscribe(listener: (event: MailOAuthEvent) => void): () => void {
    // A wrapper, so that one function subscribed twice is two subscriptions.
    const entry = (event: MailOAuthEvent): void => listener(event);
    this.#listeners.add(entry);
    return () => void this.#listeners.delete(entry);
  }

  emit(event: MailOAuthEvent): void {
    const [level, message] = logged[event.type];
    this.#logger[level](message, fieldsOf(event));
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.#logger.error('event listener threw', {
          event: event.type,
          scope: event.scope,
          error: err instanceof Error ? err.name : typeof err,
        });
      }
    }
  }
}
