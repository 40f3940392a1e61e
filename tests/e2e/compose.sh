#!/usr/bin/env bash
# End to end under Wine: `wctr compose` and `wctr credentialspec` against a console wctrd, with job-isolated
# services (Wine has no HCS: process and Hyper-V services are checked as far as wctrd goes before HCS).
# Usage: compose.sh BUILD_DIR SLEEPER_EXE
# Prints one line per check and "N passed, N failed"; exits 1 when anything failed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$1
. "$root/tests/e2e/lib.sh"
sleeper=$(winepath_w "$2")
console_wctrd wctr-compose
proj_unix="$WINEPREFIX/drive_c/wctr-compose-proj-$id"
proj="C:\\wctr-compose-proj-$id"
secret=S3cret-Pa55-$id
C() { W compose -f "$proj\\$1" -p shop "${@:2}"; }
trap 'console_cleanup "$proj_unix"' EXIT
# The project's containers (any state), counted through the label filter.
count_project() { W ps -a -q --filter label=com.docker.compose.project=shop 2>/dev/null | grep -c . ; }

mkdir -p "$proj_unix"
spec() { # spec SID: a credential spec as New-CredentialSpec writes it, with a CCG plugin password
  cat <<EOF
{
    "CmsPlugins":  [ "ActiveDirectory" ],
    "DomainJoinConfig":  {
        "Sid":  "$1",
        "MachineAccountName":  "webapp01",
        "Guid":  "244818ae-87ca-4fcd-92ec-e79e5252348a",
        "DnsTreeName":  "contoso.com",
        "DnsName":  "contoso.com",
        "NetBiosName":  "CONTOSO"
    },
    "ActiveDirectoryConfig":  {
        "GroupManagedServiceAccounts":  [ { "Name":  "webapp01", "Scope":  "contoso.com" },
                                          { "Name":  "webapp01", "Scope":  "CONTOSO" } ],
        "HostAccountConfig":  {
            "PortableCcgVersion":  "1",
            "PluginGUID":  "{859E1386-BDB4-49E8-85C7-3070B13920E1}",
            "PluginInput":  "contoso.com:ccg:$secret"
        }
    }
}
EOF
}
spec S-1-5-21-702590844-1001920913-2680819671 >"$proj_unix/webapp01.json"
spec S-1-5-32-544 >"$proj_unix/broken.json"

cat >"$proj_unix/compose.yml" <<EOF
x-job: &job
  image: host
  isolation: job
services:
  web:
    <<: *job
    command: ['$sleeper', '30']
    depends_on: [db]
    environment: {GREETING: hello}
    labels: {tier: front}
    restart: unless-stopped
    stop_grace_period: 2s
  db:
    <<: *job
    command: ['$sleeper', '30']
    labels: [tier=data]
EOF
cat >"$proj_unix/once.yml" <<EOF
services:
  hello:
    image: host
    isolation: job
    command: cmd /c echo hello-from-compose
  flaky:
    image: host
    isolation: job
    command: [cmd, /c, "echo try & exit 3"]
    restart: on-failure:2
EOF
cat >"$proj_unix/badkey.yml" <<EOF
services:
  web:
    image: host
    isolation: job
    command: [cmd]
    extra_hosts: ["db:10.0.0.2"]
EOF
cat >"$proj_unix/jobgmsa.yml" <<EOF
services:
  app:
    image: host
    isolation: job
    command: [cmd, /c, exit 0]
    credential_spec: {file: webapp01.json}
EOF
# A job service that wctrd would create, then a service whose mount its create refuses: up checks it first.
mount_project() { # mount_project FILE IMAGE_AND_ISOLATION VOLUME
  cat >"$proj_unix/$1" <<EOF
services:
  first:
    image: host
    isolation: job
    command: ['$sleeper', '30']
  app:
$2
    command: [cmd, /c, exit 0]
    depends_on: [first]
    volumes: ['$3']
EOF
}
mount_project posixmount.yml "    image: mcr.microsoft.com/windows/nanoserver:ltsc2022" "./data:/data"
mount_project jobmount.yml "    image: host
    isolation: job" 'C:\data:C:\data'
