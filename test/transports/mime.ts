/** Pulls a base64 attachment out of a raw MIME message (enough for the tests' byte-identity checks). */
export function extractAttachment(raw: Buffer, filename: string): Buffer {
  const text = raw.toString('latin1');
  const boundary = /boundary="?([^"\r\n;]+)"?/i.exec(text)?.[1];
  // A message that is only an attachment (no text) is a single part.
  const parts = boundary === undefined ? [text] : text.split(`--${boundary}`);
  for (const part of parts) {
    const split = part.indexOf('\r\n\r\n');
    if (split === -1) continue;
    const headers = part.slice(0, split);
    if (!headers.includes(`filename=${filename}`) && !headers.includes(`filename="${filename}"`)) continue;
    if (!/content-transfer-encoding:\s*base64/i.test(headers)) throw new Error('attachment is not base64');
    return Buffer.from(part.slice(split + 4).replace(/[\r\n]/g, ''), 'base64');
  }
  throw new Error(`no attachment ${filename}`);
}

/** A fake multi-megabyte "PDF" with every byte value in it. */
export function fakePdf(size: number): Buffer {
  const body = Buffer.alloc(size);
  let x = 0x12345678;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    body[i] = x & 0xff;
  }
  Buffer.from('%PDF-1.7\n').copy(body);
  return body;
}

/** Reads the first INBOX message over an open IMAP session, logs out, and returns attachment `filename`. */
export async function firstInboxAttachment(imap: import('imapflow').ImapFlow, filename: string): Promise<Buffer> {
  try {
    await imap.mailboxOpen('INBOX');
    const message = await imap.fetchOne('1', { source: true });
    if (message === false || message.source === undefined) throw new Error('no message over IMAP');
    return extractAttachment(message.source, filename);
  } finally {
    await imap.logout();
  }
}
