#!/usr/bin/env bash
# End to end under Wine: process- and Hyper-V-isolated containers through the HCS path, against the HCS
# test double (tests/hcs_double), which refuses what a real host refuses (storage that is not a mounted
# volume, guest requests without a guest connection, a scratch that was never created, ...). The unchanged
# wctrd.exe is copied into a folder of its own next to the double's computecore.dll and vmcompute.dll, which
# it then loads as it would load Windows' own.
# Usage: hcs_containers.sh BUILD_DIR SLEEPER_EXE
# Prints one line per check and "N passed, N failed"; exits 1 when anything failed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$1
. "$root/tests/e2e/lib.sh"
sleeper=$(winepath_w "$2")
double_wctrd wctr-hcs
layers_unix="$WINEPREFIX/drive_c/wctr-hcs-layers-$id"
layers="C:\\wctr-hcs-layers-$id"
trap 'console_cleanup "$layers_unix"' EXIT
# count_calls NAME: how many times wctrd called NAME so far.
count_calls() { grep -c "\"call\":\"$1\"" "$calls" 2>/dev/null || true; }
# systems: the compute systems the double still holds.
systems() { grep -oE '"State":[[:space:]]*"[A-Za-z]*"' "$state_unix/state.json" 2>/dev/null | grep -vc Stopped || true; }
# mounts: the scratch volumes the double still has mounted (vmcompute ActivateLayer until DeactivateLayer).
mounts() { grep -c '"Volume":' "$state_unix/state.json" 2>/dev/null || true; }
control() { printf '%s\n' "$@" >"$state_unix/control.txt"; }
# hasj KEY VALUE DESCRIPTION: the last output (inspect's indented JSON) has "KEY": VALUE.
hasj() { if grep -qE "\"$1\":[[:space:]]*$2" "$out"; then ok "$3"; else echo "     missing: \"$1\": $2"; bad "$3"; fi; }

mkdir -p "$layers_unix/base/Files/Windows" "$layers_unix/base/UtilityVM/Files" "$layers_unix/app/Files"
# What vmcompute's ProcessUtilityImage leaves in a base layer, in the double's VHD format (its README).
printf 'wctr-hcs-double VHDX v1\nkind=SystemTemplate\n' >"$layers_unix/base/UtilityVM/SystemTemplate.vhdx"
start_wctrd && ok "wctrd with the HCS double is up" || bad "wctrd did not come up"

echo "# the host as wctrd sees it"
expect 0 "wctr info" W info --format json
has '"HCS":{"Available":true' "HCS is available (the double was loaded from wctrd's folder)"

echo "# the image catalog"
expect 1 "an image without --layer is refused" W image add nolayer
has "--layer is required" "and says so"
expect 1 "a missing layer folder is refused" W image add bad --layer 'C:\no-such-layer' --os-version 10.0.20348.1
has "no such folder" "naming the problem"
expect 1 "a base layer without Files is refused" W image add bad --layer 'C:\windows' --os-version 10.0.20348.1
has "has no Files folder" "and says what a base layer is"
expect 1 "a bad OS version is refused" W image add bad --layer "$layers\\base" --os-version 10.0
has "must be major.minor.build" "naming the rule"
expect 1 "without --os-version the base layer's kernel version is needed" W image add bad --layer "$layers\\base"
has "--os-version is required" "and the message says so"
expect 0 "image add (2 layers, default command)" W image add testimg --layer "$layers\\app" --layer "$layers\\base" \
  --os-version 10.0.20348.1 --cmd '["cmd","/c","echo default-command-ran"]'
