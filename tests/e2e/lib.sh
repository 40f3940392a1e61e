# Sourced by the end-to-end scripts: checks that print one line each and a closing tally.
# Expects $root (the checkout) and $build (the mingw build folder); provides wctr, wctrd, ok, bad,
# expect, has, wait_for_pipe, finish, and for a console wctrd of the run's own: console_wctrd, W,
# start_wctrd, stop_wctrd, console_cleanup.
. "$root/scripts/env.sh"
passed=0
failed=0
out=$(mktemp)

wctrd() { "$root/scripts/wine" "$build/wctrd.exe" "$@"; }
wctr() { "$root/scripts/wine" "$build/wctr.exe" "$@"; }

ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; sed 's/^/     | /' "$out"; failed=$((failed + 1)); }
# expect CODE DESCRIPTION COMMAND...: runs the command (stdout+stderr to $out) and checks its exit code.
expect() {
  local want=$1 what=$2
  shift 2
  "$@" >"$out" 2>&1
  local got=$?
  if [ "$got" = "$want" ]; then ok "$what"; else echo "     exit $got, wanted $want"; bad "$what"; fi
}
# has TEXT DESCRIPTION: the last command's output contains TEXT.
has() { if grep -qF -- "$1" "$out"; then ok "$2"; else echo "     missing: $1"; bad "$2"; fi; }
# lacks TEXT DESCRIPTION: the last command's output does not contain TEXT.
lacks() { if grep -qF -- "$1" "$out"; then echo "     present: $1"; bad "$2"; else ok "$2"; fi; }
# wait_for_pipe NAME: until wctr version answers there (10 s at most).
wait_for_pipe() {
  for _ in $(seq 1 50); do
    wctr -H "npipe:////./pipe/$1" version >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}
# console_wctrd NAME: names for a console wctrd of this run, unique across runs (Wine and bash reuse process
# ids, so the time is in them too): $id, $pipe, $data (C:\NAME-ID) and $data_unix, its log $data_unix.log.
console_wctrd() {
  id=$$-$(date +%s%N | tail -c 7)
  pipe=$1-$id
  data="C:\\$1-$id"
  data_unix="$WINEPREFIX/drive_c/$1-$id"
  wctrd_pid=
}
# wctr against that wctrd; starting it waits until its pipe answers, stopping it is Ctrl+C (a clean stop).
W() { wctr -H "npipe:////./pipe/$pipe" "$@"; }
start_wctrd() {
  "$root/scripts/wine" "$build/wctrd.exe" run --data-root "$data" --pipe "$pipe" >>"$data_unix.log" 2>&1 &
  wctrd_pid=$!
  wait_for_pipe "$pipe"
}
stop_wctrd() {
  kill -INT "$wctrd_pid" 2>/dev/null
  wait "$wctrd_pid" 2>/dev/null
  wctrd_pid=
}
# console_cleanup [PATH...]: for `trap ... EXIT`: stops the console wctrd, shows the end of its log when a
# check failed, removes its data root, its log and PATHs.
console_cleanup() {
  [ -n "$wctrd_pid" ] && kill -INT "$wctrd_pid" 2>/dev/null && wait "$wctrd_pid" 2>/dev/null
  if [ "$failed" != 0 ] && [ -f "$data_unix.log" ]; then
    echo "--- wctrd's log (the last 60 lines) ---"
    tail -n 60 "$data_unix.log"
  fi
  rm -rf "$data_unix" "$data_unix.log" "$@"
}
finish() {
  rm -f "$out"
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
}
