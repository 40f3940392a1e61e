#!/usr/bin/env bash
# End to end under Wine: correctness under hostile input, against a console wctrd (job isolation;
# secrets with the BitLocker probe saying "encrypted"; the Engine API on loopback TCP for what the command
# line cannot carry).
#   - item 1: an answer of megabytes arrives whole (inspect of a 200,000-character command, ps -a of 20
#     containers carrying 900 KB of labels each, both far past the 128 KiB where the client used to cut);
#   - item 3: `run --name rr ...; start -a rr` right after the exit, three times;
#   - item 4: two rm of one container, secret rm racing a create that names the secret;
#   - the chaos test: KILLS times, kill -9 wctrd at a random point of a burst of create, run, start, stop,
#     rm, secret create/rm, compose up/down from two clients at once; start it again; records, `ps -a`, the
#     container folders, the secret store, the secrets folders and `wctr check` must agree.
# Usage: hostile.sh BUILD_DIR SLEEPER_EXE [KILLS]
# Prints one line per check and "N passed, N failed"; exits 1 when anything failed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$1
. "$root/tests/e2e/lib.sh"
sleeper=$(winepath_w "$2")
kills=${3:-10}
console_wctrd wctr-hostile
work="$WINEPREFIX/drive_c/wctr-hostile-work-$id"
work_w="C:\\wctr-hostile-work-$id"
mkdir -p "$work"
trap 'touch "$work/stop"; console_cleanup "$work"' EXIT
port=
start_hostile() {
  "$root/scripts/wine" "$build/wctrd.exe" run --data-root "$data" --pipe "$pipe" --test-bitlocker-state encrypted \
    --docker-api "tcp://127.0.0.1:$1" >>"$data_unix.log" 2>&1 &
  wctrd_pid=$!
  wait_for_pipe "$pipe"
}
for _ in 1 2 3 4 5; do
  try=$((20000 + RANDOM % 20000))
  if start_hostile "$try"; then port=$try; break; fi
  kill -INT "$wctrd_pid" 2>/dev/null; wait "$wctrd_pid" 2>/dev/null; wctrd_pid=
done
[ -n "$port" ] && ok "wctrd is up (Engine API on 127.0.0.1:$port)" || { bad "wctrd did not come up"; finish; exit 1; }
token=$(tr -d '\r\n' <"$data_unix/config/api-token" 2>/dev/null)
api() { # api METHOD PATH [BODY-FILE]: the status code, the body into $out
  curl -s -o "$out" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    ${3:+--data-binary @"$3"} "http://127.0.0.1:$port$2"
}
# longest_run CHAR FILE: the longest run of CHAR in FILE.
longest_run() { python3 -c 'import re,sys; print(max((len(m) for m in re.findall(re.escape(sys.argv[1]) + "+", open(sys.argv[2], encoding="utf-8", errors="replace").read())), default=0))' "$1" "$2"; }

echo "# item 1: long answers arrive whole"
python3 -c 'import json; print(json.dumps({"Image": "host", "Cmd": ["cmd", "/c", "rem", "A" * 200000], "HostConfig": {"Isolation": "job"}}))' >"$work/long.json"
code=$(api POST "/v1.41/containers/create?name=longcmd" "$work/long.json")
[ "$code" = 201 ] && ok "a container whose command is 200,000 x A is created" || bad "create longcmd: HTTP $code"
expect 0 "wctr inspect longcmd" W inspect longcmd
[ "$(longest_run A "$out")" = 200000 ] && ok "inspect shows all 200,000 characters" ||
  { echo "     longest run: $(longest_run A "$out")"; bad "inspect shows all 200,000 characters"; }
python3 -c 'print("\n".join("big%03d=%s" % (i, "L" * 4000) for i in range(225)))' >"$work/big.labels"
made=0
for n in $(seq 1 20); do
  W create --isolation=job --name "lab$n" --label-file "$work_w\\big.labels" --label "n=$n" host cmd /c exit 0 \
    >"$out" 2>&1 && made=$((made + 1))
done
[ "$made" = 20 ] && ok "20 containers with 900 KB of labels each are created" || bad "only $made of 20 were created"
expect 0 "ps -a (an answer of about 18 MB)" W ps -a -q
[ "$(grep -c . "$out")" = 21 ] && ok "ps -a lists all 21 containers" || bad "ps -a lists $(grep -c . "$out") of 21"
expect 0 "inspect lab20" W inspect lab20
[ "$(grep -o 'big[0-9]*": "L*"' "$out" | grep -c 'L\{4000\}"$')" = 225 ] && ok "inspect shows all 225 labels whole" ||
  bad "inspect cut the labels"
