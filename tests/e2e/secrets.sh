#!/usr/bin/env bash
# End to end under Wine: secrets (create, use, remove) with each BitLocker state presented through the
# probe's seam (wctrd run --test-bitlocker-state), the plaintext searched byte by byte under the whole data
# root after run, stop and a killed wctrd, the audit trail, and `wctr check --format json`.
# Usage: secrets.sh BUILD_DIR SLEEPER_EXE
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$1
. "$root/tests/e2e/lib.sh"
sleeper=$(winepath_w "$2")
console_wctrd wctr-secrets
work=$(mktemp -d)
value="s3cr3t-$id-Zq9"
trap 'console_cleanup "$work"' EXIT
# plaintext_at: the files under the data root whose bytes contain the secret's value, one per line.
plaintext_at() { grep -rlaF -- "$value" "$data_unix" 2>/dev/null; }
no_plaintext() { # no_plaintext DESCRIPTION
  local hits
  hits=$(plaintext_at)
  if [ -z "$hits" ]; then ok "$1"; else printf '%s\n' "$hits" >"$out"; bad "$1"; fi
}
printf '%s' "$value" >"$work/value.txt"
head -c 512001 /dev/zero | tr '\0' 'x' >"$work/big.txt"
valuefile=$(winepath_w "$work/value.txt")

echo "# an encrypted volume: secrets work"
start_wctrd --test-bitlocker-state encrypted && ok "wctrd run is up (volume presented as encrypted)" || bad "wctrd did not come up"
expect 0 "secret create db FILE" W secret create db "$valuefile"
[ "$(tr -d '\r\n' <"$out" | wc -c)" = 64 ] && ok "prints the secret's 64-digit ID" || bad "no ID printed"
expect 0 "secret create api - (stdin)" bash -c "printf 'api-key-$id' | \"$root/scripts/wine\" \"$build/wctr.exe\" -H npipe:////./pipe/$pipe secret create api -"
expect 1 "a second secret named db is refused" W secret create db "$valuefile"
has "already exists" "and says so"
expect 1 "a secret over 500 KB is refused" W secret create big "$(winepath_w "$work/big.txt")"
has "500 KB" "with the limit"
expect 1 "an invalid name is refused" W secret create "bad!" "$valuefile"
has "invalid secret name" "naming the problem"
expect 0 "secret ls" W secret ls
has "db" "lists db"
has "api" "and api"
expect 0 "secret inspect db" W secret inspect db
has '"Size": '"${#value}" "shows the size"
lacks "$value" "never the value"
no_plaintext "at rest the value is nowhere in plain text under the data root"

echo "# a container reads it"
expect 0 "run --secret db,target=pw.txt" W run --rm --isolation=job --secret db,target=pw.txt host cmd /c 'type %WCTR_SECRETS_DIR%\pw.txt'
has "$value" "the container read the value from %WCTR_SECRETS_DIR%\\pw.txt"
no_plaintext "after the container exited no plaintext remains"
expect 125 "a secret that does not exist is refused at create" W create --isolation=job --secret nope host cmd /c exit 0
has "no such secret: nope" "and named"
expect 125 "an invalid target is refused" W create --isolation=job --secret 'db,target=..\x' host cmd /c exit 0
has "params.Secrets[0]" "naming the field"

echo "# compose: a service's secrets are the secrets wctr stores"
cat >"$work/compose.yaml" <<'YAML'
services:
  app:
    image: host
    isolation: job
    command: ["cmd", "/c", "type %WCTR_SECRETS_DIR%\\pw.txt"]
    secrets:
      - source: db
        target: pw.txt
secrets:
  db:
    file: ./db.txt
YAML
compose_file=$(winepath_w "$work/compose.yaml")
expect 0 "compose up a service with a secret" W compose -f "$compose_file" -p wctrsec up
has "$value" "the service read it from %WCTR_SECRETS_DIR%"
expect 0 "compose down" W compose -f "$compose_file" -p wctrsec down
no_plaintext "after compose down no plaintext remains"

