#!/usr/bin/env bash
# End to end under Wine: wctrd as a Windows service (install, net start, wctr version/info, a hostile
# client on the real service's pipe, net stop, uninstall) and in a console (Ctrl+C, two side by side,
# a bad wctrd.json). Usage: service_lifecycle.sh BUILD_DIR PIPE_PROBE_EXE
# Prints one line per check and "N passed, N failed"; exits 1 when anything failed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$1
probe=$2
. "$root/tests/e2e/lib.sh"
id=$$-$(date +%s%N | tail -c 7) # the time too: Wine and bash reuse process ids
svc=wctrd-e2e-$id
pipe=wctr-e2e-$id
data="C:\\wctr-e2e-$id"
data_unix="$WINEPREFIX/drive_c/wctr-e2e-$id"
console_pids=()

cleanup() {
  for p in "${console_pids[@]}"; do kill -INT "$p" 2>/dev/null; done
  wctrd uninstall --service-name "$svc" >/dev/null 2>&1
  rm -rf "$data_unix" "$data_unix-2" "$data_unix-3"
}
trap cleanup EXIT

echo "# no service yet"
expect 1 "wctr info without a service exits 1" wctr -H "npipe:////./pipe/$pipe" info
has "the pipe does not exist" "and says the pipe does not exist"
has "net start wctrd" "and says how to start the service"

echo "# install"
expect 1 "install with an unknown group fails" wctrd install --service-name "$svc" --group "no-such-group-$id"
has "no account or group named \"no-such-group-$id\"" "and names the group"
expect 0 "install" wctrd install --service-name "$svc" --data-root "$data" --pipe "$pipe" --group Users
expect 1 "installing twice fails" wctrd install --service-name "$svc"
has "already exists" "and says so"
evkey='HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\wctrd'
expect 0 "install registered the audit trail's event source" "$root/scripts/wine" reg query "$evkey" /v EventMessageFile
has "wctrd.exe" "with wctrd.exe as its message file"

echo "# start"
# Under load Wine's SCM has been seen to answer a first StartService with "Service already running" (the
# service process it started did not connect in its time, and the state had left STOPPED): the service was
# started all the same, which the RUNNING check below verifies. Any other failure fails.
"$root/scripts/wine" net start "$svc" >"$out" 2>&1
rc=$?
if [ "$rc" = 0 ]; then
  ok "net start"
elif grep -q "Service already running" "$out"; then
  ok "net start (Wine's SCM said 'already running': checked below)"
else
  echo "     exit $rc, wanted 0"
  bad "net start"
fi
# Wine's `net start` returns once the service process has connected to the SCM, not once it reports
# RUNNING (Windows' waits for that), so the state is polled for up to 10 s.
for _ in $(seq 1 50); do
  "$root/scripts/wine" sc query "$svc" 2>&1 | grep RUNNING >/dev/null && break
  sleep 0.2
done
expect 0 "sc query" "$root/scripts/wine" sc query "$svc"
has "RUNNING" "the SCM reports RUNNING"
expect 0 "wctr version" wctr -H "npipe:////./pipe/$pipe" version
has "Server:" "version shows the server"
has "  Version:          0.1.0" "with its version"
expect 0 "wctr info (WCTR_HOST)" env WCTR_HOST="\\\\.\\pipe\\$pipe" "$root/scripts/wine" "$build/wctr.exe" info
has "OS Version:          10.0.20348" "info shows the host build"
has "Operating System:    Windows Server 2022" "info shows the OS name"
has "HCS:                 not available" "info says HCS is not available under Wine"
has "enable the Containers feature" "with the remedy"
has "Isolation Available: job" "info lists job isolation"
has "Data Root:           $data" "info shows the data root"
has "Pipe:                \\\\.\\pipe\\$pipe" "info shows the pipe"
has "Pipe DACL:           D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x12019f;;;BU)" "info shows the pipe DACL read back"
has "BitLocker:           unknown" "BitLocker is unknown under Wine"
expect 0 "wctr info --format json" wctr -H "npipe:////./pipe/$pipe" info --format json
has "\"OSVersion\":\"10.0.20348\"" "json info carries the build"
[ -f "$data_unix/logs/wctrd.log" ] && ok "the service writes its log in the data root" || bad "no log file"

