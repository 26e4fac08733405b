/**
 * Our `MailMessage` → nodemailer's message data, validated before anything connects, with the
 * envelope, a Message-ID in the sender's domain, and the size estimate for `SIZE=`.
 * @internal
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { SendMailOptions } from 'nodemailer';
import type { MailOAuthError } from '../../errors.js';
import { SettingsError } from '../../errors.js';
import type { SmtpSettings } from '../../settings/types.js';

/**
 * A file attached to a message.
 * @category Sending mail
 */
export interface MailAttachment {
  /** File name shown to the recipient (`scan-0001.pdf`, `Scan_Übersicht 2026.pdf`); non-ASCII names are sent per RFC 2231. */
  filename: string;
  /** The content: bytes, a readable stream (streamed, not buffered), or `{ path }` of a file (streamed). */
  content:
    | Uint8Array
    | Readable
    | {
        /** Path of the file, read (streamed) while sending. */
        path: string;
      };
  /** MIME type. Default `application/octet-stream`. */
  contentType?: string;
}

/**
 * A message to send. The sender is the page's sender name and address.
 * @category Sending mail
 */
export interface MailMessage {
  /** Recipient address(es), RFC 5322 (`a@example.com`, `"Name" <a@example.com>`). */
  to: string | readonly string[];
  /** Carbon-copy recipients. */
  cc?: string | readonly string[];
  /** Blind-copy recipients (envelope only, no header). */
  bcc?: string | readonly string[];
  /** `Reply-To` address(es). */
  replyTo?: string | readonly string[];
  /** Subject line (ASCII stays plain; other text is encoded per RFC 2047). */
  subject: string;
  /** Plain-text body. Line breaks may be CRLF, LF or CR: they are sent as CRLF. */
  text?: string;
  /** HTML body; with `text`, sent as `multipart/alternative`. */
  html?: string;
  /**
   * Extra header fields (`{ 'X-Scanner-Job': '42' }`). Names must be RFC 5322 field names;
   * values must not contain line breaks. Fields the SDK sets (From, To, Subject, …) cannot be replaced.
   */
  headers?: Readonly<Record<string, string>>;
  /** Attachments (scans), sent base64-encoded. */
  attachments?: readonly MailAttachment[];
}

/** Everything nodemailer needs for one message, and what we know about its size. @internal */
export interface PreparedMessage {
  data: SendMailOptions;
  messageId: string;
  recipients: string[];
  /** Estimated size of the encoded message in bytes; `undefined` without attachments or when one is a stream. */
  size: number | undefined;
}

let addressParser: Promise<typeof import('nodemailer/lib/addressparser')> | undefined;
let mailComposer: Promise<typeof import('nodemailer/lib/mail-composer')> | undefined;

const RESERVED = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'subject',
  'message-id',
  'date',
  'sender',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
]);

function invalid(message: string, field: string): MailOAuthError {
  return new SettingsError('ERR_INVALID_OPTION', message, { kind: 'usage', params: { field } });
}