has "testimg:latest" "the name gets :latest"
expect 0 "an image for another Windows" W image add oldimg --layer "$layers\\base" --os-version 10.0.17763.1 --cmd 'echo old'
expect 1 "adding the same name again is refused" W image add testimg --layer "$layers\\base" --os-version 10.0.20348.1
has "already exists" "and says so"
expect 0 "wctr images" W images
grep -qE "^testimg +latest +<image add> +" "$out" && ok "lists the image: repository, tag, no content id" || bad "lists the image"
expect 0 "wctr images --format" W images --format '{{.Repository}}:{{.Tag}} {{.OsVersion}} {{.Layers}}'
has "testimg:latest 10.0.20348.1 2" "and its name, OS version and layers by Docker's fields and wctr's"
expect 0 "wctr image inspect" W image inspect testimg
has '"Layers"' "shows the layers"
has "10.0.20348.1" "with its OS version"
has '"echo default-command-ran"' "and the command"
base_id=$(tr -d '\r\n ' <"$out" | grep -oE '\{"Id":"[0-9a-f-]{36}","Path":"[^"]*base"' | grep -oE '[0-9a-f-]{36}')
[ -n "$base_id" ] && ok "the base layer's id is NameToGuid of its folder ($base_id)" || bad "no base layer id"
grep '"call":"NameToGuid"' "$calls" | grep '"name":"base"' >/dev/null && ok "computed by vmcompute's NameToGuid(\"base\")" \
  || bad "NameToGuid was not asked for the base folder"
# A record an older wctr wrote, with a layer id chosen at random, gets the NameToGuid id when read.
printf '{"Name":"legacy:latest","Layers":[{"Id":"11111111-2222-4333-8444-555555555555","Path":"%s"}],"OsVersion":"10.0.20348.1","Cmd":["cmd"],"Created":"2026-01-01T00:00:00Z"}' \
  "$(printf '%s' "$layers\\base" | sed 's/\\/\\\\/g')" >"$data_unix/images/legacy%3Alatest.json"
expect 0 "image inspect of an old record" W image inspect legacy
has "$base_id" "its layer id is NameToGuid of the folder now"
lacks "11111111-2222-4333-8444-555555555555" "the random one is gone"
grep -q "$base_id" "$data_unix/images/legacy%3Alatest.json" && ok "and the record was written again" \
  || bad "the record still has the old id"
grep -q "layer ids are now NameToGuid of their folders" "$data_unix.log" && ok "the migration is logged" \
  || bad "the migration is not logged"
expect 0 "image rm legacy" W image rm legacy

echo "# --dry-run: documents only"
before=$(count_calls HcsCreateComputeSystem)
cpus=$(nproc)
expect 0 "run --dry-run --isolation=hyperv --memory 500m" W run --dry-run --isolation=hyperv --memory 500m testimg cmd /c echo hi
has '"call":"HcsCreateComputeSystem","id":"' "prints HcsCreateComputeSystem lines"
has '"VirtualMachine":{' "with the utility VM"
has '"SizeInMB":756' "sized from the limit: 500 + 256 MB"
has '"HostingSystemId":"' "and the hosted container"
has '"SizeInMB":500' "whose memory is the limit"
has '"GuestConnection":{}' "the VM has its guest connection"
has '"call":"CreateSandboxLayer"' "the scratch VHD is created"
has '"ResourceType":"MappedVirtualDisk"' "hot-added and mounted by the guest"
has '"ResourceType":"CombinedLayers"' "the layers combined in the guest"
has '"ShouldTerminateOnLastHandleClosed":false' "systems outlive wctrd"
has '"Owner":"wctr-' "owned by this data root"
has '"call":"HcsCreateProcess"' "and the process"
has '"CommandLine":"cmd /c echo hi"' "with the command line"
has '"User":"ContainerUser"' "as ContainerUser by default"
has '"call":"HcnCreateEndpoint","id":"' "the container's endpoint on nat (HNS)"
has '"ResourceType":"NetworkNamespace"' "its namespace added to the utility VM"
has '"RequestType":"PreAdd"' "the endpoint pre-added in the guest"
[ "$(grep -c '^{"call"' "$out")" = 17 ] && ok "one JSON object per line, every call" || bad "one JSON object per line"
[ "$(grep -o '^{"call":"[A-Za-z]*"' "$out" | tr '\n' ' ')" = '{"call":"CreateSandboxLayer" {"call":"CopyFileW" {"call":"HcsGrantVmAccess" {"call":"HcsCreateComputeSystem" {"call":"HcsStartComputeSystem" {"call":"HcsGrantVmAccess" {"call":"HcsModifyComputeSystem" {"call":"HcsModifyComputeSystem" {"call":"HcnCreateEndpoint" {"call":"HcnCreateNamespace" {"call":"HcnModifyNamespace" {"call":"HcsModifyComputeSystem" {"call":"HcsModifyComputeSystem" {"call":"HcsModifyComputeSystem" {"call":"HcsCreateComputeSystem" {"call":"HcsStartComputeSystem" {"call":"HcsCreateProcess" ' ] \
  && ok "in the order of a start" || { grep -o '^{"call":"[A-Za-z]*"' "$out" | tr '\n' ' '; echo; bad "the calls are not in a start's order"; }
