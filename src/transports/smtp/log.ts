/**
 * nodemailer's transaction log, turned into our transcript and logger lines (secrets redacted)
 * and into a reply watchdog: nodemailer's socket timeout only notices an idle socket, so a
 * server that drips its reply a byte at a time would hold a send forever.
 * @internal
 * @packageDocumentation
 */
import { format } from 'node:util';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { Redactor } from '../net.js';
import type { TranscriptEntry } from '../options.js';

/** A bunyan-style logger as nodemailer calls it. @internal */
export type NodemailerLogger = Record<
  'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal',
  (entry: Record<string, unknown>, message?: string, ...args: unknown[]) => void
>;

/** What the adaptor feeds. @internal */
export interface LogTargets {
  redactor: Redactor;
  logger: Logger;
  clock: Clock;
  onTranscript: ((entry: TranscriptEntry) => void) | undefined;
  /** Longest wait for a complete reply, in milliseconds. */
  replyTimeout: number;
  /** Called when a connection's reply did not complete in time. */
  onStall(): void;
  /** Receives the server's EHLO capabilities (for the SIZE limit). */
  onCapabilities(lines: string[]): void;
}

/** A client line as the transcript shows it: AUTH payloads hidden. */
function clientLine(line: string): string {
  // Our XOAUTH2 handler's only non-AUTH line is the empty answer to a JSON challenge, which
  // nodemailer masks like any custom handler's line.
  if (line === '/* secret */') return '';
  const auth = /^AUTH\s+(\S+)\s+\S/i.exec(line);
  return auth === null ? line : `AUTH ${auth[1] as string} /* secret */`;
}

/**
 * Creates the logger handed to nodemailer (`transactionLog: true`), plus `close()` that stops
 * the watchdogs.
 * @internal
 */
export function createLogAdaptor(targets: LogTargets): { logger: NodemailerLogger; close: () => void } {
  // One watchdog per connection (nodemailer tags each line with the connection's `sid`/`cid`).
  const timers = new Map<string, unknown>();
  const disarm = (id: string): void => {
    const timer = timers.get(id);
    if (timer !== undefined) targets.clock.clearTimeout(timer);
    timers.delete(id);
  };
  const arm = (id: string): void => {
    disarm(id);
    timers.set(
      id,
      targets.clock.setTimeout(() => {
        timers.delete(id);
        targets.onStall();
      }, targets.replyTimeout),
    );
  };
  const write =
    (level: keyof NodemailerLogger) =>
    (entry: Record<string, unknown>, message?: string, ...args: unknown[]): void => {
      const raw = entry['sid'] ?? entry['cid'];
      // nodemailer's ids are strings or numbers; anything else would collapse into one shared "[object Object]" timer.
      const id = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
      const text = targets.redactor.redact(format(message ?? '', ...args));
      const tnx = entry['tnx'];
      if (tnx === 'client') {
        arm(id);
        const line = clientLine(text);
        targets.onTranscript?.({ direction: 'client', line });
        targets.logger.debug(`smtp C: ${line}`);
        return;
      }
      if (tnx === 'server') {
        disarm(id);
        const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
        if (lines.some((l) => /^250[ -]/.test(l))) targets.onCapabilities(lines);
        for (const line of lines) targets.onTranscript?.({ direction: 'server', line });
        targets.logger.debug(`smtp S: ${text}`);
        return;
      }
      if (tnx === 'network' && /established to /i.test(text))
        arm(id); // the greeting
      else if (tnx === 'network' && /^Connection closed/i.test(text)) disarm(id);
      else if (tnx === 'message' && typeof entry['outByteCount'] === 'number') arm(id); // the reply to the final dot
      const line = `smtp: ${text}`;
      if (level === 'error' || level === 'fatal') targets.logger.error(line);
      else if (level === 'warn') targets.logger.warn(line);
      else targets.logger.debug(line);
    };
  return {
    logger: {
      trace: write('trace'),
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
      fatal: write('fatal'),
    },
    close: () => {
      for (const id of [...timers.keys()]) disarm(id);
    },
  };
}
