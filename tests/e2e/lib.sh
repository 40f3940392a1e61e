# Sourced by the end-to-end scripts: checks that print one line each and a closing tally.
# Expects $root (the checkout) and $build (the mingw build folder); provides wctr, wctrd, ok, bad,
# expect, has, lacks, wait_for_pipe, finish, need_debian, and for a console wctrd of the run's own:
# console_wctrd (or double_wctrd, next to the HCS test doubles), W, start_wctrd, stop_wctrd, console_cleanup.
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
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
# need_debian COMMAND:PACKAGE...: installs from Debian (as root, or with sudo) the packages whose command is
# missing, updating the package lists once when a first try fails; a script that cannot have them stops.
need_debian() {
  local need=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
  done
  [ ${#need[@]} = 0 ] && return 0
  echo "# installing ${need[*]}"
  local install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends
                 -o DPkg::Lock::Timeout=300 "${need[@]}")
  as_root "${install[@]}" >/dev/null 2>&1 ||
    { as_root apt-get update -qq >/dev/null 2>&1 && as_root "${install[@]}" >/dev/null 2>&1; } ||
    { echo "FAIL cannot install ${need[*]}"; exit 1; }
}
# console_wctrd NAME: names for a console wctrd of this run, unique across runs (Wine and bash reuse process
# ids, so the time is in them too): $id, $pipe, $data (C:\NAME-ID) and $data_unix, its log $data_unix.log.
console_wctrd() {
  id=$$-$(date +%s%N | tail -c 7)
  pipe=$1-$id
  data="C:\\$1-$id"
  data_unix="$WINEPREFIX/drive_c/$1-$id"
  wctrd_pid=
  double=
  wctrd_flags=()
}
# double_wctrd NAME [FLAG...]: console_wctrd NAME for a wctrd next to the HCS test doubles (tests/hcs_double):
# the unchanged wctrd.exe is copied into $bin_unix (a folder of this run in the build folder) beside the
# doubles' computecore.dll, vmcompute.dll and computenetwork.dll, which it loads as it would load Windows'
# own. $state_unix (C:\NAME-state-ID) holds the doubles' state, $calls their call log. start_wctrd runs that
# copy with the doubles' state of the current $id, --test-bitlocker-state encrypted and the FLAGs.
double_wctrd() {
  console_wctrd "$1"
  double=$1
  shift
  wctrd_flags=(--test-bitlocker-state encrypted "$@")
  bin_unix="$build/$double-e2e-$id"
  state_unix="$WINEPREFIX/drive_c/$double-state-$id"
  calls="$state_unix/calls.jsonl"
  mkdir -p "$bin_unix" "$state_unix"
  cp "$build/wctrd.exe" "$build/hcs_double/computecore.dll" "$build/hcs_double/vmcompute.dll" \
    "$build/hcs_double/computenetwork.dll" "$bin_unix/"
}
# wctr against that wctrd; starting it (start_wctrd [FLAG...]: more flags of wctrd run) waits until its pipe
# answers, stopping it is Ctrl+C (a clean stop).
W() { wctr -H "npipe:////./pipe/$pipe" "$@"; }
start_wctrd() {
  local exe="$build/wctrd.exe" env=()
  if [ -n "$double" ]; then
    exe="$bin_unix/wctrd.exe"
    env=("WCTR_HCS_DOUBLE_STATE=C:\\$double-state-$id")
  fi
  env "${env[@]}" "$root/scripts/wine" "$exe" run --data-root "$data" --pipe "$pipe" "${wctrd_flags[@]}" "$@" \
    >>"$data_unix.log" 2>&1 &
  wctrd_pid=$!
  wait_for_pipe "$pipe"
}
stop_wctrd() {
  [ -n "$wctrd_pid" ] && kill -INT "$wctrd_pid" 2>/dev/null && wait "$wctrd_pid" 2>/dev/null
  wctrd_pid=
}
# console_cleanup [PATH...]: for `trap ... EXIT`: stops the console wctrd, shows the end of its log when a
# check failed, removes its data root, its log, a double_wctrd's folders and PATHs.
console_cleanup() {
  stop_wctrd
  if [ "$failed" != 0 ] && [ -f "$data_unix.log" ]; then
    echo "--- wctrd's log (the last 60 lines) ---"
    tail -n 60 "$data_unix.log"
  fi
  rm -rf "$data_unix" "$data_unix.log" "$@"
  if [ -n "$double" ]; then rm -rf "$bin_unix" "$state_unix"; fi
}
finish() {
  rm -f "$out"
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
}
