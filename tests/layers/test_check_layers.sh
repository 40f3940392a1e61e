#!/usr/bin/env bash
# tests/layers/test_check_layers.sh SOURCE_DIR: scripts/check-layers on copies of the checkout with planted
# includes. The clean copy passes; each planted upward include, peer include, module without a rank and a
# changed rank line in docs/CONTRIBUTING.md makes it fail, naming the file and line; what is exempt (tests/)
# or allowed (lower modules, the file's own module) does not.
set -uo pipefail
src=${1:?usage: test_check_layers.sh SOURCE_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fresh() {
  rm -rf "$work/tree"
  mkdir -p "$work/tree"
  local d
  for d in "$src"/*/; do
    d=$(basename "$d")
    case "$d" in build) continue ;; esac
    cp -R "$src/$d" "$work/tree/$d"
  done
}

# expect STATUS TEXT WHAT: runs the checker on the copy; its status must be STATUS and its output must hold
# TEXT (a fixed string; "" for any).
expect() {
  local want=$1 text=$2 what=$3 out rc
  out=$("$src/scripts/check-layers" "$work/tree" 2>&1)
  rc=$?
  if [ "$rc" != "$want" ]; then
    echo "FAIL: $what: exit $rc, want $want"
    printf '%s\n' "$out" | sed 's/^/  | /'
    failures=$((failures + 1))
  elif [ -n "$text" ] && ! printf '%s\n' "$out" | grep -qF -- "$text"; then
    echo "FAIL: $what: output lacks: $text"
    printf '%s\n' "$out" | sed 's/^/  | /'
    failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
}

# plant FILE LINE_TEXT: appends an include at the end of FILE (in the copy) and prints its line number.
plant() {
  printf '%s\n' "$2" >>"$work/tree/$1"
  wc -l <"$work/tree/$1" | tr -d ' '
}

fresh
expect 0 "no module includes a higher one" "the checkout as it is"

fresh
n=$(plant hcs/document.h '#include "service/container.h"')
expect 1 "hcs/document.h:$n: #include \"service/container.h\": hcs (3) may not include the higher service (5)" \
  "an upward include (hcs -> service)"

fresh
n=$(plant spec/spec.h '#include "acl/sid.h"')
expect 1 "spec/spec.h:$n: #include \"acl/sid.h\": spec (1) may not include the higher acl (2)" "spec -> acl"

fresh
n=$(plant docker/shapes.c '#include "acl/sid.h"')
expect 1 "docker/shapes.c:$n: #include \"acl/sid.h\": docker and acl are peers (rank 2) and may not include each other" \
  "a peer include (docker -> acl)"

fresh
n=$(plant jobs/limits.c '#include "hcs/document.h"')
expect 1 "jobs/limits.c:$n: #include \"hcs/document.h\": jobs and hcs are peers (rank 3) and may not include each other" \
  "a peer include (jobs -> hcs)"

fresh
n=$(plant common/error.c '#  include   "spec/spec.h"')
expect 1 "common/error.c:$n:" "an include written with spaces (common -> spec)"

fresh
n=$(plant service/container.c '#include "cli/cli.h"')
m=$(plant hcs/document.c '#include "jobs/limits.h"')
out=$("$src/scripts/check-layers" "$work/tree" 2>&1)
if printf '%s\n' "$out" | grep -qF "service/container.c:$n:" && printf '%s\n' "$out" | grep -qF "hcs/document.c:$m:"; then
  echo "ok: every finding is listed, not only the first"
else
  echo "FAIL: two planted includes, not both listed"
  printf '%s\n' "$out" | sed 's/^/  | /'
  failures=$((failures + 1))
fi

fresh
plant service/container.c '#include "service/secrets.h"' >/dev/null
plant cli/commands.c '#include "common/json.h"' >/dev/null
plant tests/spec/test_table.c '#include "cli/cli.h"' >/dev/null
plant scripts/fake.h '#include "cli/cli.h"' >/dev/null
expect 0 "no module includes a higher one" "own module, lower modules and exempt folders are allowed"

fresh
n=$(plant service/container.c '#include "tests/testutil.h"')
expect 1 "service/container.c:$n: #include \"tests/testutil.h\": tests/ is not a module that product code may include" \
  "product code including tests/"

fresh
mkdir -p "$work/tree/widgets"
printf '#include "common/error.h"\n' >"$work/tree/widgets/w.c"
expect 1 "widgets/: a module with no rank" "a module without a rank"

fresh
sed -i 's/common 0 < spec 1 < acl, docker 2/common 0 < acl, docker 1 < spec 2/' "$work/tree/docs/CONTRIBUTING.md"
expect 1 "docs/CONTRIBUTING.md: the module ranks are not stated as scripts/check-layers has them" \
  "ranks in docs/CONTRIBUTING.md that differ from the script's"

if [ "$failures" -ne 0 ]; then
  echo "$failures case(s) failed"
  exit 1
fi
echo "all cases passed"
