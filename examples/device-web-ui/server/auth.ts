/**
 * The device administrator's login: the password kept only as a salted scrypt hash, server-side
 * sessions named by a random cookie (`HttpOnly; SameSite=Strict`), and one CSRF token per
 * session that every state-changing request must carry.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;
/** Idle time after which a session ends, in milliseconds. */
const SESSION_IDLE_MS = 30 * 60_000;

/** A salted scrypt hash of the admin password. */
export interface PasswordHash {
  salt: Buffer;
  hash: Buffer;
}

function derive(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** Hashes a password with a fresh 16-byte salt. */
export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16);
  return { salt, hash: await derive(password, salt) };
}

/** Whether `password` matches `stored`, compared in constant time. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const candidate = await derive(password, stored.salt);
  return timingSafeEqual(candidate, stored.hash);
}

/** Compares two secrets without revealing, by timing, how much of them matched. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A browser session: anonymous until the admin logs in. */
export interface Session {
  id: string;
  csrf: string;
  admin: boolean;
  locale: string;
  lastSeen: number;
}

/** The sessions of the web UI, kept in memory (a restart logs everybody out). */
export class Sessions {
  readonly #sessions = new Map<string, Session>();

  /** The live session named by the request's cookie, if any. */
  find(cookieHeader: string | undefined): Session | undefined {
    const id = /(?:^|;\s*)sid=([A-Za-z0-9_-]{43})(?:;|$)/.exec(cookieHeader ?? '')?.[1];
    if (id === undefined) return undefined;
    const session = this.#sessions.get(id);
    if (session === undefined) return undefined;
    if (Date.now() - session.lastSeen > SESSION_IDLE_MS) {
      this.#sessions.delete(id);
      return undefined;
    }
    session.lastSeen = Date.now();
    return session;
  }

  /** A new session; `from` carries the language over and is ended (a login gets a new id: no session fixation). */
  create(admin: boolean, locale: string, from?: Session): Session {
    if (from !== undefined) this.#sessions.delete(from.id);
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      csrf: randomBytes(32).toString('base64url'),
      admin,
      locale,
      lastSeen: Date.now(),
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  end(session: Session): void {
    this.#sessions.delete(session.id);
  }
}

/** The `Set-Cookie` value naming `session`. */
export function sessionCookie(session: Session): string {
  return `sid=${session.id}; Path=/; HttpOnly; SameSite=Strict`;
}