echo "# a job container under the service"
expect 0 "run -d" wctr -H "npipe:////./pipe/$pipe" run -d --isolation=job --name svc-job host cmd /c "echo up & ping -n 30 127.0.0.1 >nul"
start=$(date +%s)
expect 0 "stop -t 2" wctr -H "npipe:////./pipe/$pipe" stop -t 2 svc-job
[ $(($(date +%s) - start)) -le 8 ] && ok "stop returned within the timeout plus overhead" || bad "stop took too long"
expect 0 "rm" wctr -H "npipe:////./pipe/$pipe" rm svc-job

echo "# a hostile client against the running service"
expect 0 "garbage gets errors, the service keeps serving" "$root/scripts/wine" "$probe" "\\\\.\\pipe\\$pipe"
cat "$out" | sed 's/^/     /'
expect 0 "wctr version after the garbage" wctr -H "npipe:////./pipe/$pipe" version

echo "# stop"
expect 0 "net stop" "$root/scripts/wine" net stop "$svc"
expect 0 "sc query" "$root/scripts/wine" sc query "$svc"
has "STOPPED" "the SCM reports STOPPED"
expect 1 "wctr info after stop exits 1" wctr -H "npipe:////./pipe/$pipe" info
grep -qF "wctrd stopped" "$data_unix/logs/wctrd.log" && ok "the log says it stopped" || bad "no stop in the log"
expect 0 "uninstall" wctrd uninstall --service-name "$svc"
expect 1 "uninstall removed the event source" "$root/scripts/wine" reg query "$evkey"
expect 1 "uninstalling twice fails" wctrd uninstall --service-name "$svc"
has "no service named $svc is installed" "and says so"

echo "# console mode"
"$root/scripts/wine" "$build/wctrd.exe" run --data-root "$data-2" --pipe "$pipe-2" >"$data_unix.run2.log" 2>&1 &
console_pids+=($!)
"$root/scripts/wine" "$build/wctrd.exe" run --data-root "$data-3" --pipe "$pipe-3" >"$data_unix.run3.log" 2>&1 &
console_pids+=($!)
wait_for_pipe "$pipe-2" && ok "wctrd run answers" || bad "wctrd run did not come up"
wait_for_pipe "$pipe-3" && ok "a second wctrd run side by side answers" || bad "second wctrd run did not come up"
expect 1 "a third on the same pipe fails" wctrd run --data-root "$data-3" --pipe "$pipe-2"
has "already in use" "and says the pipe is in use"
kill -INT "${console_pids[0]}"
start=$(date +%s)
wait "${console_pids[0]}"
rc=$?
[ "$rc" = 0 ] && ok "Ctrl+C stops wctrd run with exit 0" || bad "wctrd run exited $rc after Ctrl+C"
[ $(($(date +%s) - start)) -le 5 ] && ok "within 5 s" || bad "stopping took too long"
grep -qF "wctrd stopped" "$data_unix.run2.log" && ok "and logs that it stopped" || bad "no stop line"
expect 0 "the other one still answers" wctr -H "npipe:////./pipe/$pipe-3" version
kill -INT "${console_pids[1]}"
wait "${console_pids[1]}"
console_pids=()
rm -f "$data_unix.run2.log" "$data_unix.run3.log"

echo "# settings file"
mkdir -p "$data_unix-2/config"
printf '{"pipe":"%s-2","log-levle":"debug"}' "$pipe" >"$data_unix-2/config/wctrd.json"
expect 1 "an unknown key in wctrd.json stops wctrd from starting" wctrd run --data-root "$data-2"
has "unknown key \"log-levle\"" "and names the key"
printf '{"pipe":"%s-2"}' "$pipe" >"$data_unix-2/config/wctrd.json"
expect 1 "a setting given twice (file and flag) is refused" wctrd run --data-root "$data-2" --pipe other
has "keep one" "and says to keep one"

finish
