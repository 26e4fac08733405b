/**
 * A QR code drawn with half-block characters, two modules per character cell, so that a phone
 * can open the sign-in address straight from the terminal.
 */

const QUIET = 2;

/** Draws `text` as a QR code, or returns `undefined` when the encoder is not installed (the URL is printed anyway). */
export async function terminalQr(text: string): Promise<string | undefined> {
  let create: (typeof import('qrcode/lib/core/qrcode.js'))['create'];
  try {
    // Only the encoder, loaded on demand: devices using the library never load it.
    ({ create } = await import('qrcode/lib/core/qrcode.js'));
  } catch {
    return undefined;
  }
  const { modules } = create(text, { errorCorrectionLevel: 'L' });
  const size = modules.size;
  const dark = (row: number, col: number): boolean => row >= 0 && col >= 0 && row < size && col < size && Boolean(modules.get(row, col));
  const lines: string[] = [];
  // Light on dark terminals and dark on light ones both scan when the quiet zone is drawn explicitly.
  for (let row = -QUIET; row < size + QUIET; row += 2) {
    let line = '';
    for (let col = -QUIET; col < size + QUIET; col++) {
      const top = dark(row, col);
      const bottom = dark(row + 1, col);
      line += top ? (bottom ? ' ' : '▄') : bottom ? '▀' : '█';
    }
    lines.push(line);
  }
  return lines.join('\n');
}