# gmsa_project FILE SOURCE [EXTRA]: a job service, then a process-isolated one with credential_spec SOURCE.
gmsa_project() {
  cat >"$proj_unix/$1" <<EOF
services:
  first:
    image: host
    isolation: job
    command: ['$sleeper', '30']
  app:
    image: mcr.microsoft.com/windows/servercore:ltsc2022
    isolation: process
    command: [cmd]
    depends_on: [first]
    network_mode: none
    credential_spec: $2
${3:-}
EOF
}
gmsa_project brokenspec.yml "{file: broken.json}"
gmsa_project goodspec.yml "{config: gmsa}" "configs: {gmsa: {file: ./webapp01.json}}"

start_wctrd && ok "wctrd run is up" || bad "wctrd run did not come up"

echo "# wctr credentialspec"
expect 0 "validate a spec without the service" W credentialspec validate "$proj\\webapp01.json"
has "a valid credential spec" "says it is valid"
expect 1 "validate a broken one" W credentialspec validate "$proj\\broken.json"
has 'DomainJoinConfig.Sid "S-1-5-32-544" is not a domain SID' "names the field and the rule"
expect 0 "add" W credentialspec add webapp01.json "$proj\\webapp01.json"
[ -f "$data_unix/credentialspecs/webapp01.json" ] && ok "stored under <data-root>\\credentialspecs" || bad "not stored"
[ ! -e "$data_unix/credentialspecs/webapp01.json.tmp" ] && ok "no temporary file left" || bad "a .tmp is left"
expect 1 "add a broken spec" W credentialspec add broken.json "$proj\\broken.json"
[ ! -e "$data_unix/credentialspecs/broken.json" ] && ok "nothing written for it" || bad "the broken spec was written"
expect 1 "add under a folder name" W credentialspec add '..\x.json' "$proj\\webapp01.json"
has "one file name, without folders" "is refused"
expect 0 "ls" W credentialspec ls
has "webapp01.json" "lists the spec"
has "contoso.com\\webapp01" "with its account"
expect 0 "inspect" W credentialspec inspect webapp01.json
has '"PluginInput": "<redacted>"' "PluginInput is redacted"
lacks "$secret" "the password is not shown"
expect 1 "inspect a missing spec" W credentialspec inspect nope.json
# A link inside the folder to a file outside it must not be followed out (the reparse-point rule).
ln -s "$proj_unix/webapp01.json" "$data_unix/credentialspecs/link.json"
expect 1 "a link that leaves the folder is refused" W credentialspec inspect link.json
has "leads elsewhere through a link" "and says why"
rm -f "$data_unix/credentialspecs/link.json"

echo "# compose up -d, ps, logs, labels, down"
expect 0 "config" C compose.yml config
has "container_name: shop-web-1" "names the containers <project>-<service>-1"
expect 0 "up -d" C compose.yml up -d
db_line=$(grep -n "shop-db-1  Created" "$out" | cut -d: -f1)
web_line=$(grep -n "shop-web-1  Created" "$out" | cut -d: -f1)
[ -n "$db_line" ] && [ -n "$web_line" ] && [ "$db_line" -lt "$web_line" ] &&
  ok "db (a dependency) was created before web" || bad "depends_on order not kept"
db_start=$(grep -n "shop-db-1  Started" "$out" | cut -d: -f1)
web_start=$(grep -n "shop-web-1  Started" "$out" | cut -d: -f1)
[ -n "$db_start" ] && [ -n "$web_start" ] && [ "$db_start" -lt "$web_start" ] &&
  ok "and started before web" || bad "start order not kept"