echo "# compose convert --format kubernetes: a Secret object only when asked, the value read through secret.read"
cat >"$work/k8s.yaml" <<'YAML'
services:
  web:
    image: mcr.microsoft.com/windows/nanoserver:ltsc2022
    command: ["cmd", "/c", "type C:\\ProgramData\\wctr\\secrets\\pw.txt"]
    restart: always
    secrets:
      - source: db
        target: pw.txt
secrets:
  db:
    file: ./db.txt
YAML
k8s_file=$(winepath_w "$work/k8s.yaml")
expect 1 "convert without --plain-text-secrets is refused" W compose -f "$k8s_file" -p wctrsec convert --format kubernetes
has "give --plain-text-secrets" "naming the flag and the risk"
expect 0 "convert --plain-text-secrets" W compose -f "$k8s_file" -p wctrsec convert --format kubernetes --plain-text-secrets
has "db: \"$(printf '%s' "$value" | base64 -w0)\"" "the Secret holds the value read from wctr's store (base64)"
lacks "$value" "and not the plaintext itself"
no_plaintext "nothing was written under the data root on the way"
expect 0 "audit --format json" W audit --format json
has '"Op":"secret.read","Target":"db","Result":"ok"' "the read is in the audit trail"

echo "# while it runs, only its own secrets folder holds the value"
expect 0 "run -d --secret db" W run -d --isolation=job --name holder --secret db host "$sleeper" 60
cid=$(tr -d '\r\n' <"$out")
sleep 1
hits=$(plaintext_at)
if [ "$(printf '%s\n' "$hits" | grep -c .)" = 1 ] && printf '%s' "$hits" | grep "containers/$cid/secrets/db$" >/dev/null; then
  ok "the value is in containers\\$cid\\secrets\\db and nowhere else"
else
  printf '%s\n' "$hits" >"$out"; bad "the value is where it should not be (or missing)"
fi
expect 0 "stop" W stop -t 1 holder
no_plaintext "after stop no plaintext remains"
expect 1 "secret rm db is refused while a container names it" W secret rm db
has "in use by container(s) holder" "naming the container"
expect 0 "rm holder" W rm holder

echo "# wctrd killed while containers with secrets run"
expect 0 "run -d a long one" W run -d --isolation=job --name long --secret db host "$sleeper" 60
long_id=$(tr -d '\r\n' <"$out")
# brief is started last and wctrd is killed as soon as it answers: on a loaded machine a few more requests
# in between took longer than brief's 3 seconds, and brief ended while wctrd could still remove its folder.
expect 0 "run -d a short container with a secret" W run -d --isolation=job --name brief --secret db host "$sleeper" 3
brief_id=$(tr -d '\r\n' <"$out")
kill -9 "$wctrd_pid"; wait "$wctrd_pid" 2>/dev/null; wctrd_pid=
sleep 5 # brief ends while wctrd is down: nothing is left to remove its folder
if plaintext_at | grep "containers/$brief_id/secrets/db$" >/dev/null; then
  ok "the crash left brief's plaintext behind (so the sweep has something to do)"
else
  plaintext_at >"$out"; bad "brief's secret folder should still be there before the restart"
fi
start_wctrd --test-bitlocker-state encrypted && ok "wctrd started again" || bad "wctrd did not start again"
hits=$(plaintext_at)
if [ -z "$(printf '%s\n' "$hits" | grep -v "containers/$long_id/secrets/db$" | grep .)" ]; then
  ok "after the restart only the running container's folder holds the value"
else
  printf '%s\n' "$hits" >"$out"; bad "plaintext outside a running container after the restart"
fi
expect 0 "audit" W audit
has "removed the secrets folders of 1 container(s) that are not running: ${brief_id:0:12}" "the sweep at start removed brief's, and is audited"
expect 0 "stop the re-attached container" W stop -t 1 long
no_plaintext "after it stops, no plaintext remains anywhere"
expect 0 "rm -f brief long" W rm -f brief long
expect 0 "secret rm db api" W secret rm db api
expect 1 "secret inspect db after rm" W secret inspect db
has "no such secret: db" "it is gone"