expect 0 "run --dry-run --isolation=process --cpus 1.5 -v ... --user ContainerAdministrator" W run --dry-run \
  --isolation=process --cpus 1.5 -v 'C:\data:C:\data:ro' --user ContainerAdministrator testimg cmd /c echo hi
want_max=$(( 15000 / cpus )); [ "$want_max" -gt 10000 ] && want_max=10000
has "\"Maximum\":$want_max" "Docker's formula: 1.5 CPUs of $cpus = $want_max"
has '"MappedDirectories":[{"HostPath":"C:\\data","ContainerPath":"C:\\data","ReadOnly":true}]' "the bind mount, read-only"
has '"call":"ActivateLayer"' "the scratch is mounted"
has '"call":"PrepareLayer"' "its filter attached"
has '"Path":"\\\\?\\Volume{00000000-0000-0000-0000-000000000000}\\"' "Storage.Path is the volume (a dry run's stand-in)"
has '"User":"ContainerAdministrator"' "the user asked for"
lacks 'VirtualMachine' "no utility VM"
has '"Networking":{"Namespace":"' "the container names its network namespace"
[ "$(grep -o '^{"call":"[A-Za-z]*"' "$out" | tr '\n' ' ')" = '{"call":"CreateSandboxLayer" {"call":"ActivateLayer" {"call":"PrepareLayer" {"call":"GetLayerMountPath" {"call":"HcnCreateEndpoint" {"call":"HcnCreateNamespace" {"call":"HcnModifyNamespace" {"call":"HcsCreateComputeSystem" {"call":"HcsStartComputeSystem" {"call":"HcsCreateProcess" ' ] \
  && ok "in the order of a start" || { grep -o '^{"call":"[A-Za-z]*"' "$out" | tr '\n' ' '; echo; bad "the calls are not in a start's order"; }
expect 0 "without a command the image's applies" W create --dry-run --isolation=process testimg
has '"CommandLine":"cmd /c \"echo default-command-ran\""' "the image's command, quoted by Windows rules"
[ "$(count_calls HcsCreateComputeSystem)" = "$before" ] && ok "dry runs never called HCS" || bad "a dry run called HCS"
[ "$(count_calls HcnCreateEndpoint)" = 0 ] && ok "nor HNS" || bad "a dry run called HcnCreateEndpoint"
expect 0 "nothing was created" W ps -a -q
[ ! -s "$out" ] && ok "ps -a is empty" || bad "ps -a is not empty"
expect 125 "--dry-run with an unknown image" W run --dry-run --isolation=process nosuchimage cmd
has "No such image: nosuchimage:latest" "says so"
expect 125 "process isolation refuses an image for another Windows" W run --isolation=process oldimg
has "image OS version 10.0.17763 does not match host" "with hcsshim's rule"
has "--isolation=hyperv" "and what to use instead"
expect 125 "--pids-limit is refused for Hyper-V" W run --dry-run --isolation=hyperv --pids-limit 5 testimg cmd
has "not supported with Hyper-V isolation" "and says why"

