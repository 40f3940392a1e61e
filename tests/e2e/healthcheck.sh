#!/usr/bin/env bash
# End to end under Wine: healthchecks of job containers against a console wctrd. One container's probe
# (--health-cmd, run by wctrd through exec every --health-interval) passes and it becomes healthy; another's
# fails --health-retries times in a row and it becomes unhealthy. Both as `wctr ps` shows them (STATUS
# "(healthy)" / "(unhealthy)", --filter health=), `wctr inspect` (State.Health: Status, FailingStreak, Log)
# and `wctr events` (health_status). wctr events has neither --filter nor --until: it is read in the
# background while the checks run, then stopped, and its lines are searched. Bounded: about 30 s.
# Usage: healthcheck.sh BUILD_DIR SLEEPER_EXE
# Prints one line per check and "N passed, N failed"; exits 1 when anything failed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$1
. "$root/tests/e2e/lib.sh"
sleeper=$(winepath_w "$2")
console_wctrd wctr-health
events_file="$data_unix.events"
events_pid=
trap '[ -n "$events_pid" ] && kill "$events_pid" 2>/dev/null; console_cleanup "$events_file"' EXIT
start_wctrd && ok "wctrd run is up" || bad "wctrd run did not come up"

# health NAME: State.Health.Status as inspect shows it.
health() { W inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null | tr -d '\r'; }
# wait_health NAME STATUS: until inspect says STATUS (20 s at most: the probes run every second).
wait_health() {
  local i
  for i in $(seq 1 40); do
    [ "$(health "$1")" = "$2" ] && return 0
    sleep 0.5
  done
  return 1
}
# line LINE-REGEX DESCRIPTION: the last output has a line matching LINE-REGEX (grep -E).
line() { if tr -d '\r' <"$out" | grep -E -- "$1" >/dev/null; then ok "$2"; else echo "     no line matches: $1"; bad "$2"; fi; }

# probed NAME COMMAND STATUS: runs NAME with the probe COMMAND (every second, unhealthy after two failures in
# a row), waits until inspect says STATUS, and lists the containers with their STATUS column.
probed() {
  expect 0 "run -d $1 with --health-cmd '$2'" W run -d --isolation=job --name "$1" --health-cmd "$2" \
    --health-interval 1s --health-retries 2 host "$sleeper" 60
  wait_health "$1" "$3" && ok "inspect: $1 becomes $3" || bad "$1 never became $3: $(health "$1")"
  expect 0 "ps" W ps --format '{{.Names}}|{{.Status}}'
}

wctr -H "npipe:////./pipe/$pipe" events >"$events_file" 2>&1 &
events_pid=$!
sleep 1

echo "# a probe that passes: healthy"
probed hc-good "exit 0" healthy
line '^hc-good\|Up .* \(healthy\)$' "ps: hc-good is Up ... (healthy)"
expect 0 "inspect hc-good" W inspect -f '{{json .State.Health}}' hc-good
has '"Status":"healthy"' "State.Health.Status is healthy"
has '"FailingStreak":0' "with no failing streak"
has '"ExitCode":0' "and a passing probe in its Log"
expect 0 "ps --filter health=healthy" W ps --filter health=healthy --format '{{.Names}}'
line '^hc-good$' "the health filter finds hc-good"

echo "# a probe that fails twice in a row: unhealthy"
probed hc-bad "exit 1" unhealthy
line '^hc-bad\|Up .* \(unhealthy\)$' "ps: hc-bad is Up ... (unhealthy)"
line '^hc-good\|Up .* \(healthy\)$' "ps: hc-good is still healthy"
expect 0 "inspect hc-bad" W inspect -f '{{.State.Health.Status}} {{.State.Health.FailingStreak}}' hc-bad
line '^unhealthy ([2-9]|[1-9][0-9]+)$' "State.Health: unhealthy after at least --health-retries (2) failures"
expect 0 "inspect hc-bad's log" W inspect -f '{{json .State.Health.Log}}' hc-bad
has '"ExitCode":1' "its Log has the failing probes' exit code"
expect 0 "ps --filter health=unhealthy" W ps --filter health=unhealthy --format '{{.Names}}'
line '^hc-bad$' "the health filter finds hc-bad"
lacks "hc-good" "and only hc-bad"

echo "# events"
sleep 0.5
kill "$events_pid" 2>/dev/null
wait "$events_pid" 2>/dev/null
events_pid=
cp "$events_file" "$out"
line 'container health_status: healthy .*name=hc-good' "events: health_status: healthy for hc-good"
line 'container health_status: unhealthy .*name=hc-bad' "events: health_status: unhealthy for hc-bad"
if tr -d '\r' <"$out" | grep -E 'health_status: unhealthy' | grep 'name=hc-good' >/dev/null; then
  bad "events: hc-good was reported unhealthy"
else
  ok "events: hc-good was never unhealthy"
fi

expect 0 "rm -f hc-good hc-bad" W rm -f hc-good hc-bad
finish
