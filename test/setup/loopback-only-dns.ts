/**
 * Tests talk to 127.0.0.1 and ::1 only. Some prove that an unknown host name is reported as
 * ERR_DNS; without this guard those lookups would reach the machine's resolver. Here every
 * name but localhost fails locally with ENOTFOUND, as a resolver would answer for it.
 */
import dns from 'node:dns';
import { isIP } from 'node:net';

type Callback = (err: NodeJS.ErrnoException | null, address?: unknown, family?: number) => void;

const original = dns.lookup;
const loopbackNames = new Set(['localhost', 'localhost.']);

function guardedLookup(hostname: string, options: unknown, callback?: Callback): void {
  const done = (typeof options === 'function' ? options : callback) as Callback;
  if (isIP(hostname) !== 0 || loopbackNames.has(hostname.toLowerCase())) {
    (original as (...args: unknown[]) => void).call(dns, hostname, options, callback);
    return;
  }
  const error: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
    code: 'ENOTFOUND',
    errno: -3008,
    syscall: 'getaddrinfo',
    hostname,
  });
  process.nextTick(() => done(error));
}

(dns as { lookup: unknown }).lookup = guardedLookup;

const originalPromise = dns.promises.lookup;
(dns.promises as { lookup: unknown }).lookup = (hostname: string, options?: unknown) =>
  isIP(hostname) !== 0 || loopbackNames.has(hostname.toLowerCase())
    ? (originalPromise as (...args: unknown[]) => Promise<unknown>).call(dns.promises, hostname, options)
    : Promise.reject(
        Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname }),
      );