echo "# process isolation, end to end"
expect 0 "run --isolation=process shows the output" W run --rm --isolation=process testimg cmd /c echo hello-from-process
has "hello-from-process" "with the text"
expect 7 "the exit code is wctr's" W run --rm --isolation=process testimg cmd /c exit 7
expect 0 "the image's command runs when none is given" W run --rm --isolation=process testimg
has "default-command-ran" "its output"
expect 0 "stderr too" W run --rm --isolation=process testimg cmd /c "echo on-stderr 1>&2"
has "on-stderr" "with the text"
grep -q '"call":"ActivateLayer"' "$calls" && grep -q '"call":"PrepareLayer"' "$calls" \
  && ok "the scratch was mounted (ActivateLayer, PrepareLayer)" || bad "no ActivateLayer/PrepareLayer"
grep '"call":"HcsCreateComputeSystem"' "$calls" | grep -v HostedSystem | tail -n 1 | grep -E '"Path":"\\\\\\\\\?\\\\Volume\{[0-9a-f-]{36}\}\\\\"' >/dev/null \
  && ok "Storage.Path is the mounted volume" || bad "Storage.Path is not a volume path"
[ "$(mounts)" = 0 ] && ok "no scratch is left mounted after --rm runs" || bad "mounted scratch volumes left: $(mounts)"
grep '"call":"HcsCreateProcess"' "$calls" | tail -n 1 | grep '"User":"ContainerUser"' >/dev/null \
  && ok "the process ran as ContainerUser" || bad "the process did not run as ContainerUser"
expect 0 "run -d" W run -d --name p1 --isolation=process testimg "$sleeper" 60
expect 0 "ps shows it running" W ps
has "p1" "by name"
expect 0 "inspect" W inspect p1
has '"SystemId"' "shows the compute system"
hasj Identity '"ContainerUser"' "and the identity"
expect 0 "stats" W stats --no-stream p1
has "p1" "for the container"
expect 0 "exec -e -u -w" W exec -e EXEC_VAR=from-exec -u ContainerAdministrator -w 'C:\' p1 cmd /c 'echo [%EXEC_VAR%]'
has "[from-exec]" "exec's output and its -e"
grep '"call":"HcsCreateProcess"' "$calls" | tail -n 1 | grep '"User":"ContainerAdministrator"' >/dev/null \
  && ok "exec was HcsCreateProcess in the running system, with -u" || bad "exec's HcsCreateProcess did not carry -u"
expect 4 "exec's exit code" W exec p1 cmd /c exit 4
expect 0 "stop" W stop -t 5 p1
expect 1 "exec in a stopped container" W exec p1 cmd /c exit 0
has "is not running" "with Docker's message"
expect 0 "inspect after stop" W inspect p1
hasj Status '"exited"' "it is exited"
expect 0 "start it again (same sandbox)" W start p1
expect 0 "kill" W kill p1
expect 0 "logs" W logs p1
expect 0 "rm" W rm p1
[ "$(systems)" = 0 ] && ok "no compute system is left running" || bad "compute systems left: $(systems)"
[ -z "$(ls -A "$data_unix/containers" 2>/dev/null)" ] && ok "no container folder (sandbox) is left" \
  || bad "left in containers: $(ls "$data_unix/containers")"
grep -q '"call":"DestroyLayer"' "$calls" && ok "rm destroyed the writable layer" || bad "no DestroyLayer"
[ "$(mounts)" = 0 ] && ok "no scratch is mounted" || bad "mounted scratch volumes left: $(mounts)"

