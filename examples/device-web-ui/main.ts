/**
 * `npm run demo`: the device web UI on an embedded default (local provider, SMTP and POP3
 * servers). Prints the address and the generated admin password; Ctrl+C stops everything.
 */
import { startDemo, DEMO_ACCOUNT } from './stack.js';

const demo = await startDemo();
const local = demo.issuer !== undefined;
console.log(`
mail-oauth device web UI  ${demo.url}
  admin password          ${demo.adminPassword}
${
  local
    ? `  provider                local demo provider at ${demo.issuer?.issuer} (sign in as ${DEMO_ACCOUNT}, any password)
  SMTP (STARTTLS)         127.0.0.1:${demo.smtp?.port}
  POP3 (SSL/TLS)          127.0.0.1:${demo.mailbox?.pop3sPort} (${demo.mailbox?.kind === 'dovecot' ? 'Dovecot' : 'built-in POP3 server'})`
    : `  provider                ${process.env['DEMO_PROVIDER']}`
}
Press Ctrl+C to stop.`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void demo.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
