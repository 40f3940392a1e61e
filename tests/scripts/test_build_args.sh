#!/usr/bin/env bash
# tests/scripts/test_build_args.sh SOURCE_DIR: scripts/build as people call it - no argument (mingw, the
# README's default), native, mingw, all, and a wrong one - run on a copy of scripts/ whose bootstrap does
# nothing and with a cmake on PATH that only writes down its arguments, so no build happens. The real
# script is what runs; only what it calls is replaced.
set -uo pipefail
src=${1:?usage: test_build_args.sh SOURCE_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
mkdir -p "$work/tree/scripts" "$work/bin"
cp "$src/scripts/build" "$src/scripts/env.sh" "$work/tree/scripts/"
printf '#!/usr/bin/env bash\nexit 0\n' >"$work/tree/scripts/bootstrap"
printf '#!/usr/bin/env bash\necho "$*" >>"%s/calls"\n' "$work" >"$work/bin/cmake"
chmod +x "$work/tree/scripts/build" "$work/tree/scripts/bootstrap" "$work/bin/cmake"

# run WANT_STATUS WANT_CALLS WHAT [ARG]: runs the copy; its status and the cmake calls it made must match.
run() {
  local want=$1 calls=$2 what=$3
  shift 3
  rm -f "$work/calls"
  local out rc got
  out=$(PATH="$work/bin:$PATH" "$work/tree/scripts/build" "$@" 2>&1)
  rc=$?
  got=
  [ -f "$work/calls" ] && got=$(tr "\n" ";" <"$work/calls")
  if [ "$rc" != "$want" ] || [ "$got" != "$calls" ]; then
    echo "FAIL: $what: exit $rc (want $want), cmake calls: '$got' (want '$calls')"
    printf '%s\n' "$out" | sed 's/^/  | /'
    failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
}

mingw="--preset mingw;--build --preset mingw -- -k 0;"
native="--preset native;--build --preset native -- -k 0;"
run 0 "$mingw" "no argument builds the mingw preset (the README's default)"
run 0 "$mingw" "mingw" mingw
run 0 "$native" "native" native
run 0 "$native$mingw" "all: native, then mingw" all
run 2 "" "an unknown preset is refused with the usage" bogus
out=$(PATH="$work/bin:$PATH" "$work/tree/scripts/build" bogus 2>&1)
if printf '%s\n' "$out" | grep -qF "usage: scripts/build [native|mingw|all]"; then echo "ok: the usage is printed"; else
  echo "FAIL: no usage line: $out"; failures=$((failures + 1)); fi
[ "$failures" = 0 ] && echo "all passed" || echo "$failures failed"
[ "$failures" = 0 ]
