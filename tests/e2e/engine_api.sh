#!/usr/bin/env bash
# End to end under Wine: wctrd's Docker Engine API (issue 16) driven by real clients nobody here wrote - Debian's
# docker CLI 20.10 (the binary of the docker.io package, no daemon), python3-docker (docker-py 5.0.3) and
# docker-compose 1.29.2 - from Linux over loopback TCP with the token, against a wctrd next to the HCS test
# double (process isolation) and with job containers. Also: the named-pipe listener from a Windows client,
# the refusals (no token, a wrong token, a non-loopback address, fields wctr cannot apply, garbage, a 10 MiB
# header, slow-loris clients, 300 idle connections) and the audit trail.
# Usage: engine_api.sh BUILD_DIR SLEEPER_EXE NPIPE_HTTP_EXE
# The clients are installed when missing: docker.io is downloaded (apt-get download) and unpacked into the
# build folder (dpkg-deb -x), python3-docker and docker-compose are installed with apt-get.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$1
. "$root/tests/e2e/lib.sh"
sleeper=$(winepath_w "$2")
npipe_http=$3
id=$$-$(date +%s%N | tail -c 7)
pipe=wctr-api-$id
api_pipe=wctr-api-docker-$id
data="C:\\wctr-api-$id"
data_unix="$WINEPREFIX/drive_c/wctr-api-$id"
bin_unix="$build/api-e2e-$id"
state_unix="$WINEPREFIX/drive_c/wctr-api-state-$id"
layers_unix="$WINEPREFIX/drive_c/wctr-api-layers-$id"
layers="C:\\wctr-api-layers-$id"
proj_unix="$build/api-e2e-proj-$id"
cfg="$build/api-e2e-docker-$id"
clients="$build/engine-api-clients"
wctrd_pid=
py=/usr/bin/python3 # Debian's, with python3-docker (not a python of the user's own)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
cleanup() {
  [ -n "$wctrd_pid" ] && kill -INT "$wctrd_pid" 2>/dev/null && wait "$wctrd_pid" 2>/dev/null
  if [ "$failed" != 0 ] && [ -f "$data_unix.log" ]; then
    echo "--- wctrd's log (the last 60 lines) ---"
    tail -n 60 "$data_unix.log"
  fi
  rm -rf "$data_unix" "$data_unix.log" "$bin_unix" "$state_unix" "$layers_unix" "$proj_unix" "$cfg"
}
trap cleanup EXIT

echo "# the clients"
if [ ! -x "$clients/usr/bin/docker" ]; then
  mkdir -p "$clients"
  (cd "$clients" && apt-get download docker.io >/dev/null 2>&1 && dpkg-deb -x docker.io_*.deb . && rm -f docker.io_*.deb)
fi
need=()
for p in python3-docker docker-compose; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${need[@]}" >/dev/null 2>&1
fi
# (Outputs are read whole before grep: with pipefail, grep -q leaving early would fail the writer.)
v=$("$clients/usr/bin/docker" --version 2>/dev/null)
[[ "$v" == *"Docker version 20.10"* ]] && ok "docker CLI 20.10 (docker.io)" || { bad "no docker CLI 20.10 in $clients"; finish; exit 1; }
"$py" -c 'import docker, sys; sys.exit(0 if docker.__version__.startswith("5.0") else 1)' 2>/dev/null \
  && ok "python3-docker 5.0" || bad "python3-docker 5.0 is not installed"
v=$(docker-compose version 2>/dev/null)
[[ "$v" == *"1.29.2"* ]] && ok "docker-compose 1.29.2" || bad "docker-compose 1.29.2 is not installed"

echo "# wctrd with the HCS double and the Engine API"
mkdir -p "$bin_unix" "$state_unix" "$layers_unix/base/Files/Windows" "$layers_unix/base/UtilityVM/Files" "$proj_unix" "$cfg"
printf 'template' >"$layers_unix/base/UtilityVM/SystemTemplate.vhdx"
cp "$build/wctrd.exe" "$build/hcs_double/computecore.dll" "$build/hcs_double/vmcompute.dll" \
  "$build/hcs_double/computenetwork.dll" "$bin_unix/"
W() { wctr -H "npipe:////./pipe/$pipe" "$@"; }
expect 2 "a non-loopback --docker-api is refused at start" \
  "$root/scripts/wine" "$bin_unix/wctrd.exe" run --data-root "$data" --pipe "$pipe" --docker-api tcp://0.0.0.0:2375
