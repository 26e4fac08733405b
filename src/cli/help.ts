/** The help texts: `mail-oauth --help` and `mail-oauth <command> --help`. */

const STORE = `Store (every command):
  --store <file>            the encrypted token file (settings, tokens); required
  --store-key-file <file>   the 32-byte key: raw, hex or base64 (or env MAIL_OAUTH_STORE_KEY)
  --passphrase-env <VAR>    derive the key from the passphrase in environment variable VAR
  --locale <tag>            language of messages (en, de, ja; default en)
  --json                    print one JSON object (never a token)
  --help                    this help`;

const PAGE = `  --page <smtp|pop3|imap>   which page (default smtp)`;

export const HELP: Readonly<Record<string, string>> = {
  main: `Usage: mail-oauth <command> [options]

OAuth 2.0 for SMTP, POP3 and IMAP at Microsoft 365, Google or any OpenID provider.

Commands:
  login    sign in and keep a token (device code with a QR code, or a loopback redirect)
  status   show each page's token status
  test     the connection test, with the localized message and the provider's hint
  send     send a file as an attachment through the SMTP page
  delete   delete a page's token (revoked where the provider can)

Exit codes: 0 ok, 1 usage error, 2 needs the administrator (authorization, configuration),
3 transient (network; try again), 4 token invalid (delete it and sign in again).

Run 'mail-oauth <command> --help' for the options of a command.`,
  login: `Usage: mail-oauth login --store <file> --provider <microsoft365|google|oidc> --client-id <id> --account <address> [options]

Configures a page and obtains its token. The settings are kept in the store, so the other
commands need only --store and its key.

Provider:
  --provider <id>           microsoft365, google or oidc
  --client-id <id>          the application (client) id
  --tenant <tenant>         Microsoft 365: organizations (default), common, a GUID or a domain
  --issuer <url>            oidc: the issuer URL
  --scopes <list>           oidc: the mail scopes (space or comma separated)
  (a client secret, if the app has one, comes from env MAIL_OAUTH_CLIENT_SECRET, never the command line)

Page:
${PAGE}
  --account <address>       the mailbox account
  --server <host>           mail server (default: the provider's)
  --port <n>                mail server port
  --security <s>            tls, starttls or none
  --sender-address <addr>   SMTP sender (default: the account)
  --sender-name <name>      SMTP sender name
  --ca <file>               trust this CA (PEM) for the mail server and the provider
  --allow-plaintext         loopback tests only: authenticate without TLS

Sign-in:
  --flow <flow>             device-code (default), authorization-code or client-credentials
  --redirect loopback       authorization-code: listen on 127.0.0.1 for the redirect
  --wait <seconds>          give up waiting after this long (default 900)

${STORE}`,
  status: `Usage: mail-oauth status --store <file> [options]

Shows each configured page: server, account and token status. Exit code 4 when a token is Invalid.

${STORE}`,
  test: `Usage: mail-oauth test --store <file> [options]

The connection test: connect, secure, authenticate with the token and run one real command.
Prints the localized result and, when known, what the administrator must change.

${PAGE}
  --timeout <seconds>       give up after this long (default 60)

${STORE}`,
  send: `Usage: mail-oauth send <file> --to <address> --store <file> [options]

Sends <file> as an attachment through the SMTP page.

  --to <address>            recipient (repeatable)
  --subject <text>          subject (default: the file name)
  --text <text>             body text
  --timeout <seconds>       give up after this long (default 300)

${STORE}`,
  delete: `Usage: mail-oauth delete --store <file> [options]

Deletes a page's token (revoked at the provider where possible); the status becomes Not Acquired.

  --page <smtp|pop3|imap>   which page (default: every page holding a token)

${STORE}`,
};