expect 0 "compose ps" C compose.yml ps
has "shop-web-1" "lists web"
has "shop-db-1" "lists db"
has "Up " "running"
expect 0 "ps --filter label=tier=data" W ps --filter label=tier=data --format '{{.Names}}'
has "shop-db-1" "finds db by its own label"
lacks "shop-web-1" "and not web"
[ "$(count_project)" = 2 ] && ok "two containers carry com.docker.compose.project=shop" || bad "label filter count"
expect 0 "inspect web" W inspect shop-web-1
has '"com.docker.compose.service": "web"' "labelled with its service"
has '"com.docker.compose.container-number": "1"' "and its number"
has '"Name": "unless-stopped"' "the restart policy was passed through"
has '"GREETING=hello"' "and the environment"
has '"StopTimeout": 2' "and stop_grace_period"
sleep 1
expect 0 "compose logs" C compose.yml logs
has "shop-db-1  | sleeping" "shows db's output, prefixed"
has "shop-web-1 | sleeping" "and web's"
# The containers write CR LF (the C runtime's text mode); wctr writes their bytes as they are.
hex=$(od -An -tx1 "$out" | tr -d ' \n')
case "$hex" in *0d0d0a*) bad "compose logs wrote CR CR LF" ;; *0d0a*) ok "compose logs writes the containers' CR LF as it is" ;; *) bad "compose logs: no CR LF seen" ;; esac
expect 0 "compose logs web" C compose.yml logs web
lacks "shop-db-1" "a service's logs only"
expect 0 "up -d again" C compose.yml up -d
has "shop-web-1  Running" "reuses the running containers"
expect 0 "down" C compose.yml down
web_rm=$(grep -n "shop-web-1  Removed" "$out" | cut -d: -f1)
db_rm=$(grep -n "shop-db-1  Removed" "$out" | cut -d: -f1)
[ -n "$web_rm" ] && [ -n "$db_rm" ] && [ "$web_rm" -lt "$db_rm" ] && ok "down removes in reverse order" ||
  bad "down order"
[ "$(count_project)" = 0 ] && ok "nothing of the project is left" || bad "containers left after down"

echo "# up attached, restart policies"
expect 0 "up (attached) until the services exit" C once.yml up
has "shop-hello-1 | hello-from-compose" "shows the output, prefixed"
# The last restart may still be running on a loaded machine: wait (at most 60 s) until it has exited.
for _ in $(seq 1 120); do
  W inspect -f '{{.State.Status}} {{.RestartCount}}' shop-flaky-1 2>/dev/null | grep '^exited 2' >/dev/null && break
  sleep 0.5
done
expect 0 "inspect flaky" W inspect shop-flaky-1
has '"RestartCount": 2' "on-failure:2 restarted it twice"
has '"Status": "exited"' "then left it exited"
expect 0 "down" C once.yml down

echo "# restart policies across a wctrd restart"
expect 0 "up -d" C compose.yml up -d
expect 0 "stop db by hand" W stop -t 1 shop-db-1
stop_wctrd
start_wctrd && ok "wctrd started again" || bad "wctrd did not start again"
expect 0 "inspect web" W inspect shop-web-1
has '"Status": "running"' "web (unless-stopped) came back"
expect 0 "inspect db" W inspect shop-db-1
has '"Status": "exited"' "db (no restart policy, stopped by hand) did not"
expect 0 "down" C compose.yml down

echo "# nothing is created when a service is wrong"
expect 1 "a gMSA on a job service" C jobgmsa.yml up -d
has "needs process or hyperv isolation" "is refused"
[ "$(count_project)" = 0 ] && ok "nothing created" || bad "something was created"
expect 1 "a credential spec missing from the store" C brokenspec.yml up -d
has 'wctr compose: services.app.credential_spec: invalid credential spec: file://broken.json: no such file in' \
  "fails naming the key and the file"
[ "$(count_project)" = 0 ] && ok "nothing created, not even the job service before it" || bad "something was created"
cp "$proj_unix/broken.json" "$data_unix/credentialspecs/broken.json"
expect 1 "a broken credential spec in the store" C brokenspec.yml up -d
has 'file://broken.json: credential spec: DomainJoinConfig.Sid "S-1-5-32-544" is not a domain SID' \
  "fails naming its source, the field and the rule"