echo "# -t: a console (EmulateConsole); stderr arrives on stdout"
W run --rm -t --isolation=process testimg cmd /c "echo console-stderr 1>&2" >"$out" 2>/dev/null
has "console-stderr" "stderr came through the console's stdout"
grep '"call":"HcsCreateProcess"' "$calls" | tail -n 1 | grep '"EmulateConsole":true' >/dev/null \
  && ok "EmulateConsole was asked for" || bad "EmulateConsole was not asked for"

echo "# -i: stdin through HCS"
printf 'line-through-stdin\n' >"$state_unix/stdin.txt"
W run --rm -i --isolation=process testimg "$sleeper" --cat <"$state_unix/stdin.txt" >"$out" 2>&1
has "line-through-stdin" "the input came back out"

echo "# Hyper-V isolation, end to end"
expect 0 "run --isolation=hyperv --memory 500m" W run --name hv1 --isolation=hyperv --memory 500m testimg cmd /c echo hello-from-hyperv
has "hello-from-hyperv" "with the output"
expect 0 "inspect shows the utility VM" W inspect hv1
hasj MemoryMB 756 "its size"
hasj ProcessorCount 2 "and its CPU count"
grep -q '"call":"HcsGrantVmAccess"' "$calls" && ok "the VM was granted its disks" || bad "no HcsGrantVmAccess"
grep -q 'Attachments/1"' "$calls" && ok "the scratch disk was hot-added over SCSI" || bad "no SCSI hot-add"
grep '"call":"HcsModifyComputeSystem"' "$calls" | grep '"ResourceType":"CombinedLayers","RequestType":"Remove"' >/dev/null \
  && ok "the combined layers were removed at the end" || bad "no CombinedLayers removal"
grep '"call":"HcsModifyComputeSystem"' "$calls" | grep '"RequestType":"Remove"' | grep '"ResourceType":"MappedVirtualDisk"' >/dev/null \
  && ok "and the scratch disk taken off the VM" || bad "no SCSI removal"
expect 0 "rm" W rm hv1
expect 0 "run -d hyperv" W run -d --name hv2 --isolation=hyperv testimg "$sleeper" 60
echo "# pause / unpause (Hyper-V only, as Docker on Windows)"
expect 0 "pause" W pause hv2
has "hv2" "pause prints the name"
grep -q '"call":"HcsPauseComputeSystem"' "$calls" && ok "the utility VM was paused" || bad "no HcsPauseComputeSystem"
expect 0 "ps shows it paused" W ps
grep -qE 'Up .* \(Paused\)' "$out" && ok "ps says (Paused)" || bad "no (Paused) in ps"
expect 0 "inspect" W inspect --format '{{.State.Status}} {{.State.Paused}} {{.State.Running}}' hv2
has "paused true true" "inspect: status paused, Paused and Running"
expect 1 "exec into a paused container" W exec hv2 cmd /c echo hi
has "Container hv2 is paused, unpause the container before exec" "with Docker's message"
expect 1 "pause twice" W pause hv2
has "is already paused" "with Docker's message"
expect 1 "rm without -f" W rm hv2
has "You cannot remove a paused container" "with Docker's message"
expect 0 "unpause" W unpause hv2
grep -q '"call":"HcsResumeComputeSystem"' "$calls" && ok "the utility VM was resumed" || bad "no HcsResumeComputeSystem"
expect 1 "unpause twice" W unpause hv2
has "is not paused" "with Docker's message"
expect 0 "pause again" W pause hv2
expect 0 "stop of a paused container" W stop -t 2 hv2
expect 0 "rm" W rm hv2
expect 0 "run -d process" W run -d --name pr1 --isolation=process testimg "$sleeper" 60
expect 1 "pause of a process-isolated container" W pause pr1
has "cannot pause Windows Server Containers" "with Docker's words"
expect 0 "rm -f" W rm -f pr1
[ "$(systems)" = 0 ] && ok "no compute system or VM is left" || bad "compute systems left: $(systems)"

