#!/usr/bin/env bash
# End to end under Wine: container networking against the test doubles - computenetwork.dll (HNS:
# networks, endpoints, namespaces, host-wide port mappings) beside computecore.dll, which refuses a container
# whose network namespace does not exist or holds no endpoint, and a hosted container whose utility VM lacks
# the namespace and the adapter. The unchanged wctrd.exe is copied next to the doubles and loads them as it
# would load Windows' own. Covers the default nat, wctr network create/ls/inspect/rm/prune, process and
# Hyper-V containers with -p, -P, --network none, ps's PORTS, wctr port, inspect's NetworkSettings, conflicts,
# kill -9 of wctrd and its restart (re-attach, the sweep of what a crash left), rm -f, failures injected into
# HNS leaving nothing behind, and compose's ports and networks.
# Then a second wctrd on a host whose HNS already has another program's networks and endpoint (Docker's, made by
# hns_other.exe): nat adopted, the host's networks used but never changed or removed, its endpoint left alone.
# Usage: networks.sh BUILD_DIR SLEEPER_EXE HNS_OTHER_EXE   (WCTR_E2E_KEEP=DIR keeps the doubles' call log and wctrd's log there)
# Prints one line per check and "N passed, N failed"; exits 1 when anything failed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$1
. "$root/tests/e2e/lib.sh"
sleeper=$(winepath_w "$2")
double_wctrd wctr-net
cp "$3" "$bin_unix/"
layers_unix="$WINEPREFIX/drive_c/wctr-net-layers-$id"
layers="C:\\wctr-net-layers-$id"
proj_unix="$WINEPREFIX/drive_c/wctr-net-proj-$id"
proj="C:\\wctr-net-proj-$id"
kill9_wctrd() {
  kill -KILL "$wctrd_pid" 2>/dev/null
  wait "$wctrd_pid" 2>/dev/null
  wctrd_pid=
}
cleanup() {
  stop_wctrd
  [ -n "${WCTR_E2E_KEEP:-}" ] && cp "$calls" "$data_unix.log" "$WCTR_E2E_KEEP/" 2>/dev/null
  console_cleanup "$layers_unix" "$proj_unix"
}
trap cleanup EXIT
control() { printf '%s\n' "$@" >"$state_unix/control.txt"; }
count_calls() { grep -c "\"call\":\"$1\"" "$calls" 2>/dev/null || true; }
# hns SECTION [FILTER]: how many records of a section of the doubles' state (Networks, Endpoints, Namespaces,
# Systems) there are; FILTER a Python expression over the record r.
hns() {
  python3 - "$state_unix/state.json" "$1" "${2:-True}" <<'EOF'
import json, sys
try:
    state = json.load(open(sys.argv[1], encoding="utf-8-sig"))
except (OSError, ValueError):
    state = {}
records = state.get(sys.argv[2]) or []
print(sum(1 for r in records if eval(sys.argv[3], {"r": r})))
EOF
}
running() { hns Systems "r.get('State') not in ('Stopped', None)"; }
# The host ports HNS maps for the endpoints it holds, sorted.
mapped() {
  python3 - "$state_unix/state.json" <<'EOF'
import json, sys
try:
    state = json.load(open(sys.argv[1], encoding="utf-8-sig"))
except (OSError, ValueError):
    state = {}
ports = []
for e in state.get("Endpoints") or []:
    for p in (e.get("Props") or {}).get("Policies") or []:
        if p.get("Type") == "PortMapping":
            ports.append(str(p["Settings"].get("ExternalPort")))
print(" ".join(sorted(ports, key=int)))
EOF
}
nothing_left() { # nothing_left DESCRIPTION: no endpoint, no namespace, no running system
  [ "$(hns Endpoints)" = 0 ] && [ "$(hns Namespaces)" = 0 ] && [ "$(running)" = 0 ] && ok "$1" \
    || bad "$1: endpoints $(hns Endpoints), namespaces $(hns Namespaces), systems $(running)"
}

mkdir -p "$layers_unix/base/Files/Windows" "$layers_unix/base/UtilityVM/Files" "$proj_unix"
printf 'wctr-hcs-double VHDX v1\nkind=SystemTemplate\n' >"$layers_unix/base/UtilityVM/SystemTemplate.vhdx"
start_wctrd && ok "wctrd with the doubles is up" || bad "wctrd did not come up"
expect 0 "image add" W image add testimg --layer "$layers\\base" --os-version 10.0.20348.1 --cmd 'cmd /c echo hi'