[ "$(count_project)" = 0 ] && ok "nothing created" || bad "something was created"
expect 1 "a key wctr does not apply" W compose -f "$proj\\compose.yml" -f "$proj\\badkey.yml" -p shop up -d
has 'services.web.extra_hosts: "extra_hosts" is not supported by wctr' "names the key and its path"
[ "$(count_project)" = 0 ] && ok "nothing created" || bad "something was created"
expect 1 "a mount wctrd's create refuses (a POSIX target)" C posixmount.yml up -d
has "services.app.volumes[0]: -v \"$proj\\data:/data\": the container path must be absolute" \
  "is refused by up, naming the service's volume"
lacks "Created" "before the first container was created (not undone after it)"
[ "$(count_project)" = 0 ] && ok "nothing created, not even the job service before it" || bad "something was created"
expect 1 "a mount on a job service" C jobmount.yml up -d
has "services.app.volumes: a job container shares the host's file system and has no mounts" "is refused by up"
lacks "Created" "before the first container was created"
[ "$(count_project)" = 0 ] && ok "nothing created" || bad "something was created"
# A valid spec (a config, passed as raw://) passes wctrd's check; the process-isolated service then cannot
# be created without HCS, and the job service created before it is removed again.
expect 1 "a valid spec on a host without HCS" C goodspec.yml up -d
has "services.app.credential_spec: raw:// is valid" "the spec was checked by wctrd"
has "shop-first-1  Created" "the first service was created"
has "undoing this up" "the failure undoes the up"
lacks "$secret" "the password never shows"
[ "$(count_project)" = 0 ] && ok "nothing is left" || bad "containers left after a failed up"
grep -qF "$secret" "$data_unix.log" && bad "the password reached wctrd's log" || ok "wctrd's log has no password"

echo "# a gMSA on a process container, with the HCS test double"
# A second wctrd, copied next to the double's DLLs (as tests/e2e/hcs_containers.sh does).
bin_unix="$build/compose-hcs-$id"
state_unix="$WINEPREFIX/drive_c/wctr-compose-state-$id"
layers_unix="$WINEPREFIX/drive_c/wctr-compose-layers-$id"
mkdir -p "$bin_unix" "$state_unix" "$layers_unix/base/Files/Windows" "$layers_unix/base/UtilityVM/Files"
printf 'wctr-hcs-double VHDX v1\nkind=SystemTemplate\n' >"$layers_unix/base/UtilityVM/SystemTemplate.vhdx"
cp "$build/wctrd.exe" "$build/hcs_double/computecore.dll" "$build/hcs_double/vmcompute.dll" \
  "$build/hcs_double/computenetwork.dll" "$bin_unix/"
hcs_pipe=wctr-compose-hcs-$id
WCTR_HCS_DOUBLE_STATE="C:\\wctr-compose-state-$id" "$root/scripts/wine" "$bin_unix/wctrd.exe" run \
  --data-root "C:\\wctr-compose-hcs-$id" --pipe "$hcs_pipe" >>"$data_unix.log" 2>&1 &
hcs_pid=$!
H() { wctr -H "npipe:////./pipe/$hcs_pipe" "$@"; }
wait_for_pipe "$hcs_pipe" && ok "wctrd with the HCS double is up" || bad "wctrd with the HCS double did not come up"
expect 0 "image add" H image add gmsaimg --layer "C:\\wctr-compose-layers-$id\\base" --os-version 10.0.20348.1
expect 0 "credentialspec add" H credentialspec add webapp01.json "$proj\\webapp01.json"
cat >"$proj_unix/hcs.yml" <<EOF
services:
  app:
    image: gmsaimg
    isolation: process
    command: ['$sleeper', '60']
    credential_spec: {file: webapp01.json}
  vm:
    image: gmsaimg
    isolation: hyperv
    mem_limit: 500m
    command: ['$sleeper', '60']
    credential_spec: {file: webapp01.json}
    depends_on: [app]
