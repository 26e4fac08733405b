/**
 * The types of a POP3 page's mailbox: fetched messages, the poller, and the low-level session a
 * firmware integrator drives with its own POP3 commands (`STAT`, `LIST`, `UIDL`, `RETR`, `DELE`).
 * Imported as `mail-oauth/pop3`; the main entry keeps them out because most devices only call
 * `page.mailbox().fetch()` or `.poller()` and never name these types.
 *
 * @packageDocumentation
 */
export type { ConnectPop3Options, Pop3Mailbox } from './pages/pop3.js';
export type { FetchPop3Options, Pop3Message, Pop3Poller, Pop3PollerOptions } from './transports/pop3/mailbox.js';
export type { Pop3Mechanism, Pop3Options, Pop3Session } from './transports/pop3/client.js';
export type { Pop3Capabilities, Pop3ListEntry, Pop3Stat, Pop3UidlEntry } from './transports/pop3/parser.js';
