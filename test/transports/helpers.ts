import type { TokenSource } from '../../src/transports/token-source.js';
import type { TranscriptEntry } from '../../src/transports/options.js';

/** A token source handing out `first`, and `refreshed` after a rejection. */
export function scriptedSource(
  user: string,
  first: string,
  refreshed: string = first,
): TokenSource & {
  refreshes: number;
  calls: number;
} {
  const source = {
    user,
    refreshes: 0,
    calls: 0,
    current: first,
    async accessToken() {
      source.calls++;
      return source.current;
    },
    async refreshAfterRejection() {
      source.refreshes++;
      source.current = refreshed;
      return refreshed;
    },
  };
  return source;
}

/** Collects a transport's transcript. */
export function transcript(): { entries: TranscriptEntry[]; onTranscript: (e: TranscriptEntry) => void; client(): string[] } {
  const entries: TranscriptEntry[] = [];
  return {
    entries,
    onTranscript: (e) => entries.push(e),
    client: () => entries.filter((e) => e.direction === 'client').map((e) => e.line),
  };
}

/** Runs `fn` and returns the thrown error's code (or 'no error'). */
export async function codeOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    return (err as { code?: string }).code ?? `uncoded: ${String(err)}`;
  }
  return 'no error';
}

/** Calls `onLine` for every CRLF-terminated line the client sends on `socket` (test servers). */
export function onLines(socket: import('node:net').Socket, onLine: (line: string) => void): void {
  let buffer = '';
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let i: number;
    while ((i = buffer.indexOf('\r\n')) !== -1) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      onLine(line);
    }
  });
}

/**
 * The 16-character runs of any secret that survive in `text`, also across line breaks and
 * folding whitespace (matched with all whitespace removed). Empty means nothing leaked.
 */
export function leakedFragments(text: string, secrets: readonly string[], size = 16): string[] {
  const compact = text.replace(/\s+/g, '');
  const found = new Set<string>();
  for (const secret of secrets) {
    for (let i = 0; i + size <= secret.length; i++) {
      const fragment = secret.slice(i, i + size);
      if (compact.includes(fragment)) found.add(fragment);
    }
  }
  return [...found];
}