echo "# the default network"
[ "$(hns Networks "r['Props'].get('Name') == 'nat'")" = 1 ] && ok "HNS had no NAT network: wctrd created nat" \
  || bad "no nat network in HNS"
grep -q "nat" "$data_unix.log" && ok "and logged it" || bad "nothing in the log about nat"
expect 0 "network ls" W network ls
grep -qE "^[0-9a-f]{12} +nat +nat +local" "$out" && ok "lists nat (driver nat)" || bad "lists nat"
has "none" "and none"
has "host" "and host (job containers)"
expect 0 "network inspect nat" W network inspect nat
has '"Subnet": "172.20.0.0/16"' "HNS's subnet"

echo "# wctr network create / ls / inspect / rm"
expect 0 "network create web --subnet --gateway --label" W network create --subnet 10.50.0.0/24 --gateway 10.50.0.1 \
  --label tier=front web
web_id=$(tr -d '\r\n' <"$out")
[ ${#web_id} = 64 ] && ok "prints its 64-digit id" || bad "prints its id"
[ "$(hns Networks "r['Props'].get('Name') == 'web'")" = 1 ] && ok "HNS has it" || bad "HNS does not have it"
expect 1 "the same name again" W network create web
has "network with name web already exists" "Docker's message"
expect 1 "an overlapping subnet" W network create --subnet 10.50.0.0/16 web2
has "Pool overlaps with other one on this address space" "Docker's message"
expect 1 "a driver other than nat" W network create -d transparent t1
has "nat networks only" "says what wctr creates"
expect 0 "network inspect web" W network inspect web
has '"Subnet": "10.50.0.0/24"' "its subnet"
has '"tier": "front"' "its label"
has '"com.wctr.network.owner": "wctr-' "and wctr's owner label"
expect 0 "network ls --filter label=tier=front -q" W network ls --filter label=tier=front -q
[ "$(tr -d '\r' <"$out")" = "${web_id:0:12}" ] && ok "finds it by label" || bad "finds it by label"

echo "# a process container with -p"
expect 0 "run -d -p 8080:80 -p 5353:53/udp" W run -d --name p1 --isolation=process -p 8080:80 -p 5353:53/udp testimg \
  "$sleeper" 120
[ "$(hns Endpoints)" = 1 ] && [ "$(hns Namespaces)" = 1 ] && ok "one endpoint in one namespace" \
  || bad "endpoints $(hns Endpoints), namespaces $(hns Namespaces)"
[ "$(mapped)" = "5353 8080" ] && ok "HNS maps host ports 5353 and 8080" || bad "HNS maps: $(mapped)"
grep '"call":"HcsCreateComputeSystem"' "$calls" | tail -n 1 | grep '"Networking":{"Namespace":"' >/dev/null \
  && ok "the container names its namespace (Container.Networking)" || bad "no Networking.Namespace"
expect 0 "ps" W ps
has "0.0.0.0:5353->53/udp, 0.0.0.0:8080->80/tcp" "PORTS as docker ps shows them"
expect 0 "port p1" W port p1
has "53/udp -> 0.0.0.0:5353" "wctr port: udp"
has "80/tcp -> 0.0.0.0:8080" "wctr port: tcp"
expect 0 "port p1 80" W port p1 80
[ "$(tr -d '\r' <"$out")" = "0.0.0.0:8080" ] && ok "one port" || bad "one port"
expect 0 "inspect p1" W inspect p1
has '"IPAddress": "172.20.' "an address from nat's subnet"
has '"HostPort": "8080"' "NetworkSettings.Ports"
has '"nat": {' "Networks names nat"
has '"NetworkMode": "default"' "NetworkMode default"
expect 0 "inspect -f {{.NetworkSettings.IPAddress}}" W inspect -f '{{.NetworkSettings.IPAddress}}' p1
grep -qE '^172\.20\.[0-9]+\.[0-9]+' "$out" && ok "the address by template" || bad "the address by template"
expect 125 "another container on host port 8080" W run -d --name p2 --isolation=process -p 8080:80 testimg "$sleeper" 60
has "port is already allocated" "Docker's message"
W ps -a --format '{{.Names}}' >"$out" 2>&1
lacks "p2" "nothing was created for it"
[ "$(hns Endpoints)" = 1 ] && ok "HNS holds one endpoint still" || bad "endpoints: $(hns Endpoints)"

echo "# -P, --expose, --network none, unknown networks"
expect 0 "run -d -P --expose 7000" W run -d --name pp --isolation=process -P --expose 7000 testimg "$sleeper" 120
expect 0 "port pp" W port pp
grep -qE '^7000/tcp -> 0\.0\.0\.0:(49[1-9][0-9]{2}|[5-6][0-9]{4})' "$out" && ok "7000 gets a dynamic host port" \
  || bad "no dynamic port for 7000"
expect 0 "run --network none" W run --rm --isolation=process --network none testimg cmd /c echo no-network
has "no-network" "runs"
grep '"call":"HcsCreateComputeSystem"' "$calls" | tail -n 1 | grep '"Networking"' >/dev/null \
  && bad "a none container got a namespace" || ok "without a namespace"
expect 125 "--network nosuch" W run --rm --isolation=process --network nosuch testimg cmd /c echo x
has "network nosuch not found" "Docker's message"
expect 125 "-p with --network none" W run --rm --isolation=process --network none -p 80:80 testimg cmd
has "no network to publish ports on" "says why"
expect 125 "--network host for a process container" W run --rm --isolation=process --network host testimg cmd
has "only job containers" "says why"
expect 125 "-p for a job container" W run --rm --isolation=job -p 80:80 host cmd /c echo x
has "a job container shares the host's network stack" "says why"
expect 125 "a host range for one port" W run --rm --isolation=process -p 8000-8010:80 testimg cmd
has "Windows does not support more than one host port in NAT settings" "moby's Windows message"
expect 125 "a host IP" W run --rm --isolation=process -p 127.0.0.1:80:80 testimg cmd
has "Windows does not support host IP addresses in NAT settings" "moby's Windows message"
expect 125 "a container port outside 1-65535" W run --rm --isolation=process -p 80:65536 testimg cmd
has "invalid containerPort: 65536" "Docker's message"
expect 125 "a host port outside 1-65535" W run --rm --isolation=process -p 70000:80 testimg cmd
has "invalid hostPort: 70000" "Docker's message"
expect 125 "one host port published twice by one container" W run --rm --isolation=process -p 8484:80 -p 8484:81 \
  testimg cmd
has "Bind for 0.0.0.0:8484 failed: port is already allocated" "Docker's message"
expect 125 "--network nat for a job container" W run --rm --isolation=job --network nat host cmd /c echo x
has "only --network host applies to it" "says why"
expect 0 "create a job container" W create --isolation=job --name jnet host cmd /c echo x
expect 0 "inspect it" W inspect jnet
has '"NetworkMode": "host"' "NetworkMode host: it shares the host's network stack"
W rm jnet >/dev/null 2>&1
[ "$(W ps -a -q | tr -d '\r' | wc -l)" = 2 ] && ok "none of the refused runs left a container" \
  || bad "containers: $(W ps -a -q | tr -d '\r' | wc -l)"

echo "# a Hyper-V container on a network of its own"
expect 0 "run -d --isolation=hyperv --network web -p 9090:80 --mac-address" W run -d --name h1 --isolation=hyperv \
  --network web -p 9090:80 --mac-address 02-42-0a-32-00-09 --dns 10.50.0.1 --dns-search corp.example testimg \
  "$sleeper" 120
web_hns=$(python3 -c "import json,sys;s=json.load(open(sys.argv[1],encoding='utf-8-sig'));print([n['Id'] for n in s['Networks'] if n['Props'].get('Name')=='web'][0])" "$state_unix/state.json")
[ "$(hns Endpoints "r['Props'].get('HostComputeNetwork','').lower() == '${web_hns,,}'")" = 1 ] \
  && ok "its endpoint is on web" || bad "no endpoint on web"
[ "$(hns Endpoints "r['Props'].get('MacAddress','').lower() == '02-42-0a-32-00-09'")" = 1 ] \
  && ok "with the MAC address asked for" || bad "not the MAC address asked for"
grep '"call":"HcsModifyComputeSystem"' "$calls" | grep '"ResourceType":"NetworkNamespace"' >/dev/null \
  && ok "the namespace was added to the utility VM" || bad "no NetworkNamespace in the VM"
grep '"call":"HcsModifyComputeSystem"' "$calls" | grep '"ResourcePath":"VirtualMachine/Devices/NetworkAdapters/' >/dev/null \
  && ok "and the adapter" || bad "no network adapter on the VM"
expect 0 "port h1" W port h1
has "80/tcp -> 0.0.0.0:9090" "its mapping"
expect 0 "inspect h1" W inspect h1
has '"web": {' "Networks names web"
has '"IPAddress": "10.50.0.' "an address from web's subnet"
has '"MacAddress": "02:42:0a:32:00:09"' "the MAC address"
has '"DnsSearch": [' "the DNS settings"
expect 0 "network inspect web" W network inspect web
has '"Name": "h1"' "lists h1 among its containers"
expect 1 "network rm web while h1 runs" W network rm web
has "has active endpoints" "Docker's message"
expect 1 "network rm nat (wctrd created it, and it stays Docker's default)" W network rm nat
has "nat is a pre-defined network and cannot be removed" "Docker's message"

echo "# kill -9 of wctrd: containers re-attached with their networks"
kill9_wctrd
[ "$(hns Endpoints)" = 3 ] && ok "HNS keeps the endpoints of the three containers" || bad "endpoints: $(hns Endpoints)"
start_wctrd && ok "wctrd is back" || bad "wctrd did not come back"
[ "$(hns Endpoints)" = 3 ] && ok "nothing of theirs was swept" || bad "endpoints after restart: $(hns Endpoints)"
expect 0 "ps" W ps
has "0.0.0.0:8080->80/tcp" "p1's ports"
has "0.0.0.0:9090->80/tcp" "h1's ports"
expect 125 "port 8080 is still held" W run -d --name p3 --isolation=process -p 8080:80 testimg "$sleeper" 60
has "port is already allocated" "Docker's message"
expect 0 "port h1 after the restart" W port h1
has "80/tcp -> 0.0.0.0:9090" "the same mapping"

echo "# what a crash left half-made is swept at the next start"
control "delay HcsCreateComputeSystem:1:30000"
W run -d --name halfway --isolation=process -p 7070:70 testimg "$sleeper" 60 >/dev/null 2>&1 &
runner=$!
for _ in $(seq 1 100); do grep '"call":"HcsCreateComputeSystem"' "$calls" | grep '"delayMs"' >/dev/null && break; sleep 0.1; done
[ "$(hns Endpoints)" = 4 ] && ok "its endpoint exists while HCS is held up" || bad "endpoints: $(hns Endpoints)"
kill9_wctrd
wait "$runner" 2>/dev/null
control ""
start_wctrd && ok "wctrd is back" || bad "wctrd did not come back"
for _ in $(seq 1 50); do [ "$(hns Endpoints)" = 3 ] && break; sleep 0.1; done
[ "$(hns Endpoints)" = 3 ] && [ "$(hns Namespaces)" = 3 ] && ok "the sweep removed its endpoint and namespace" \
  || bad "endpoints $(hns Endpoints), namespaces $(hns Namespaces)"
case " $(mapped) " in *" 7070 "*) bad "7070 is still mapped" ;; *) ok "and freed host port 7070" ;; esac
W rm -f halfway >/dev/null 2>&1

