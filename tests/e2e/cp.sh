#!/usr/bin/env bash
# End to end under Wine: wctr cp with job containers against a console wctrd (cli/cp.c, container.archive.*):
# a file and a folder both ways, a folder's contents with "\.", a tar on stdin and stdout ('-'), a running and a
# stopped container, and the refusals: a path leaving the root, an archive entry leaving the folder (nothing is
# written), -a / -L (125), a missing path (Docker's sentence).
# Usage: cp.sh BUILD_DIR SLEEPER_EXE
# Prints one line per check and "N passed, N failed"; exits 1 when anything failed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$1
. "$root/tests/e2e/lib.sh"
sleeper=$(winepath_w "$2")
console_wctrd wctr-cp
sandbox="C:\\wctr-cp-sandbox-$id"
sandbox_unix="$WINEPREFIX/drive_c/wctr-cp-sandbox-$id"
local_w="C:\\wctr-cp-local-$id"
local_unix="$WINEPREFIX/drive_c/wctr-cp-local-$id"
trap 'console_cleanup "$sandbox_unix" "$local_unix"' EXIT
mkdir -p "$sandbox_unix/logs/deep" "$local_unix/src/inner"
printf 'from the container\n' >"$sandbox_unix/logs/app.log"
printf 'deeper\n' >"$sandbox_unix/logs/deep/d.txt"
printf 'from the host\n' >"$local_unix/src/host.txt"
printf 'inner file\n' >"$local_unix/src/inner/i.txt"
start_wctrd && ok "wctrd run is up" || bad "wctrd run did not come up"
wcp() { W cp "$@"; }

expect 0 "create a stopped job container on the sandbox" W create --isolation=job --name stopped "$sandbox" cmd /c exit 0

echo "# from the container"
expect 0 "cp a file out of a stopped container" wcp "stopped:C:\\logs\\app.log" "$local_w\\app.log"
[ "$(cat "$local_unix/app.log" 2>/dev/null)" = "from the container" ] && ok "the file arrived whole" || bad "the file arrived whole"
expect 0 "cp a folder out (into an existing folder: FOLDER\\logs)" wcp "stopped:C:\\logs" "$local_w"
[ -f "$local_unix/logs/deep/d.txt" ] && ok "the folder came with its subfolders" || bad "the folder came with its subfolders"
expect 0 "cp a folder out to a new name" wcp "stopped:/logs" "$local_w\\renamed"
[ -f "$local_unix/renamed/app.log" ] && [ -f "$local_unix/renamed/deep/d.txt" ] && ok "created as the new folder" ||
  bad "created as the new folder"
mkdir -p "$local_unix/contents"
expect 0 "cp a folder's contents with \\." wcp "stopped:C:\\logs\\." "$local_w\\contents"
[ -f "$local_unix/contents/app.log" ] && [ ! -d "$local_unix/contents/logs" ] && ok "only the contents" || bad "only the contents"
ls -a "$local_unix/contents" "$local_unix" >"$out" 2>&1
lacks ".wctr-cp-" "no staging folder is left behind"
"$root/scripts/wine" "$build/wctr.exe" -H "npipe:////./pipe/$pipe" cp "stopped:C:\\logs" - >"$local_unix/out.tar" 2>"$out"
tar -tf "$local_unix/out.tar" >"$out" 2>&1
has "logs/deep/d.txt" "cp CONTAINER:PATH - writes a tar that tar reads"
tar -xOf "$local_unix/out.tar" logs/app.log >"$out" 2>&1
has "from the container" "with the file's bytes"
expect 1 "a missing path" wcp "stopped:C:\\no-such-$id" "$local_w"
has "Could not find the file C:\\no-such-$id in container stopped" "in Docker's words"

echo "# into the container"
expect 0 "cp a file into a stopped container" wcp "$local_w\\src\\host.txt" "stopped:C:\\logs"
[ "$(cat "$sandbox_unix/logs/host.txt" 2>/dev/null)" = "from the host" ] && ok "it is in the sandbox's folder" || bad "it is in the sandbox's folder"
expect 0 "cp a file to a new name" wcp "$local_w\\src\\host.txt" "stopped:C:\\copy.txt"
[ -f "$sandbox_unix/copy.txt" ] && ok "saved under that name" || bad "saved under that name"
expect 0 "start a container on the sandbox" W run -d --isolation=job --name running "$sandbox" "$sleeper" 60
expect 0 "cp a folder into a running container" wcp "$local_w\\src" "running:C:\\"
[ -f "$sandbox_unix/src/inner/i.txt" ] && ok "the folder is there with its subfolder" || bad "the folder is there with its subfolder"
(cd "$local_unix/src" && tar -cf "$local_unix/in.tar" host.txt inner)
expect 0 "cp - CONTAINER:PATH reads a tar on stdin" bash -c "\"$root/scripts/wine\" \"$build/wctr.exe\" -H npipe:////./pipe/$pipe cp - 'running:C:\\logs\\deep' <\"$local_unix/in.tar\""
[ -f "$sandbox_unix/logs/deep/host.txt" ] && [ -f "$sandbox_unix/logs/deep/inner/i.txt" ] && ok "extracted into the folder" ||
  bad "extracted into the folder"

echo "# refusals"
expect 1 "a path leaving the root is refused" wcp "running:C:\\..\\Windows\\win.ini" "$local_w"
has '".." is not accepted' "and says why"
expect 1 "another drive is refused" wcp "running:D:\\x" "$local_w"
has "only the drive C:" "and says why"
python3 - "$local_unix/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.USTAR_FORMAT) as t:
    for name, body in (("fine.txt", b"fine"), ("../escaped.txt", b"escaped")):
        i = tarfile.TarInfo(name)
        i.size = len(body)
        t.addfile(i, io.BytesIO(body))
PY
expect 1 "an archive entry leaving the folder is refused" bash -c "\"$root/scripts/wine\" \"$build/wctr.exe\" -H npipe:////./pipe/$pipe cp - 'running:C:\\logs' <\"$local_unix/evil.tar\""
has 'escaped.txt' "naming the entry"
[ ! -e "$sandbox_unix/escaped.txt" ] && [ ! -e "$sandbox_unix/logs/fine.txt" ] && ok "nothing of it was written" ||
  bad "nothing of it was written"
expect 125 "-a is refused as a flag error" wcp -a "running:C:\\logs" "$local_w"
has "no uid or gid" "with the reason"
expect 125 "-L is refused as a flag error" wcp -L "running:C:\\logs" "$local_w"
expect 1 "a folder onto a file is refused" wcp "running:C:\\logs" "$local_w\\app.log"
has "cannot copy a directory to a file" "in docker's words"
expect 0 "container cp (the management form)" W container cp "running:C:\\copy.txt" "$local_w\\mgmt.txt"
[ -f "$local_unix/mgmt.txt" ] && ok "copied" || bad "copied"
expect 0 "rm -f the containers" W rm -f running stopped
finish