echo "# an unknown volume state (Wine's real answer): refused and audited"
stop_wctrd
start_wctrd --test-bitlocker-state unknown && ok "wctrd run is up (volume presented as unknown)" || bad "wctrd did not come up"
expect 0 "info" W info
has "Unencrypted Secrets: refused" "info says unencrypted secrets are refused"
expect 1 "secret create is refused" W secret create db "$valuefile"
has "not protected by BitLocker" "saying why"
has "allow-unencrypted-secrets" "and how to override"
expect 0 "audit --format json" W audit --format json
has '"Op":"secret.create","Target":"db","Result":"access_denied"' "the refusal is audited"
has '"CallerName":' "with the caller"
lacks "$value" "and never the value"
no_plaintext "the refused value reached nothing under the data root"

echo "# the override: works, shown, audited"
stop_wctrd
printf '{"allow-unencrypted-secrets": true}\n' >"$data_unix/config/wctrd.json"
start_wctrd --test-bitlocker-state unknown && ok "wctrd run is up with allow-unencrypted-secrets" || bad "wctrd did not come up"
expect 0 "info" W info
has "Unencrypted Secrets: allowed" "info shows the override"
expect 0 "secret create works" W secret create db "$valuefile"
expect 0 "a container reads it" W run --rm --isolation=job --secret db host cmd /c 'type %WCTR_SECRETS_DIR%\db'
has "$value" "with the value"
expect 0 "audit" W audit --format json
has 'allowed by \"allow-unencrypted-secrets\": true' "every use under the override is audited"
grep '"Op":"secret.use"' "$out" | grep -F 'allowed by' >/dev/null && ok "the use by the container too" || bad "the use by the container is not audited with the override"
grep '"Op":"secret.create"' "$out" | grep -F 'allowed by' >/dev/null && ok "and the create" || bad "the create is not audited with the override"
has '"Op":"service.config","Target":"allow-unencrypted-secrets"' "and the setting itself at start"
expect 0 "audit --since 1h" W audit --since 1h
has "secret.create" "--since keeps recent records"
expect 0 "audit --since in the future" W audit --since 2999-01-01
lacks "secret.create" "and drops older ones"
expect 1 "audit --since garbage" W audit --since yesterday
has "--since" "is refused, naming the flag"
# --since a time taken before the follower starts, not a duration: a wctr.exe that starts late on a loaded
# machine then still finds the record in the history, whether it came before or after its connection.
since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
wctr -H "npipe:////./pipe/$pipe" audit -f --format json --since "$since" >"$work/follow.txt" 2>&1 &
follow_pid=$!
sleep 1
expect 0 "secret rm db while audit -f runs" W secret rm db
# The follower's record comes when it comes: wait for it up to 20 s rather than for a fixed second.
for _ in $(seq 1 100); do
  grep -F '"Op":"secret.remove","Target":"db"' "$work/follow.txt" >/dev/null 2>&1 && break
  sleep 0.2
done
kill "$follow_pid" 2>/dev/null
wait "$follow_pid" 2>/dev/null
cp "$work/follow.txt" "$out"
has '"Op":"secret.remove","Target":"db","Result":"ok"' "audit -f shows the new record as it happens"
expect 0 "wctrd serves on after the follower left" W version
no_plaintext "no plaintext anywhere after all that"

echo "# wctr check"
W check --format json >"$out" 2>&1
rc=$?
[ "$rc" = 1 ] && ok "check exits 1 (under Wine the data root's DACL reads back as mode bits: FAIL)" || bad "check exit code $rc"
for check in data-root-dacl pipe-dacl bitlocker allow-unencrypted-secrets service-binary container-memory-limit \
  container-user credspec-plugin-input orphaned-secrets container-records audit-log hcs host-build; do
  has "\"Id\":\"$check\"" "check --format json lists $check"
done
has '"Id":"allow-unencrypted-secrets","Title":"allow-unencrypted-secrets is off","Status":"FAIL"' "the override FAILs on an unknown volume"
expect 1 "check (text)" W check
has "remedy:" "each problem comes with a remedy"
finish
