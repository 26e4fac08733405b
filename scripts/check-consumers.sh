#!/usr/bin/env bash
# Installs the packed tarball into throwaway ESM and CJS projects and imports it from both.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
for kind in esm cjs; do
  mkdir -p "$work/$kind"
  if [ "$kind" = esm ]; then type=module; else type=commonjs; fi
  printf '{"name":"consumer-%s","private":true,"type":"%s"}\n' "$kind" "$type" > "$work/$kind/package.json"
  (cd "$work/$kind" && npm install --no-audit --no-fund --silent "$work/$tarball" >/dev/null)
done
cat > "$work/esm/index.js" <<'JS'
import { createMailOAuth, mfpPages, memoryStore, localize, MailOAuthError } from 'mail-oauth';
const device = await createMailOAuth({ providers: [], store: memoryStore(), pages: mfpPages() });
if (device.page('smtp.quick').status !== 'not-acquired') throw new Error('unexpected status');
if (localize('ERR_TOKEN_REFRESH_FAILED', 'en') !== 'Token update failed. Please delete the token and obtain it again.') throw new Error('catalog');
if (typeof MailOAuthError !== 'function') throw new Error('errors');
await device.close();
console.log('ESM consumer ok');
JS
cat > "$work/cjs/index.js" <<'JS'
const { createMailOAuth, mfpPages, localize } = require('mail-oauth');
(async () => {
  const device = await createMailOAuth({ providers: [], pages: mfpPages() });
  if (device.page('pop.emailPrint').status !== 'not-acquired') throw new Error('unexpected status');
  if (localize('acquired', 'de') !== 'Abgerufen') throw new Error('catalog');
  // The token path must start fast on a small device: no mail client library is loaded yet.
  const eager = Object.keys(require.cache).filter((k) => /node_modules[\\/](nodemailer|imapflow)[\\/]/.test(k));
  if (eager.length > 0) throw new Error(`loaded at import: ${eager.join(', ')}`);
  await device.close();
  console.log('CJS consumer ok');
})().catch((err) => { console.error(err); process.exit(1); });
JS
(cd "$work/esm" && node index.js)
(cd "$work/cjs" && node index.js)
# mail-oauth/postgres imports without pg (an optional peer) and says so, coded, on first use.
cat > "$work/esm/postgres.js" <<'JS'
import { postgresStore } from 'mail-oauth/postgres';
const store = postgresStore({ connectionString: 'postgres://127.0.0.1/none', key: new Uint8Array(32) });
const code = await store.get('k').then(() => 'resolved', (err) => err.code);
if (code !== 'ERR_STORE_DRIVER') throw new Error(`expected ERR_STORE_DRIVER, got ${code}`);
console.log('ESM mail-oauth/postgres ok');
JS
cat > "$work/cjs/postgres.js" <<'JS'
const { postgresStore } = require('mail-oauth/postgres');
if (typeof postgresStore !== 'function') throw new Error('postgresStore');
console.log('CJS mail-oauth/postgres ok');
JS
(cd "$work/esm" && node postgres.js)
(cd "$work/cjs" && node postgres.js)
# mail-oauth/provider holds only the plug-in types: it resolves and imports from both formats.
cat > "$work/esm/provider.js" <<'JS'
const provider = await import('mail-oauth/provider');
if (Object.keys(provider).some((name) => name !== 'default')) throw new Error(`unexpected values: ${Object.keys(provider)}`);
console.log('ESM mail-oauth/provider ok');
JS
cat > "$work/cjs/provider.js" <<'JS'
const provider = require('mail-oauth/provider');
if (typeof provider !== 'object' || Object.keys(provider).length > 0) throw new Error('unexpected values');
(async () => {
  await import('mail-oauth/provider');
  console.log('CJS mail-oauth/provider ok');
})().catch((err) => { console.error(err); process.exit(1); });
JS
(cd "$work/esm" && node provider.js)
(cd "$work/cjs" && node provider.js)
# The type-only subpaths (POP3 session, page topology) and mail-oauth/languages resolve from both formats.
cat > "$work/esm/subpaths.js" <<'JS'
for (const name of ['pop3', 'topology']) {
  const entry = await import(`mail-oauth/${name}`);
  if (Object.keys(entry).some((key) => key !== 'default')) throw new Error(`mail-oauth/${name}: unexpected values ${Object.keys(entry)}`);
}
const { resolveLocale, textKeys } = await import('mail-oauth/languages');
if (resolveLocale('de-AT') !== 'de' || !textKeys.includes('ui.button.ok')) throw new Error('mail-oauth/languages');
console.log('ESM mail-oauth/pop3, /topology, /languages ok');
JS
cat > "$work/cjs/subpaths.js" <<'JS'
for (const name of ['pop3', 'topology']) {
  const entry = require(`mail-oauth/${name}`);
  if (typeof entry !== 'object' || Object.keys(entry).length > 0) throw new Error(`mail-oauth/${name}: unexpected values`);
}
const { resolveLocale, textKeys } = require('mail-oauth/languages');
if (resolveLocale('ja-JP') !== 'ja' || !textKeys.includes('ui.button.ok')) throw new Error('mail-oauth/languages');
console.log('CJS mail-oauth/pop3, /topology, /languages ok');
JS
(cd "$work/esm" && node subpaths.js)
(cd "$work/cjs" && node subpaths.js)