echo "# stop, rm -f: the network goes with the run"
expect 0 "stop pp" W stop -t 2 pp
[ "$(hns Endpoints)" = 2 ] && ok "its endpoint was removed" || bad "endpoints: $(hns Endpoints)"
expect 0 "port pp of a stopped container" W port pp
[ ! -s "$out" ] && ok "shows nothing" || bad "shows something"
expect 0 "rm -f h1 (running)" W rm -f h1
[ "$(hns Endpoints "r['Props'].get('HostComputeNetwork','').lower() == '${web_hns,,}'")" = 0 ] \
  && ok "its endpoint is gone" || bad "h1's endpoint is left"
expect 0 "network rm web" W network rm web
[ "$(hns Networks "r['Props'].get('Name') == 'web'")" = 0 ] && ok "HNS no longer has it" || bad "HNS still has web"
expect 0 "start pp again" W start pp
[ "$(hns Endpoints)" = 2 ] && ok "a new endpoint for the new run" || bad "endpoints: $(hns Endpoints)"
expect 0 "rm -f p1 pp" W rm -f p1 pp
nothing_left "no endpoint, namespace or system is left"

echo "# HNS failures leave nothing behind and are explained"
fail_hcn() { # fail_hcn ISOLATION FUNCTION HRESULT DESCRIPTION TEXT...
  local iso=$1 fn=$2 hr=$3 what=$4
  shift 4
  control "fail $fn:1:$hr"
  expect 125 "$what" W run --isolation="$iso" -p 6060:60 testimg cmd /c echo never
  for text in "$@"; do has "$text" "the error says: $text"; done
  control ""
  W ps -a -q >"$out" 2>&1
  [ ! -s "$out" ] && ok "no container record" || bad "a container record is left"
  nothing_left "no endpoint, namespace or system"
}
fail_hcn process HcnCreateEndpoint 0x803B0013 "HcnCreateEndpoint fails (port in use)" "HcnCreateEndpoint" \
  "HCN_E_PORT_ALREADY_EXISTS"