expect 0 "rm them" W rm longcmd $(seq -f 'lab%g' 1 20)

echo "# item 3: start right after the exit"
for n in 1 2 3; do
  W run --isolation=job --name "rr$n" host cmd /c echo "x$n" >"$out" 2>&1 && W start -a "rr$n" >>"$out" 2>&1
  rc=$?
  if [ "$rc" = 0 ] && [ "$(grep -c "x$n" "$out")" = 2 ]; then ok "run --name rr$n, then start -a rr$n ($n of 3)"; else
    bad "run --name rr$n, then start -a rr$n ($n of 3): exit $rc"; fi
done
lacks "already exists" "no start met the previous run's job"
expect 0 "rm rr1 rr2 rr3" W rm rr1 rr2 rr3

echo "# item 4: rm and secrets, raced"
printf 'value-%s' "$id" >"$work/value.txt"
for n in 1 2 3; do
  W create --isolation=job --name "rmr$n" host cmd /c exit 0 >/dev/null 2>&1
  W rm "rmr$n" >"$work/rm-a" 2>&1 & a=$!
  W rm "rmr$n" >"$work/rm-b" 2>&1 & b=$!
  wait "$a"; ra=$?
  wait "$b"; rb=$?
  W inspect "rmr$n" >"$out" 2>&1
  gone=$?
  if { [ "$ra" = 0 ] || [ "$rb" = 0 ]; } && [ "$gone" != 0 ]; then ok "two rm of rmr$n: removed, and one said so"; else
    cat "$work/rm-a" "$work/rm-b" >>"$out"; bad "two rm of rmr$n (exit $ra and $rb, inspect $gone)"; fi
done
both=0
for n in 1 2 3 4 5; do
  W secret create "race$n" "$work_w\\value.txt" >/dev/null 2>&1
  W secret rm "race$n" >"$work/srm" 2>&1 & a=$!
  W create --isolation=job --name "sr$n" --secret "race$n" host cmd /c exit 0 >"$work/screate" 2>&1 & b=$!
  wait "$a"; ra=$?
  wait "$b"; rb=$?
  [ "$ra" = 0 ] && [ "$rb" = 0 ] && both=$((both + 1))
  if [ "$rb" = 0 ] && ! W secret inspect "race$n" >/dev/null 2>&1; then both=$((both + 1)); fi
  W rm -f "sr$n" >/dev/null 2>&1
  W secret rm -f "race$n" >/dev/null 2>&1
done
[ "$both" = 0 ] && ok "secret rm and a create naming the secret never both succeed (5 races)" ||
  bad "$both races left a container naming a secret that is gone"

echo "# the chaos test: kill -9 wctrd in a burst of operations, $kills times"
cat >"$work/c.yml" <<EOF
services:
  web:
    image: host
    isolation: job
    command: ['$sleeper', '20']
    depends_on: [db]
  db:
    image: host
    isolation: job
    command: ['$sleeper', '20']