function list(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

function assertLine(field: string, value: string): void {
  if (/[\r\n\0]/.test(value)) throw invalid(`The message ${field} contains a line break`, field);
}

/** nodemailer's base64 body: 76-character lines, each ended by CRLF. */
function base64Size(bytes: number): number {
  const chars = 4 * Math.ceil(bytes / 3);
  return chars + 2 * Math.ceil(chars / 76);
}

async function contentSize(content: MailAttachment['content']): Promise<number | undefined> {
  if (content instanceof Uint8Array) return content.byteLength;
  if (content instanceof Readable) return undefined;
  try {
    return (await stat(content.path)).size;
  } catch (err) {
    throw new SettingsError('ERR_INVALID_OPTION', 'An attachment could not be read', {
      kind: 'usage',
      params: { field: 'attachments' },
      cause: err,
    });
  }
}

/**
 * Validates a message and turns it into nodemailer's message data. Nothing is read from the
 * attachments but their sizes.
 * @internal
 */
export async function prepareMessage(settings: SmtpSettings, message: MailMessage): Promise<PreparedMessage> {
  const sender = settings.senderAddress?.trim();
  if (sender === undefined || sender.length === 0) {
    throw new SettingsError('ERR_INVALID_SENDER_ADDRESS', 'No sender address is configured', { params: { field: 'senderAddress' } });
  }
  const to = list(message.to);
  const cc = list(message.cc);
  const bcc = list(message.bcc);
  const replyTo = list(message.replyTo);
  for (const value of [...to, ...cc, ...bcc, ...replyTo]) assertLine('recipient', value);
  assertLine('subject', message.subject);
  assertLine('sender', `${settings.senderName ?? ''}${sender}`);
  const { default: addressparser } = await (addressParser ??= import('nodemailer/lib/addressparser'));
  const recipients = [...to, ...cc, ...bcc]
    .flatMap((r) => addressparser(r, { flatten: true }).map((a) => a.address))
    .filter((a) => a.length > 0);
  if (recipients.length === 0) throw invalid('The message has no recipient', 'to');

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!/^[!-9;-~]+$/.test(name) || RESERVED.has(name.toLowerCase()))
      throw invalid(`The header name "${name.slice(0, 40)}" cannot be used`, 'headers');
    assertLine('header', value);
    headers[name] = value;
  }

  const attachments: NonNullable<SendMailOptions['attachments']> = [];
  let attachmentBytes: number | undefined = 0;
  for (const a of message.attachments ?? []) {
    assertLine('attachment file name', a.filename);
    const common = { filename: a.filename, contentType: a.contentType ?? 'application/octet-stream' };
    const size = await contentSize(a.content);
    attachmentBytes = size === undefined || attachmentBytes === undefined ? undefined : attachmentBytes + base64Size(size);
    if (a.content instanceof Uint8Array) {
      // A view, not a copy: a 25 MB scan is not duplicated in memory.
      attachments.push({ ...common, content: Buffer.from(a.content.buffer, a.content.byteOffset, a.content.byteLength) });
    } else if (a.content instanceof Readable) {
      attachments.push({ ...common, content: a.content });
    } else {
      attachments.push({ ...common, path: a.content.path });
    }
  }

  const domain = sender.includes('@') ? sender.slice(sender.lastIndexOf('@') + 1) : 'localhost';
  const messageId = `<${randomUUID()}@${domain}>`;
  const data: SendMailOptions = {
    from: settings.senderName !== undefined && settings.senderName.length > 0 ? { name: settings.senderName, address: sender } : sender,
    to,
    subject: message.subject,
    messageId,
    envelope: { from: sender, to: recipients },
    disableUrlAccess: true,
    ...(cc.length > 0 ? { cc } : {}),
    ...(bcc.length > 0 ? { bcc } : {}),
    ...(replyTo.length > 0 ? { replyTo } : {}),
    // nodemailer's encoders turn bare CR and LF into CRLF (RFC 5321 §2.3.8); its data stream dot-stuffs.
    ...(message.text !== undefined ? { text: message.text } : {}),
    ...(message.html !== undefined ? { html: message.html } : {}),
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(attachments.length > 0 ? { attachments } : {}),
  };
  // Only attachments make a message big enough for SIZE to matter; composing a text-only message
  // twice would cost more than the estimate is worth.
  const size = attachments.length === 0 || attachmentBytes === undefined ? undefined : (await skeletonSize(data)) + attachmentBytes;
  return { data, messageId, recipients, size };
}

/** The encoded size of the message without its attachments' bodies (headers, text, boundaries). */
async function skeletonSize(data: SendMailOptions): Promise<number> {
  const { default: MailComposer } = await (mailComposer ??= import('nodemailer/lib/mail-composer'));
  const attachments = (data.attachments ?? []).map((a) => ({ filename: a.filename, contentType: a.contentType, content: Buffer.alloc(0) }));
  const skeleton = new MailComposer({ ...data, attachments }).compile();
  return (await skeleton.build()).length;
}