fail_hcn process HcnCreateNamespace 0x80070005 "HcnCreateNamespace fails" "HcnCreateNamespace"
fail_hcn process HcnModifyNamespace 0x803B002B "adding the endpoint to the namespace fails" "HcnModifyNamespace"
fail_hcn hyperv HcnCreateEndpoint 0x803B0001 "Hyper-V: the network vanished" "HCN_E_NETWORK_NOT_FOUND"
fail_at_hcs() { # the container's own start fails after the network was made
  control "fail HcsStartComputeSystem:1:0x80370101"
  expect 125 "HcsStartComputeSystem fails after the endpoint exists" W run --isolation=process -p 6060:60 testimg cmd
  control ""
  W ps -a -q >"$out" 2>&1
  [ ! -s "$out" ] && ok "no container record" || bad "a container record is left"
  nothing_left "the endpoint and namespace were removed"
}
fail_at_hcs

echo "# compose: ports and networks"
cat >"$proj_unix/compose.yml" <<EOF
name: shop
services:
  web:
    image: testimg
    isolation: process
    command: ["$(printf '%s' "$sleeper" | sed 's/\\/\\\\/g')", "120"]
    ports: ["8181:80"]
    networks: [front]
  db:
    image: testimg
    isolation: process
    command: ["$(printf '%s' "$sleeper" | sed 's/\\/\\\\/g')", "120"]
    expose: ["1433"]