EOF
burst() { # one client's operations on a few shared names, until $work/stop exists
  while [ ! -e "$work/stop" ]; do
    n=$((RANDOM % 4)); s=$((RANDOM % 3))
    case $((RANDOM % 11)) in
      0) W create --isolation=job --name "k$n" host cmd /c exit 0 ;;
      1) W run -d --isolation=job --name "k$n" host "$sleeper" 20 ;;
      2) W start "k$n" ;;
      3) W stop -t 1 "k$n" ;;
      4) W rm -f "k$n" ;;
      5) W secret create "cs$s" "$work_w\\value.txt" ;;
      6) W secret rm "cs$s" ;;
      7) W run -d --isolation=job --name "k$n" --secret "cs$s" host "$sleeper" 20 ;;
      8) W compose -f "$work_w\\c.yml" -p chaos up -d ;;
      9) W compose -f "$work_w\\c.yml" -p chaos down ;;
      10) W run --rm --isolation=job host cmd /c exit 0 ;;
    esac >/dev/null 2>&1
  done
}
# consistent ROUND: what the restarted wctrd says agrees with what is on disk.
consistent() {
  local r=$1 bad_before=$failed
  local cdir="$data_unix/containers"
  W ps -a -q >"$out" 2>&1 || { bad "round $r: ps -a failed"; return; }
  local listed ondisk others
  listed=$(tr -d '\r' <"$out" | grep . | sort)
  ondisk=$(ls "$cdir" 2>/dev/null | grep -E '^[0-9a-f]{64}$' | cut -c1-12 | sort)
  others=$(ls "$cdir" 2>/dev/null | grep -vE '^[0-9a-f]{64}$')
  [ "$listed" = "$ondisk" ] || { printf 'ps -a:\n%s\nfolders:\n%s\n' "$listed" "$ondisk" >"$out"; bad "round $r: ps -a and the folders differ"; }
  [ -z "$others" ] || { printf '%s\n' "$others" >"$out"; bad "round $r: leftovers in containers\\ (damaged, half-removed or half-created)"; }
  python3 - "$cdir" >"$out" 2>&1 <<'EOF' || bad "round $r: a record does not load"
import json, os, re, sys
d = sys.argv[1]
for name in os.listdir(d):
    if not re.fullmatch(r"[0-9a-f]{64}", name):
        continue
    rec = json.load(open(os.path.join(d, name, "container.json"), encoding="utf-8"))
    assert rec["Id"] == name, name
    assert not any(f.endswith(".tmp") for f in os.listdir(os.path.join(d, name))), name
EOF
  W ps -q >"$out" 2>&1
  local running
  running=$(tr -d '\r' <"$out" | grep . | sort)
  for s in "$cdir"/*/secrets; do
    [ -d "$s" ] || continue
    local cid
    cid=$(basename "$(dirname "$s")" | cut -c1-12)
    printf '%s\n' "$running" | grep -x "$cid" >/dev/null || { echo "$s" >"$out"; bad "round $r: a secrets folder of a container that is not running"; }
  done
  local stored named
  stored=$(python3 -c 'import json,os,sys; d=sys.argv[1]; print("\n".join(sorted(json.load(open(os.path.join(d,f)))["Name"] for f in os.listdir(d) if f.endswith(".json"))) if os.path.isdir(d) else "")' "$data_unix/secrets" 2>&1)
  W secret ls --format '{{.Name}}' >"$out" 2>&1
  named=$(tr -d '\r' <"$out" | grep . | sort)
  [ "$stored" = "$named" ] || { printf 'stored:\n%s\nlisted:\n%s\n' "$stored" "$named" >"$out"; bad "round $r: secret ls and the store differ"; }
  ls "$data_unix/secrets" 2>/dev/null | grep -v '\.json$' >/dev/null && { ls "$data_unix/secrets" >"$out"; bad "round $r: leftovers in the secret store"; }
  W check --format json >"$out" 2>&1
  python3 - "$out" <<'EOF' >"$work/check" 2>&1 || { cp "$work/check" "$out"; bad "round $r: wctr check disagrees"; }
import json, sys
checks = {c["Id"]: c for c in json.load(open(sys.argv[1]))["Checks"]}
for name in ("container-records", "orphaned-secrets"):
    assert checks[name]["Status"] == "PASS", checks[name]
EOF
  [ "$failed" = "$bad_before" ] && ok "round $r: records, ps -a, folders, secrets and wctr check agree"
}
for round in $(seq 1 "$kills"); do
  rm -f "$work/stop"
  burst & b1=$!
  burst & b2=$!
  sleep "$((1 + RANDOM % 4)).$((RANDOM % 10))"
  kill -9 "$wctrd_pid"; wait "$wctrd_pid" 2>/dev/null; wctrd_pid=
  touch "$work/stop"
  wait "$b1" "$b2"
  start_hostile "$port" || { bad "round $round: wctrd did not start again"; break; }
  consistent "$round"
done
echo "# what the rounds left goes"
W compose -f "$work_w\\c.yml" -p chaos down >/dev/null 2>&1
# Every container the rounds left, anonymous ones too (a run --rm killed between its create and its start
# stays created, as Docker's does).
W ps -a -q >"$out" 2>&1
for c in $(tr -d '\r' <"$out"); do W rm -f "$c" >/dev/null 2>&1; done
for s in 0 1 2; do W secret rm -f "cs$s" >/dev/null 2>&1; done
W ps -a -q >"$out" 2>&1
[ ! -s "$out" ] && ok "nothing is left" || bad "containers are left"
finish
