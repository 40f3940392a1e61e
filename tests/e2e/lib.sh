# Sourced by the end-to-end scripts: checks that print one line each and a closing tally.
# Expects $root (the checkout) and $build (the mingw build folder); provides wctr, wctrd, ok, bad,
# expect, has, wait_for_pipe, finish.
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
finish() {
  rm -f "$out"
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
}