echo "# secrets: decrypted for the run, mapped read-only, gone after it"
value="hcs-secret-value-$id"
printf '%s' "$value" >"$state_unix/value.txt"
expect 0 "secret create" W secret create dbpass "C:\\wctr-hcs-state-$id\\value.txt"
rm -f "$state_unix/value.txt"
expect 0 "run -d --secret" W run -d --name s1 --isolation=process --secret dbpass,target=db.txt testimg "$sleeper" 60
W inspect s1 >"$out" 2>&1
sid=$(grep -oE '"Id":[[:space:]]*"[0-9a-f]{64}"' "$out" | head -n 1 | grep -oE '[0-9a-f]{64}')
secret_file="$data_unix/containers/$sid/secrets/db.txt"
[ "$(cat "$secret_file" 2>/dev/null)" = "$value" ] && ok "the secret is in the container's secrets folder while it runs" \
  || bad "no secret file at $secret_file"
grep '"call":"HcsCreateComputeSystem"' "$calls" | tail -n 1 | \
  grep -q '"ContainerPath":"C:\\\\ProgramData\\\\wctr\\\\secrets","ReadOnly":true' \
  && ok "mapped read-only at C:\\ProgramData\\wctr\\secrets" || bad "the secrets folder is not mapped read-only"
expect 0 "stop" W stop -t 2 s1
[ ! -e "$data_unix/containers/$sid/secrets" ] && ok "the secrets folder is gone after stop" || bad "the secrets folder is left"
grep -rlF "$value" "$data_unix" >"$out" 2>/dev/null
[ ! -s "$out" ] && ok "the value is nowhere in plain text under the data root" || bad "plaintext found"
expect 0 "rm" W rm s1
expect 0 "Hyper-V: run --secret" W run --rm --isolation=hyperv --secret dbpass testimg cmd /c echo ok
grep '"call":"HcsCreateComputeSystem"' "$calls" | grep '"VirtualMachine"' | tail -n 1 | grep '\\secrets","Options":{"ReadOnly":true' >/dev/null \
  && ok "the utility VM shares the secrets folder read-only" || bad "no read-only VSMB share of the secrets folder"
grep -rlF "$value" "$data_unix" >"$out" 2>/dev/null
[ ! -s "$out" ] && ok "no plaintext left after the Hyper-V run" || bad "plaintext found"

echo "# a utility VM that crashes takes its container with it"
expect 0 "run -d hyperv" W run -d --name crash1 --isolation=hyperv testimg "$sleeper" 60
W inspect crash1 >"$out" 2>&1
vm=$(grep -oE '"Id":[[:space:]]*"[0-9a-f]{64}@vm"' "$out" | grep -oE '[0-9a-f]{64}@vm')
[ -n "$vm" ] && ok "inspect names the utility VM ($vm)" || bad "inspect names the utility VM"
control "crash $vm"
W stats --no-stream crash1 >/dev/null 2>&1 # any HCS call makes the double read the rule
expect 0 "wait returns" timeout 30 "$root/scripts/wine" "$build/wctr.exe" -H "npipe:////./pipe/$pipe" wait crash1
[ "$(tr -d '\r' <"$out")" = "-1" ] && ok "the exit code is -1 (unknown)" || bad "the exit code is -1 (unknown)"
control ""
expect 0 "inspect" W inspect crash1
hasj Status '"exited"' "the container is exited"
has "utility VM exited (UnexpectedExit" "and the reason is recorded"
expect 0 "rm" W rm crash1
[ "$(systems)" = 0 ] && ok "nothing is left" || bad "compute systems left: $(systems)"