EOF
calls="$state_unix/calls.jsonl"
calls_of() { grep "\"call\":\"$1\"" "$calls" 2>/dev/null; }
expect 0 "compose up -d: a process and a Hyper-V service with credential_spec" H compose -f "$proj\\hcs.yml" -p gmsa up -d
adds=$(calls_of HcsModifyServiceSettings | grep -c '"Operation":"AddInstance"')
[ "$adds" = 2 ] && ok "two CCG instances were added" || bad "AddInstance calls: $adds"
calls_of HcsModifyServiceSettings | grep '"Operation":"AddInstance"' | grep '"Transport":"LRPC"' >/dev/null \
  && ok "the process container's instance uses LRPC" || bad "no LRPC AddInstance"
calls_of HcsModifyServiceSettings | grep '"Operation":"AddInstance"' | grep '"Transport":"HvSocket"' >/dev/null \
  && ok "the Hyper-V container's instance uses HvSocket" || bad "no HvSocket AddInstance"
calls_of HcsCreateComputeSystem | grep -v '"HostedSystem"' | grep '"ContainerCredentialGuard":{"Cookie":' >/dev/null \
  && ok "ContainerCredentialGuard is in the process container's document" || bad "no ContainerCredentialGuard (process)"
calls_of HcsCreateComputeSystem | grep '"HostedSystem"' | grep '"ContainerCredentialGuard":{"Cookie":' >/dev/null \
  && ok "ContainerCredentialGuard is in the hosted container's document" || bad "no ContainerCredentialGuard (Hyper-V)"
calls_of HcsCreateComputeSystem | grep '"VirtualMachine"' | grep '"ServiceTable":{' >/dev/null \
  && ok "the utility VM has the CCG HvSocket service" || bad "no ServiceTable in the utility VM"
removes_before=$(calls_of HcsModifyServiceSettings | grep -c '"Operation":"RemoveInstance"')
[ "$removes_before" = 0 ] && ok "no instance removed while the containers run" || bad "RemoveInstance before down"
expect 0 "compose ps" H compose -f "$proj\\hcs.yml" -p gmsa ps
has "gmsa-app-1" "lists the process service"
has "gmsa-vm-1" "and the Hyper-V one"
expect 0 "inspect" H inspect gmsa-app-1
lacks "$secret" "inspect never shows PluginInput"
expect 0 "compose down" H compose -f "$proj\\hcs.yml" -p gmsa down
removes=$(calls_of HcsModifyServiceSettings | grep -c '"Operation":"RemoveInstance"')
[ "$removes" = 2 ] && ok "down removed both CCG instances" || bad "RemoveInstance calls after down: $removes"
grep -qE '"CcgInstances":[[:space:]]*\[[[:space:]]*\{' "$state_unix/state.json" 2>/dev/null && bad "CCG instances are left in the double" \
  || ok "no CCG instance is left in the double"
expect 0 "run --dry-run with a credential spec" H run --dry-run --isolation=process \
  --security-opt credentialspec=file://webapp01.json gmsaimg cmd /c echo hi
has '"call":"HcsModifyServiceSettings"' "shows the AddInstance request"
has '<redacted>' "with PluginInput redacted"
lacks "$secret" "and never the password"
expect 125 "a broken spec still fails first, naming the field" H run --isolation=process \
  --security-opt "credentialspec=raw://{\"CmsPlugins\":[\"ActiveDirectory\"]}" gmsaimg cmd /c echo hi
has 'raw://: credential spec: "DomainJoinConfig" is required' "names the field"
grep -qF "$secret" "$calls" && ok "(the double did receive the spec, as HCS must)" || bad "the spec never reached the double"
grep -qF "$secret" "$data_unix.log" && bad "the password reached a wctrd log" || ok "no wctrd log has the password"
kill -INT "$hcs_pid" 2>/dev/null && wait "$hcs_pid" 2>/dev/null
rm -rf "$bin_unix" "$state_unix" "$layers_unix" "$WINEPREFIX/drive_c/wctr-compose-hcs-$id"

expect 0 "credentialspec rm" W credentialspec rm webapp01.json
[ ! -e "$data_unix/credentialspecs/webapp01.json" ] && ok "the file is gone" || bad "the file is still there"
finish