networks:
  front:
    ipam: {config: [{subnet: 10.60.0.0/24}]}
EOF
(cd "$proj_unix" && W compose up -d) >"$out" 2>&1 && ok "compose up -d" || bad "compose up -d"
has "Network shop_front  Created" "created shop_front"
has "Network shop_default  Created" "and shop_default"
[ "$(hns Networks "r['Props'].get('Name') in ('shop_front', 'shop_default')")" = 2 ] && ok "HNS has both" \
  || bad "HNS networks: $(hns Networks)"
expect 0 "port shop-web-1" W port shop-web-1
has "80/tcp -> 0.0.0.0:8181" "web's mapping"
expect 0 "network inspect shop_front" W network inspect shop_front
has '"com.docker.compose.project": "shop"' "labelled for the project"
has '"Subnet": "10.60.0.0/24"' "with the file's subnet"
(cd "$proj_unix" && W compose down) >"$out" 2>&1 && ok "compose down" || bad "compose down"
has "Network shop_front  Removed" "removed shop_front"
[ "$(hns Networks "r['Props'].get('Name') in ('shop_front', 'shop_default')")" = 0 ] && ok "HNS no longer has them" \
  || bad "HNS networks: $(hns Networks)"
nothing_left "and nothing else is left"

echo "# prune"
expect 0 "network create spare" W network create spare
expect 0 "network prune -f" W network prune -f
has "spare" "removed the unused network wctr created"
[ "$(hns Networks "r['Props'].get('Name') == 'nat'")" = 1 ] && ok "nat stays" || bad "nat was pruned"


echo "# a host whose HNS has another program's networks: adopted and used, never changed or removed"
stop_wctrd
if [ "$failed" != 0 ]; then
  echo "--- the first wctrd's log (the last 60 lines) ---"
  tail -n 60 "$data_unix.log"