echo "# HCS failures leave nothing behind and are explained"
fail_at() { # fail_at ISOLATION FUNCTION HRESULT EXIT DESCRIPTION TEXT...
  local iso=$1 fn=$2 hr=$3 code=$4 what=$5
  shift 5
  case $fn in *:*) control "fail $fn:$hr" ;; *) control "fail $fn:1:$hr" ;; esac
  expect "$code" "$what" W run --isolation="$iso" testimg cmd /c echo never
  for text in "$@"; do has "$text" "the error says: $text"; done
  control ""
  W ps -a -q >"$out" 2>&1
  [ ! -s "$out" ] && ok "no container record" || bad "a container record is left"
  [ "$(systems)" = 0 ] && ok "no compute system" || bad "compute systems left: $(systems)"
  [ "$(mounts)" = 0 ] && ok "no mounted volume" || bad "mounted scratch volumes left: $(mounts)"
  [ -z "$(ls -A "$data_unix/containers" 2>/dev/null)" ] && ok "no sandbox, no VHD" \
    || bad "left in containers: $(ls "$data_unix/containers")"
  grep -qE '"CcgInstances":[[:space:]]*\[[[:space:]]*\{' "$state_unix/state.json" && bad "a CCG instance is left" || ok "no CCG instance"
}
fail_at process HcsStartComputeSystem 0xC0370101 125 "start: image mismatch" "HCS_E_IMAGE_MISMATCH" \
  "use --isolation=hyperv" "image OS version 10.0.20348.1, host 10.0.20348"
fail_at process HcsCreateComputeSystem 0x8037010D 125 "create: invalid JSON" "HCS_E_INVALID_JSON"
# The command cannot be found: Docker's 127.
fail_at process HcsCreateProcess 0x80070002 127 "create process: file not found" "HcsCreateProcess" "ERROR_FILE_NOT_FOUND"
fail_at process CreateSandboxLayer 0x80070005 125 "scratch VHD: access denied" "CreateSandboxLayer"
fail_at process PrepareLayer 0x80070005 125 "the scratch's filter: access denied" "PrepareLayer"
fail_at process GetLayerMountPath 0x80070005 125 "the scratch's volume: access denied" "GetLayerMountPath"
fail_at hyperv HcsStartComputeSystem 0x80370102 125 "Hyper-V: VM start fails" "HCS_E_HYPERV_NOT_INSTALLED"
fail_at hyperv HcsModifyComputeSystem 0x80370105 125 "Hyper-V: SCSI hot-add fails" "HcsModifyComputeSystem"
fail_at hyperv HcsModifyComputeSystem:2 0x80070003 125 "Hyper-V: combining the layers fails" "HcsModifyComputeSystem"
fail_at hyperv HcsCreateComputeSystem:2 0x8037010D 125 "Hyper-V: the hosted container fails" "HCS_E_INVALID_JSON"
fail_at hyperv HcsCreateProcess 0x80070005 126 "Hyper-V: the command cannot be run" "HcsCreateProcess"

echo "# wctrd restarts: running containers are re-attached"
expect 0 "run -d" W run -d --name r1 --isolation=process testimg "$sleeper" 60
kill -KILL "$wctrd_pid" 2>/dev/null; wait "$wctrd_pid" 2>/dev/null; wctrd_pid=
start_wctrd && ok "wctrd is back" || bad "wctrd did not come back"
expect 0 "ps" W ps
has "r1" "the container still runs"
expect 0 "kill" W kill r1
expect 0 "wait" W wait r1
expect 0 "rm" W rm r1
[ "$(systems)" = 0 ] && ok "nothing is left" || bad "compute systems left: $(systems)"

