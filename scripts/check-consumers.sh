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
