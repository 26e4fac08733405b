/**
 * The trust store for mail servers, built once per `ca` value and shared by SMTP, POP3 and IMAP.
 * Passing `ca` to every `tls.connect` makes OpenSSL parse Node's ~150 roots again per
 * connection; a `SecureContext` built once is reused instead.
 * @internal
 * @packageDocumentation
 */
import * as tls from 'node:tls';

/** Extra trusted CA certificate(s) in PEM, as the transports accept them. @internal */
export type ExtraCa = string | Buffer | ReadonlyArray<string | Buffer>;

// A device has one `ca` setting; a few entries cover tests and integrators that change it.
const MAX_ENTRIES = 8;
const contexts = new Map<string, tls.SecureContext>();

function keyOf(ca: ExtraCa): string {
  const list = (Array.isArray(ca) ? ca : [ca]) as Array<string | Buffer>;
  return list.map((pem) => (typeof pem === 'string' ? pem : pem.toString('latin1'))).join('\n');
}

/**
 * A TLS context trusting Node's built-in roots plus `ca`, created on the first call for a
 * given `ca` value and reused afterwards. `undefined` when there is no extra CA: Node's
 * default context already trusts its roots.
 * @internal
 */
export function trustContext(ca: ExtraCa | undefined): tls.SecureContext | undefined {
  if (ca === undefined) return undefined;
  const key = keyOf(ca);
  let context = contexts.get(key);
  if (context === undefined) {
    const extra = (Array.isArray(ca) ? ca : [ca]) as Array<string | Buffer>;
    context = tls.createSecureContext({ ca: [...tls.rootCertificates, ...extra], minVersion: 'TLSv1.2' });
    if (contexts.size >= MAX_ENTRIES) contexts.delete(contexts.keys().next().value as string);
    contexts.set(key, context);
  }
  return context;
}