has "only a named pipe (npipe:////./pipe/NAME) or a loopback TCP address" "naming what is allowed"
has "whoever reaches it can run containers as SYSTEM" "and why"
mkdir -p "$data_unix-file/config"
printf '{"docker-api": ["tcp://192.168.1.10:2375"]}\n' >"$data_unix-file/config/wctrd.json"
expect 1 "a non-loopback \"docker-api\" in wctrd.json is refused at start" \
  "$root/scripts/wine" "$bin_unix/wctrd.exe" run --data-root "$data-file" --pipe "$pipe"
has 'wctrd.json: "docker-api" "tcp://192.168.1.10:2375": only a named pipe' "naming the file, the key and the address"
[ ! -e "$data_unix-file/config/api-token" ] && ok "no token file was written" || bad "a token file was written"
rm -rf "$data_unix-file"
# A free port: the first of a few random ones that wctrd can bind.
port=
for _ in 1 2 3 4 5; do
  try=$((20000 + RANDOM % 20000))
  WCTR_HCS_DOUBLE_STATE="C:\\wctr-api-state-$id" "$root/scripts/wine" "$bin_unix/wctrd.exe" run --data-root "$data" \
    --pipe "$pipe" --docker-api "tcp://127.0.0.1:$try" --docker-api "npipe:////./pipe/$api_pipe" \
    --test-bitlocker-state encrypted >>"$data_unix.log" 2>&1 &
  wctrd_pid=$!
  if wait_for_pipe "$pipe"; then port=$try; break; fi
  kill -INT "$wctrd_pid" 2>/dev/null; wait "$wctrd_pid" 2>/dev/null; wctrd_pid=