echo "# a system a crashed wctrd left half-started is swept at the next start, its scratch unmounted"
# wctrd dies while HcsCreateProcess is held up: the compute system runs (it outlives wctrd, as
# ShouldTerminateOnLastHandleClosed is false) but no record says it runs.
control "delay HcsCreateProcess:1:30000"
W run -d --name halfway --isolation=process testimg "$sleeper" 60 >/dev/null 2>&1 &
runner=$!
for _ in $(seq 1 100); do [ "$(systems)" = 1 ] && grep '"call":"HcsCreateProcess"' "$calls" | grep '"delayMs"' >/dev/null && break; sleep 0.1; done
[ "$(systems)" = 1 ] && [ "$(mounts)" = 1 ] && ok "a system runs on a mounted scratch" || bad "no system ($(systems)) or mount ($(mounts))"
kill -KILL "$wctrd_pid" 2>/dev/null; wait "$wctrd_pid" 2>/dev/null; wctrd_pid=
wait "$runner" 2>/dev/null
control ""
[ "$(systems)" = 1 ] && ok "it outlived wctrd" || bad "compute systems after the crash: $(systems)"
start_wctrd && ok "wctrd is back" || bad "wctrd did not come back"
[ "$(systems)" = 0 ] && ok "the sweep terminated it (its Owner is this data root's)" || bad "compute systems left: $(systems)"
[ "$(mounts)" = 0 ] && ok "and unmounted its scratch" || bad "mounted scratch volumes left: $(mounts)"
grep -q "removed compute system" "$data_unix.log" && ok "the sweep is logged" || bad "the sweep is not logged"
grep '"call":"HcsEnumerateComputeSystems"' "$calls" | tail -n 1 | grep '"Owners":\["wctr-[0-9a-f]\{16\}"\]' >/dev/null \
  && ok "it asked HCS for this data root's systems only" || bad "no HcsEnumerateComputeSystems by Owner"
expect 0 "rm -f" W rm -f halfway
[ -z "$(ls -A "$data_unix/containers" 2>/dev/null)" ] && ok "no sandbox, no VHD" \
  || bad "left in containers: $(ls "$data_unix/containers")"

echo "# a CCG instance left by a crashed wctrd is swept at the next start"
spec='{"CmsPlugins":["ActiveDirectory"],"DomainJoinConfig":{"Sid":"S-1-5-21-1-2-3","MachineAccountName":"webapp01","Guid":"244818ae-87ca-4fcd-92ec-e79e5252348a","DnsTreeName":"contoso.com","DnsName":"contoso.com","NetBiosName":"CONTOSO"},"ActiveDirectoryConfig":{"GroupManagedServiceAccounts":[{"Name":"webapp01","Scope":"contoso.com"}]}}'
removes() { grep '"call":"HcsModifyServiceSettings"' "$calls" | grep -c '"Operation":"RemoveInstance"' || true; }
before=$(removes)
# wctrd dies after AddInstance, while HcsCreateComputeSystem is held up: the instance is HCS's, not gone.
control "delay HcsCreateComputeSystem:1:30000"
W run -d --name orphan --isolation=process --security-opt "credentialspec=raw://$spec" testimg "$sleeper" 60 \
  >/dev/null 2>&1 &
runner=$!
for _ in $(seq 1 100); do grep -q '"Operation":"AddInstance"' "$calls" 2>/dev/null && break; sleep 0.1; done
grep -q '"Operation":"AddInstance"' "$calls" && ok "the CCG instance was added" || bad "no AddInstance"
sleep 0.5
kill -KILL "$wctrd_pid" 2>/dev/null; wait "$wctrd_pid" 2>/dev/null; wctrd_pid=
wait "$runner" 2>/dev/null
control ""
grep -qE '"CcgInstances":[[:space:]]*\[[[:space:]]*\{' "$state_unix/state.json" && ok "the instance outlived wctrd (HCS keeps it)" \
  || bad "no CCG instance in the double after the crash"
start_wctrd && ok "wctrd is back" || bad "wctrd did not come back"
[ "$(removes)" -gt "$before" ] && ok "the orphaned instance was removed at start" || bad "no RemoveInstance at start"
grep -qE '"CcgInstances":[[:space:]]*\[[[:space:]]*\{' "$state_unix/state.json" && bad "a CCG instance is left" || ok "no CCG instance is left"
grep -q "removed the Container Credential Guard instance of container" "$data_unix.log" \
  && ok "the sweep is logged" || bad "the sweep is not logged"
W rm -f orphan >/dev/null 2>&1

finish
