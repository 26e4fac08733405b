import type { PageTopology, TypedPageDefinition } from '../registry/topology.js';
import type { Protocol } from '../settings/types.js';
import type { ImapPage } from './imap.js';
import type { Pop3Page } from './pop3.js';
import type { SmtpPage } from './smtp.js';

/**
 * Any settings page; narrow it by `protocol` (`if (page.protocol === 'smtp') page.sendMail(…)`).
 * @category Pages and tokens
 */
export type Page = SmtpPage | Pop3Page | ImapPage;

/**
 * The page class of a protocol: `SmtpPage` for `smtp`, a union for a union.
 * @category Pages and tokens
 */
export type PageOfProtocol<P extends Protocol> = P extends 'smtp'
  ? SmtpPage
  : P extends 'pop3'
    ? Pop3Page
    : P extends 'imap'
      ? ImapPage
      : never;

/**
 * The page `device.page(id)` returns for topology `T`: the protocol's page class when `id` is a
 * literal id of a literal topology, else the {@link Page} union.
 * @category Pages and tokens
 */
export type PageFor<T extends PageTopology, Id extends string> = [Extract<T['pages'][number], TypedPageDefinition<Id, Protocol>>] extends [
  never,
]
  ? Page
  : PageOfProtocol<Extract<T['pages'][number], TypedPageDefinition<Id, Protocol>>['protocol']>;