fi
rm -rf "$data_unix" "$data_unix.log" "$state_unix"
id=$id-h
pipe=wctr-net-$id
data="C:\\wctr-net-$id"
data_unix="$WINEPREFIX/drive_c/wctr-net-$id"
state_unix="$WINEPREFIX/drive_c/wctr-net-state-$id"
calls="$state_unix/calls.jsonl"
mkdir -p "$state_unix"
other() { # hns_other.exe ARGS...: Docker, say, making its own HNS objects; prints the new object's id
  WCTR_HCS_DOUBLE_STATE="C:\\wctr-net-state-$id" "$root/scripts/wine" "$bin_unix/hns_other.exe" "$@" 2>"$out" \
    | tr -d '\r'
}
docker_nat=$(other network nat 172.28.0.0/16)
docker_net=$(other network dockernet 10.70.0.0/24)
docker_ep=$(other endpoint "$docker_nat" docker_web 8090)
[ ${#docker_nat} = 36 ] && [ ${#docker_net} = 36 ] && [ ${#docker_ep} = 36 ] \
  && ok "another program made nat, dockernet and an endpoint publishing 8090" \
  || bad "hns_other: nat '$docker_nat', dockernet '$docker_net', endpoint '$docker_ep'"
start_wctrd && ok "wctrd is up on that host" || bad "wctrd did not come up"
[ "$(count_calls HcnCreateNetwork)" = 2 ] && ok "wctrd created no network" \
  || bad "HcnCreateNetwork calls: $(count_calls HcnCreateNetwork)"
grep -qi "default network nat: HNS network $docker_nat (adopted)" "$data_unix.log" && ok "it adopted the host's nat" \
  || bad "the log does not say nat $docker_nat was adopted"
expect 0 "image add" W image add testimg --layer "$layers\\base" --os-version 10.0.20348.1 --cmd 'cmd /c echo hi'
expect 0 "network inspect nat" W network inspect nat
has '"Subnet": "172.28.0.0/16"' "the host's subnet"
grep -q "com.wctr.network.owner" "$out" && bad "nat carries wctr's owner label" || ok "without wctr's owner label"
expect 0 "network ls" W network ls
has "dockernet" "lists the host's other NAT network"
expect 1 "network rm dockernet" W network rm dockernet
has "network dockernet was not created by wctr: it is the host's, and wctr never removes it" "refused, saying why"
expect 1 "network rm nat" W network rm nat
has "nat is a pre-defined network and cannot be removed" "Docker's message"
expect 0 "network prune -f" W network prune -f
[ "$(hns Networks)" = 2 ] && ok "prune left the host's networks" || bad "networks after prune: $(hns Networks)"
expect 1 "network create over the host's subnet" W network create --subnet 172.28.5.0/24 over
has "Pool overlaps with other one on this address space" "Docker's message"
expect 125 "-p 8090, which the other program's endpoint maps" W run -d --name busy --isolation=process -p 8090:80 \
  testimg "$sleeper" 60
has "HCN_E_PORT_ALREADY_EXISTS" "HNS's refusal, explained"
[ "$(hns Endpoints)" = 1 ] && [ "$(hns Namespaces)" = 0 ] && ok "nothing of the failed start is left" \
  || bad "endpoints $(hns Endpoints), namespaces $(hns Namespaces)"
W rm -f busy >/dev/null 2>&1
expect 0 "run -d -p 8091:80 on the host's nat" W run -d --name onnat --isolation=process -p 8091:80 testimg \
  "$sleeper" 120
[ "$(hns Endpoints "r['Props'].get('HostComputeNetwork','').lower() == '${docker_nat,,}'")" = 2 ] \
  && ok "its endpoint is on the host's nat" || bad "endpoints on nat: $(hns Endpoints)"
expect 0 "run -d --network dockernet" W run -d --name onother --isolation=process --network dockernet testimg \
  "$sleeper" 120
kill9_wctrd
start_wctrd && ok "wctrd is back after kill -9" || bad "wctrd did not come back"
[ "$(hns Endpoints)" = 3 ] && ok "the sweep took nothing of the other program's or of running containers" \
  || bad "endpoints after the restart: $(hns Endpoints)"
expect 0 "rm -f onnat onother" W rm -f onnat onother
[ "$(hns Endpoints)" = 1 ] && [ "$(hns Endpoints "r['Id'].lower() == '${docker_ep,,}'")" = 1 ] \
  && ok "only the other program's endpoint is left" || bad "endpoints: $(hns Endpoints)"
[ "$(hns Networks)" = 2 ] && [ "$(count_calls HcnDeleteNetwork)" = 0 ] \
  && ok "wctrd never deleted a network it did not create" \
  || bad "networks $(hns Networks), HcnDeleteNetwork calls $(count_calls HcnDeleteNetwork)"
case " $(mapped) " in *" 8090 "*) ok "and 8090 is still the other program's" ;; *) bad "8090 is no longer mapped" ;; esac

finish
