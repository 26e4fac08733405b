#!/usr/bin/env bash
# The packed package's CLI as an integrator runs it: npm pack, install the tarball into a
# throwaway project, then `npx mail-oauth login → test → send → delete` against the local peers
# (oidc-provider, smtp-server; started by test/cli/peers.ts, which also plays the signing-in user).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
work=$(mktemp -d)
peers_pid=
cleanup() {
  if [ -n "$peers_pid" ]; then kill -TERM "$peers_pid" 2>/dev/null || true; wait "$peers_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "check-cli: $*" >&2; exit 1; }

tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
mkdir -p "$work/app"
printf '{"name":"cli-consumer","private":true,"type":"module"}\n' > "$work/app/package.json"
(cd "$work/app" && npm install --no-audit --no-fund --silent "$work/$tarball" >/dev/null)

info="$work/peers.json"
node --import tsx test/cli/peers.ts "$info" &
peers_pid=$!
for _ in $(seq 1 150); do [ -s "$info" ] && break; sleep 0.2; done
[ -s "$info" ] || fail "the peers did not start"
field() { node -e "process.stdout.write(String(JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'))[process.argv[2]] ?? ''))" "$info" "$1"; }

export MAIL_OAUTH_STORE_KEY
MAIL_OAUTH_STORE_KEY=$(node -e "process.stdout.write(require('crypto').randomBytes(32).toString('hex'))")
store="$work/oauth.jwe"
cd "$work/app"

npx --no-install mail-oauth --help >/dev/null
# login waits for the user: the peers helper approves the code we hand it.
npx --no-install mail-oauth login --store "$store" --provider oidc --issuer "$(field issuer)" --client-id "$(field publicClient)" \
  --scopes mail --account "$(field user)" --server 127.0.0.1 --port "$(field smtpPort)" --security starttls --ca "$(field caPath)" \
  --wait 60 --json >"$work/login.out" 2>"$work/login.err" &
login_pid=$!
for _ in $(seq 1 100); do grep -q 'Code: ' "$work/login.err" 2>/dev/null && break; sleep 0.2; done
sed -n 's/^ *Code: //p' "$work/login.err" | head -n 1 > "$info.code"
[ -s "$info.code" ] || fail "login printed no code: $(cat "$work/login.err")"
wait "$login_pid" || fail "login failed: $(cat "$work/login.err" "$work/login.out")"
grep -q '"status":"acquired"' "$work/login.out" || fail "login: $(cat "$work/login.out")"
echo "login ok"

npx --no-install mail-oauth test --store "$store" --json | tee "$work/test.out" | grep -q '"code":"OK"' || fail "test: $(cat "$work/test.out")"
echo "test ok"

printf '%%PDF-1.4\n%% mail-oauth check-cli\n%%%%EOF\n' > "$work/scan-check.pdf"
npx --no-install mail-oauth send "$work/scan-check.pdf" --to office@example.test --store "$store" >/dev/null
for _ in $(seq 1 50); do grep -q 'scan-check.pdf' "$info" && break; sleep 0.2; done
grep -q 'scan-check.pdf' "$info" || fail "send: the mail did not arrive"
echo "send ok"

npx --no-install mail-oauth delete --store "$store" >/dev/null
npx --no-install mail-oauth status --store "$store" | grep -q 'Not Acquired' || fail "delete: the token is still there"
set +e
npx --no-install mail-oauth test --store "$store" --json >/dev/null
code=$?
set -e
[ "$code" = 2 ] || fail "test after delete: exit $code, expected 2"
echo "delete ok"
cd "$repo"
echo "packed CLI: login → test → send → delete ok"