done
[ -n "$port" ] && ok "wctrd serves the Engine API on tcp://127.0.0.1:$port" || { bad "wctrd did not come up"; finish; exit 1; }
token=$(tr -d '\r\n' <"$data_unix/config/api-token" 2>/dev/null)
[ ${#token} = 64 ] && ok "the token file holds one line of 64 hex digits" || bad "token file: '$token'"
printf '{"HttpHeaders":{"Authorization":"Bearer %s"}}\n' "$token" >"$cfg/config.json"
export DOCKER_CONFIG="$cfg" DOCKER_HOST="tcp://127.0.0.1:$port"
D() { "$clients/usr/bin/docker" "$@"; }
# dc OUTPUT-FILE COMMAND...: a docker CLI command in the background, its output to a file.
expect 0 "wctr image add (for the HCS double)" W image add testimg --layer "$layers\\base" --os-version 10.0.20348.1 \
  --cmd "[\"$(printf '%s' "$sleeper" | sed 's/\\/\\\\/g')\",\"0\"]"

echo "# docker CLI: the system"
expect 0 "docker version" D version
has "Server: wctr" "the server is wctr"
has "API version:      1.41 (minimum version 1.24)" "API 1.41, minimum 1.24"
has "OS/Arch:          windows/amd64" "windows/amd64"
expect 0 "docker info" D info
has "OSType: windows" "OSType windows"
has "Default Isolation: process" "Docker's default isolation"
expect 0 "docker images" D images
has "testimg" "lists the catalog's image"
expect 0 "docker image inspect" D image inspect testimg --format '{{.Os}} {{.OsVersion}}'
has "windows 10.0.20348.1" "Os and OsVersion"
expect 1 "docker pull: not yet" D pull nanoserver
has "pulling images is not implemented yet" "says so"

echo "# docker CLI: a container's life (job isolation)"
expect 0 "docker run --rm" D run --rm --isolation job host "$sleeper" 0
has "sleeping" "output through attach"
has "woke" "all of it"
expect 3 "docker run --rm: the exit code" D run --rm --isolation job host "$sleeper" 0 --exit 3
printf 'line one\nline two\n' >"$proj_unix/stdin.txt"
D run -i --rm --isolation job host "$sleeper" --cat <"$proj_unix/stdin.txt" >"$out" 2>&1
grep -q "line two" "$out" && grep -q "^eof" "$out" && ok "docker run -i: stdin through the hijacked connection, then its end" \
  || bad "docker run -i"
expect 125 "--privileged is refused" D run --rm --privileged --isolation job host "$sleeper" 0
has "HostConfig.Privileged" "naming the field"
expect 125 "-p is refused for a job container" D run --rm -p 8080:80 --isolation job host "$sleeper" 0
has "a job container shares the host's network stack" "saying why"
expect 0 "docker run -d" D run -d --name life --isolation job --label suite=cli -e GREETING=hi host "$sleeper" 60
expect 0 "docker ps" D ps
has "life" "lists it"
expect 0 "docker ps --filter --format" D ps --filter label=suite=cli --format '{{.Names}}|{{.Status}}|{{.Image}}'
has "life|Up " "name, status and image through the format"
expect 0 "docker logs" D logs life
has "sleeping" "the output so far"
expect 0 "docker inspect" D inspect life --format '{{.State.Status}} {{.HostConfig.Isolation}} {{index .Config.Env 0}}'
has "running job GREETING=hi" "state, isolation and environment"
expect 0 "docker stats --no-stream" D stats --no-stream life
has "CPU %" "a stats table"
has "life" "for the container"
expect 0 "docker update --memory" D update --memory 300m life
expect 0 "and inspect shows it" D inspect life --format '{{.HostConfig.Memory}}'
has "314572800" "300m in bytes"
expect 0 "docker rename" D rename life life2
expect 0 "docker restart" D restart -t 1 life2
expect 0 "docker inspect after the restart" D inspect life2 --format '{{.State.Status}}'
has "running" "running again"
expect 0 "docker stop" D stop -t 1 life2
expect 0 "docker ps -a --filter status=exited" D ps -a --filter status=exited --format '{{.Names}}'
has "life2" "exited"
expect 0 "docker start" D start life2
expect 0 "docker kill" D kill life2
expect 0 "docker wait" D wait life2
has "1" "the exit code of the kill"
expect 1 "docker kill of a stopped container" D kill life2
has "is not running" "Docker's message"
expect 0 "docker rm -f" D rm -f life2
expect 0 "docker ps -a after it" D ps -a --format '{{.Names}}'
lacks "life2" "it is gone"

echo "# docker CLI: logs -f and events"
D events --filter container=ev --format '{{.Status}} {{.Actor.Attributes.name}}' >"$proj_unix/events.txt" 2>&1 &
events_pid=$!
sleep 1
expect 0 "docker run -d (for logs -f and events)" D run -d --name ev --isolation job host "$sleeper" 2
D logs -f ev >"$proj_unix/logs-f.txt" 2>&1 &
logs_pid=$!
expect 0 "docker wait" D wait ev
for _ in $(seq 1 50); do kill -0 "$logs_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$logs_pid" 2>/dev/null && { bad "docker logs -f did not end with the container"; kill "$logs_pid"; } \
  || ok "docker logs -f ended with the container"
grep -q "sleeping" "$proj_unix/logs-f.txt" && grep -q "woke" "$proj_unix/logs-f.txt" \
  && ok "docker logs -f followed the output to its end" || bad "docker logs -f: $(cat "$proj_unix/logs-f.txt")"
expect 0 "docker logs --tail 1" D logs --tail 1 ev
has "woke" "the last line"
lacks "sleeping" "only it"
expect 0 "docker rm" D rm ev
sleep 0.5
kill "$events_pid" 2>/dev/null
wait "$events_pid" 2>/dev/null
for e in "create ev" "start ev" "die ev" "destroy ev"; do
  grep -q "^$e" "$proj_unix/events.txt" && ok "docker events: $e" || bad "docker events lacks '$e': $(cat "$proj_unix/events.txt")"
done

echo "# docker CLI: process isolation through the HCS double"
expect 0 "docker run --rm testimg (the image's command)" D run --rm testimg
has "woke" "the image's default command ran"
expect 0 "docker run --isolation=process with limits" D run --rm --cpus 1 -m 256m testimg "$sleeper" 0
expect 0 "docker create, then rm" D create --name hcs1 testimg
expect 0 "docker rm" D rm hcs1

echo "# docker CLI: networks and published ports (the computenetwork.dll double)"
expect 0 "docker network ls" D network ls
has "nat" "lists nat"
expect 1 "docker network create without -d (docker CLI 20.10 asks for bridge)" D network create apinet
has "use -d nat" "says what to give"
expect 0 "docker network create -d nat" D network create -d nat --subnet 10.70.0.0/24 --label suite=cli apinet
expect 0 "docker network inspect" D network inspect apinet --format '{{.Driver}} {{(index .IPAM.Config 0).Subnet}} {{.Labels.suite}}'
has "nat 10.70.0.0/24 cli" "its driver, subnet and label"
expect 0 "docker run -d -p 8080:80" D run -d --name pub -p 8080:80 testimg "$sleeper" 60
expect 0 "docker port" D port pub
has "80/tcp -> 0.0.0.0:8080" "the mapping"
expect 0 "docker ps" D ps --filter name=pub --format '{{.Ports}}'
has "0.0.0.0:8080->80/tcp" "the PORTS column"
expect 0 "docker inspect's address" D inspect pub --format '{{.NetworkSettings.Networks.nat.IPAddress}}'
grep -qE '^172\.2[0-9]\.[0-9]+\.[0-9]+' "$out" && ok "an address on nat" || bad "no address on nat"
expect 0 "docker run --network apinet" D run -d --name onnet --network apinet testimg "$sleeper" 60
expect 0 "docker inspect's network" D inspect onnet --format '{{.HostConfig.NetworkMode}} {{.NetworkSettings.Networks.apinet.IPAddress}}'
grep -qE '^apinet 10\.70\.0\.[0-9]+' "$out" && ok "on apinet, with its address" || bad "not on apinet"
expect 1 "docker network rm while a container uses it" D network rm apinet
has "has active endpoints" "Docker's message"
expect 0 "docker rm -f" D rm -f pub onnet
expect 0 "docker network rm" D network rm apinet

echo "# docker-py"
"$py" "$root/tests/e2e/engine_api_probe.py" dockerpy "$port" "$sleeper" >"$out" 2>&1
py_rc=$?
grep -E '^(ok|FAIL) ' "$out" | sed 's/^/  /'
passed=$((passed + $(grep -c '^ok ' "$out")))
[ "$py_rc" = 0 ] && ok "docker-py lifecycle" || bad "docker-py lifecycle"

echo "# docker-compose (HCS double: limits, environment, labels, depends_on, a credential spec)"
# compose 1.29.2's own credential_spec key fails inside compose before any request is made ("'str' object has no
# attribute 'value'": it turns the key into strings where it expects parsed security options); the form compose
# passes on is security_opt [credentialspec=...], docs/engine-api.md.
cat >"$proj_unix/webapp01.json" <<'EOF'
{
    "CmsPlugins":  [ "ActiveDirectory" ],
    "DomainJoinConfig":  {
        "Sid":  "S-1-5-21-702590844-1001920913-2680819671",
        "MachineAccountName":  "webapp01",
        "Guid":  "244818ae-87ca-4fcd-92ec-e79e5252348a",
        "DnsTreeName":  "contoso.com",
        "DnsName":  "contoso.com",
        "NetBiosName":  "CONTOSO"
    },
    "ActiveDirectoryConfig":  {
        "GroupManagedServiceAccounts":  [ { "Name":  "webapp01", "Scope":  "contoso.com" } ],
        "HostAccountConfig":  {
            "PortableCcgVersion":  "1",
            "PluginGUID":  "{859E1386-BDB4-49E8-85C7-3070B13920E1}",
            "PluginInput":  "contoso.com:ccg:not-a-real-password"
        }
    }
}
EOF
expect 0 "wctr credentialspec add" W credentialspec add webapp01.json "$(winepath_w "$proj_unix/webapp01.json")"
cat >"$proj_unix/docker-compose.yml" <<EOF
version: "2.4"
services:
  db:
    image: testimg
    network_mode: default
    command: ['$sleeper', '60']
    environment: {ROLE: db}
    labels: {tier: data}
    mem_limit: 300m
    security_opt: ['credentialspec=file://webapp01.json']
  web:
    image: testimg
    network_mode: default
    command: ['$sleeper', '60']
    depends_on: [db]
    cpus: 0.5
    environment: {GREETING: hello}
EOF
C() { (cd "$proj_unix" && docker-compose -p shop "$@"); }
expect 0 "docker-compose up -d" C up -d
expect 0 "docker-compose ps" C ps
has "shop_db_1" "lists db"
has "shop_web_1" "lists web"
[ "$(grep "shop_db_1" "$out" | grep -c "Up")" -ge 1 ] && ok "db is up" || bad "db is not up"
expect 0 "the limits, the environment, the labels and the credential spec are applied" \
  D inspect shop_db_1 --format '{{.HostConfig.Memory}} {{index .Config.Labels "tier"}} {{index .Config.Labels "com.docker.compose.project"}} {{.HostConfig.SecurityOpt}} {{.Config.Env}}'
has "314572800 data shop" "memory and labels"
has "credentialspec=file://webapp01.json" "the credential spec"
has "ROLE=db" "the environment"
lacks "not-a-real-password" "the credential spec's password is never shown"
expect 0 "web's CPU limit" D inspect shop_web_1 --format '{{.HostConfig.NanoCpus}}'
has "500000000" "cpus 0.5"
db_started=$(D inspect shop_db_1 --format '{{.State.StartedAt}}')
web_started=$(D inspect shop_web_1 --format '{{.State.StartedAt}}')
[[ "$db_started" < "$web_started" ]] && ok "depends_on: db started before web" || bad "start order: db $db_started, web $web_started"
grep -q '"call":"HcsCreateComputeSystem"' "$state_unix/calls.jsonl" 2>/dev/null && ok "the HCS double created compute systems" \
  || bad "no compute system was created"
adds=$(grep '"call":"HcsModifyServiceSettings"' "$state_unix/calls.jsonl" 2>/dev/null | grep -c '"AddInstance"')
[ "${adds:-0}" -ge 1 ] && ok "a CCG instance for the credential spec" || bad "no CCG instance was added"
expect 0 "docker-compose logs" C logs
has "sleeping" "the services' output"
expect 0 "docker-compose down" C down
cat >"$proj_unix/credspec-key.yml" <<EOF
version: "3.8"
services:
  app:
    image: testimg
    network_mode: default
    credential_spec: {file: webapp01.json}
EOF
creates_before=$(grep -c '"Op":"container.create"' "$data_unix/audit/audit.jsonl")
expect 1 "compose 1.29.2's credential_spec key fails inside compose" C -f credspec-key.yml up -d
has "'str' object has no attribute 'value'" "compose's own error (docs/engine-api.md)"
[ "$(grep -c '"Op":"container.create"' "$data_unix/audit/audit.jsonl")" = "$creates_before" ] \
  && ok "no request reached wctrd" || bad "a create reached wctrd"
expect 0 "nothing of the project is left" D ps -a --filter label=com.docker.compose.project=shop --format '{{.Names}}'
lacks "shop_" "no container"

echo "# the named-pipe listener (a Windows client; wctr's pipe DACL, no token)"
expect 0 "GET /_ping over npipe:////./pipe/$api_pipe" "$root/scripts/wine" "$npipe_http" "\\\\.\\pipe\\$api_pipe" GET /_ping
has "HTTP/1.1 200 OK" "answered"
has "Ostype: windows" "with Docker's headers"
expect 0 "GET /v1.41/containers/json over the pipe" "$root/scripts/wine" "$npipe_http" "\\\\.\\pipe\\$api_pipe" GET /v1.41/containers/json
has "HTTP/1.1 200 OK" "no token needed there"

echo "# refusals and misbehaving clients"
"$py" "$root/tests/e2e/engine_api_probe.py" refusals "$port" "$token" >"$out" 2>&1
py_rc=$?
grep -E '^(ok|FAIL) ' "$out" | sed 's/^/  /'
passed=$((passed + $(grep -c '^ok ' "$out")))
[ "$py_rc" = 0 ] && ok "refusals and misbehaving clients" || bad "refusals and misbehaving clients"
expect 0 "the service still answers" D version

echo "# the audit trail"
audit="$data_unix/audit/audit.jsonl"
grep -q '"CallerName":"token holder on tcp://127.0.0.1:'"$port"'","Op":"engine-api".*"Result":"access_denied"' "$audit" \
  && ok "a request without the token is audited (access_denied)" || bad "no access_denied record"
grep -q '"CallerName":"token holder on tcp://127.0.0.1:'"$port"'","Op":"container.create"' "$audit" \
  && ok "a create over TCP is audited with the token holder as caller" || bad "no container.create record"
grep -q '"Op":"container.create".*HostConfig.Privileged' "$audit" && ok "a refused field is audited" || bad "no refusal record"
grep -q '"Op":"engine-api".*"Detail":"HTTP 400' "$audit" && ok "garbage HTTP is audited" || bad "no record of the garbage"
grep -q "$token" "$audit" "$data_unix.log" && bad "the token reached the audit trail or the log" || ok "the token is in neither the audit trail nor the log"

echo "# stop"
kill -INT "$wctrd_pid" 2>/dev/null
wait "$wctrd_pid" 2>/dev/null
wctrd_pid=
[ ! -e "$data_unix/config/api-token" ] && ok "the token file is removed when wctrd stops" || bad "the token file is left"
finish
