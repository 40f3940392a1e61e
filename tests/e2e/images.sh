#!/usr/bin/env bash
# End to end under Wine: images from real registries. Debian's docker-registry is started here on 127.0.0.1
# with random ports and temporary storage (an open one, one with htpasswd Basic auth, one with Bearer tokens
# from a small token server of this suite), images in the Windows layer format are generated and pushed with
# the registry's HTTP API (tests/e2e/images/registry_tool.py), and wctrd.exe - next to the HCS test double,
# layers unpacked by the import double (--test-layer-import) - pulls, runs, saves, loads and removes them.
# Faults: an index without an entry for this host, a blob corrupted in the registry's storage, a download
# cut half-way by a proxy, wctrd killed during a pull. Everything started here is stopped at the end.
# Layers are "imported" by wctrd's test importer (--test-layer-import, images/import.h): the Windows import
# is not written yet, so what runs is pulled, verified and stored for real, then unpacked by the double.
# Usage: images.sh BUILD_DIR
# What it needs is installed from Debian when missing: docker-registry, apache2-utils (htpasswd), openssl,
# curl and python3 (the helpers use its standard library only).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$1
. "$root/tests/e2e/lib.sh"
need_debian docker-registry:docker-registry htpasswd:apache2-utils openssl:openssl curl:curl /usr/bin/python3:python3
py=/usr/bin/python3 # Debian's (not a python of the user's own)
# computenetwork.dll too: the containers run from pulled images join the default network (nat) on its double.
double_wctrd wctr-img --test-layer-import
work=$(mktemp -d)
tool() { "$py" "$root/tests/e2e/images/registry_tool.py" "$@"; }
helpers=()
cleanup() {
  stop_wctrd
  for p in "${helpers[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  if [ "$failed" != 0 ]; then
    for l in "$work"/*.log; do [ -f "$l" ] && { echo "--- $l ---"; tail -n 15 "$l"; }; done
  fi
  console_cleanup "$work"
}
trap cleanup EXIT

# registry NAME [AUTH-YAML]: starts a registry on a free port with its own storage; sets $reg_port.
registry() {
  local name=$1 auth=${2:-}
  reg_port=$(tool free-port)
  mkdir -p "$work/$name"
  cat >"$work/$name.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/$name
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$reg_port
validation:
  manifests:
    urls:
      allow:
        - ^http://127\.0\.0\.1:[0-9]+/
$auth
YML
  docker-registry serve "$work/$name.yml" >"$work/$name.log" 2>&1 &
  helpers+=($!)
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$reg_port/v2/" && return 0
    sleep 0.1
  done
  echo "registry $name did not start"; return 1
}
# helper NAME ARGS...: a registry_tool server in the background
# (python itself in the background, not the tool function: $! must be the process to stop at the end)
helper() {
  local name=$1
  shift
  "$py" "$root/tests/e2e/images/registry_tool.py" "$@" >"$work/$name.log" 2>&1 &
  helpers+=($!)
  sleep 0.5
}
store_count() { find "$data_unix/images/store/$1" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

registry open && ok "docker-registry serves on 127.0.0.1:$reg_port" || bad "docker-registry did not start"
open=127.0.0.1:$reg_port
start_wctrd && ok "wctrd (HCS double, import double) is up" || bad "wctrd did not come up"

echo "# images in the Windows layer format, pushed with the registry's HTTP API"
tool make-image "$work/app" 10.0.20348.1 2 300000 >"$work/app.digest" && tool push "$open" app v1 "$work/app" &&
  ok "app:v1 pushed (2 layers: Files, Hives, UtilityVM, PAX records, ADS, a whiteout)" || bad "push app"
tool make-image "$work/w2019" 10.0.17763.1 1 1000 >/dev/null
tool make-image "$work/w2022" 10.0.20348.2113 2 1000 >/dev/null
tool make-image "$work/w2022old" 10.0.20348.100 1 1000 >/dev/null
tool make-image "$work/linux" 10.0.20348.1 1 1000 >/dev/null
"$py" - "$work/linux" <<'PY'
import json, os, sys, hashlib
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
cfg_path = os.path.join(d, "blobs", m["config"]["digest"][7:])
cfg = json.load(open(cfg_path)); cfg["os"] = "linux"; del cfg["os.version"]
data = json.dumps(cfg).encode(); os.remove(cfg_path)
open(os.path.join(d, "blobs", hashlib.sha256(data).hexdigest()), "wb").write(data)
m["config"]["digest"] = "sha256:" + hashlib.sha256(data).hexdigest(); m["config"]["size"] = len(data)
open(os.path.join(d, "manifest.json"), "w").write(json.dumps(m))
PY
for d in w2019 w2022 w2022old linux; do tool push "$open" multi "$d" "$work/$d"; done
tool make-index "$work/multi" windows/amd64/10.0.17763.1="$work/w2019" windows/amd64/10.0.20348.2113="$work/w2022" \
  windows/amd64/10.0.20348.100="$work/w2022old" linux/amd64="$work/linux" >"$work/multi.digest"
tool push "$open" multi latest "$work/multi" && ok "a multi-platform index pushed (3 Windows builds, Linux)" || bad "push index"
tool make-index "$work/nomatch" windows/amd64/10.0.17763.1="$work/w2019" linux/amd64="$work/linux" >/dev/null
tool push "$open" multi old "$work/nomatch"

echo "# pull"
expect 0 "wctr pull 127.0.0.1:PORT/app:v1" W pull "$open/app:v1"
has "v1: Pulling from app" "Docker's first line"
has ": Pull complete" "each layer is complete"
has "Digest: $(cat "$work/app.digest")" "the manifest's digest"
has "Status: Downloaded newer image for $open/app:v1" "and the status"
has "$open/app:v1" "the name last"
lacks "Downloading [" "no progress bars when stdout is not a console"
expect 0 "pull again" W pull "$open/app:v1"
has "Already exists" "the layers are there"
has "Status: Image is up to date for $open/app:v1" "up to date"
expect 0 "wctr images" W images
has "$open/app" "lists it"
expect 0 "images -q" W images -q
[ "$(wc -l <"$out")" = 1 ] && ok "one image id" || bad "images -q"
expect 0 "image inspect" W image inspect "$open/app:v1"
has '"OsVersion": "10.0.20348.1"' "Docker's keys: OsVersion"
has '"RootFS":' "RootFS"
has '"echo from-the-pulled-image"' "Config.Cmd"
expect 0 "history" W history "$open/app:v1"
has "layer 1" "the config's history"
[ "$(store_count tmp)" = 0 ] && ok "no temporary file left" || bad "tmp is not empty"

echo "# run on the HCS double: the pulled layers, top-most first"
expect 0 "run --rm --isolation=process (the image's command)" W run --rm --isolation=process "$open/app:v1"
has "from-the-pulled-image" "the image's default command ran"
expect 0 "create a container from it" W create --name user1 --isolation=process "$open/app:v1"
expect 1 "rmi is refused while a container uses the image" W rmi "$open/app:v1"
has "container user1 is using its referenced image" "Docker's conflict"
expect 0 "rm the container" W rm user1

echo "# --pull missing (run's default)"
tool make-image "$work/other" 10.0.20348.1 1 5000 >/dev/null && tool push "$open" other v1 "$work/other"
expect 0 "run pulls a missing image" W run --rm --isolation=process "$open/other:v1" cmd /c echo ran-after-pull
has "Unable to find image '$open/other:v1' locally" "Docker's words"
has "ran-after-pull" "then runs it"
expect 125 "--pull never does not" W run --rm --pull never --isolation=process "$open/nothere:v1" cmd /c echo x
has "No such image" "No such image"

echo "# a foreign layer (as mcr's base layers): fetched from its url, never from the registry"
blob_port=$(tool free-port)
tool make-image "$work/fgn" 10.0.20348.1 2 20000 --foreign "http://127.0.0.1:$blob_port/layers" >/dev/null &&
  tool push "$open" fgn v1 "$work/fgn" && ok "pushed with a foreign base layer (gzip, Docker's media types)" ||
  bad "push of an image with a foreign layer"
foreign_hex=$(ls "$work/fgn/foreign")
mkdir -p "$work/blobsrv/layers" && cp "$work/fgn/foreign/$foreign_hex" "$work/blobsrv/layers/"
helper blobsrv serve-dir "$blob_port" "$work/blobsrv"
expect 0 "pull it" W pull "$open/fgn:v1"
has "Pull complete" "its layers are complete"
grep -q "GET /layers/$foreign_hex" "$work/blobsrv.log" && ok "the base layer came from its url" ||
  bad "the blob server was not asked for the foreign layer"
grep -q "blobs/sha256:$foreign_hex" "$work/open.log" && bad "the registry was asked for the foreign layer" ||
  ok "the registry was never asked for it"
expect 0 "run it" W run --rm --isolation=process "$open/fgn:v1"
has "from-the-pulled-image" "it runs"
expect 0 "rmi it" W rmi "$open/fgn:v1"

echo "# tag, save -> rmi -> load"
expect 0 "tag" W tag "$open/app:v1" saved:1
expect 0 "save -o" W save -o "$data\\app.tar" saved:1
[ -s "$data_unix/app.tar" ] && ok "the archive was written" || bad "no archive"
tar -tf "$data_unix/app.tar" >"$out" 2>&1
has "oci-layout" "an OCI layout"
has "manifest.json" "with Docker's manifest.json"
has "index.json" "and index.json"
expect 0 "rmi saved:1 (an untag)" W rmi saved:1
has "Untagged: saved:1" "untagged"
expect 0 "rmi the image" W rmi "$open/app:v1"
has "Deleted: sha256:" "deleted"
[ "$(store_count layers)" = 2 ] && ok "its layers went; other's stays" || bad "layers left: $(store_count layers)"
expect 0 "load -i" W load -i "$data\\app.tar"
has "Loaded image: saved:1" "Docker's line"
expect 0 "run the loaded image" W run --rm --isolation=process saved:1
has "from-the-pulled-image" "it runs"
expect 0 "rmi saved:1" W rmi saved:1

echo "# a multi-platform index"
expect 0 "pull multi" W pull "$open/multi"
has "Digest: $(cat "$work/multi.digest")" "the index's digest"
expect 0 "image inspect" W image inspect "$open/multi"
has '"10.0.20348.2113"' "the newest 20348 entry was chosen"
expect 1 "an index with nothing for this host" W pull "$open/multi:old"
has "no image for Windows 10.0.20348 in $open/multi:old; available: windows/amd64 10.0.17763.1, linux/amd64" \
  "says which platforms there are"
expect 0 "images" W images
lacks "old" "nothing registered"

echo "# a corrupted blob in the registry's storage"
tool make-image "$work/bad" 10.0.20348.1 2 20000 >/dev/null && tool push "$open" bad v1 "$work/bad"
victim=$("$py" -c "import json;print(json.load(open('$work/bad/manifest.json'))['layers'][1]['digest'][7:])")
printf 'tampered' | dd of="$work/open/docker/registry/v2/blobs/sha256/${victim:0:2}/$victim/data" bs=1 seek=100 conv=notrunc 2>/dev/null
expect 1 "pull is refused" W pull "$open/bad:v1"
has "does not match its digest" "digest mismatch"
expect 0 "images" W images
lacks "/bad" "nothing registered"
[ "$(store_count tmp)" = 0 ] && ok "no temporary file left" || bad "tmp is not empty"

echo "# a download cut half-way"
tool make-image "$work/cut" 10.0.20348.1 2 200000 >/dev/null && tool push "$open" cut v1 "$work/cut"
cut_layer=$("$py" -c "import json;print(json.load(open('$work/cut/manifest.json'))['layers'][1]['digest'][7:])")
proxy_port=$(tool free-port)
helper cut-proxy cut-proxy "$proxy_port" "$open" "$cut_layer"
expect 1 "pull through a proxy that cuts the connection" W pull "127.0.0.1:$proxy_port/cut:v1"
has "cut" "the message says the connection was cut"
expect 0 "images" W images
lacks "cut" "nothing registered"
[ "$(store_count tmp)" = 0 ] && ok "no temporary file left" || bad "tmp is not empty"
layers_before=$(store_count layers)

echo "# wctrd killed during a pull"
tool make-image "$work/slow" 10.0.20348.1 2 400000 >/dev/null && tool push "$open" slow v1 "$work/slow"
slow_port=$(tool free-port)
helper slow-proxy slow-proxy "$slow_port" "$open" 100000
W pull "127.0.0.1:$slow_port/slow:v1" >"$work/slowpull.out" 2>&1 &
pull_pid=$!
sleep 4
kill -KILL "$wctrd_pid" 2>/dev/null; wait "$wctrd_pid" 2>/dev/null; wctrd_pid=
wait "$pull_pid" 2>/dev/null
start_wctrd && ok "wctrd is back" || bad "wctrd did not come back"
[ "$(store_count tmp)" = 0 ] && ok "the start-up sweep emptied tmp" || bad "tmp is not empty"
[ "$(store_count layers)" = "$layers_before" ] && ok "no layer of the interrupted pull is left" || bad "layers: $(store_count layers)"
expect 0 "images" W images
lacks "slow" "nothing registered"
expect 0 "the same pull afterwards" W pull "$open/slow:v1"

echo "# Basic authentication (htpasswd)"
htpasswd -Bbn alice s3cret >"$work/htpasswd" 2>/dev/null
registry basic "auth:
  htpasswd:
    realm: wctr-test
    path: $work/htpasswd" || bad "the htpasswd registry did not start"
basic=127.0.0.1:$reg_port
tool push "$basic" private v1 "$work/other" alice:s3cret && ok "pushed with Basic auth" || bad "push with Basic auth"
expect 1 "pull without login" W pull "$basic/private:v1"
has "wctr login $basic" "asks for a login"
printf 'wrong\n' >"$work/pw"
expect 1 "login with a wrong password" sh -c "\"$root/scripts/wine\" \"$build/wctr.exe\" -H npipe:////./pipe/$pipe login -u alice --password-stdin $basic <'$work/pw'"
has "unauthorized" "refused"
printf 's3cret\n' >"$work/pw"
expect 0 "login --password-stdin" sh -c "\"$root/scripts/wine\" \"$build/wctr.exe\" -H npipe:////./pipe/$pipe login -u alice --password-stdin $basic <'$work/pw'"
has "Login Succeeded" "Docker's words"
lacks "s3cret" "the password is never printed"
expect 0 "pull with the stored credentials" W pull "$basic/private:v1"
grep -q "s3cret" "$data_unix.log" "$data_unix/audit"/* 2>/dev/null && bad "the password reached wctrd's log or audit" ||
  ok "the password is in neither wctrd's log nor its audit trail"
expect 0 "logout" W logout "$basic"
has "Removing login credentials for $basic" "Docker's words"

echo "# Bearer tokens (a token server of this suite)"
tool keys "$work/keys"
token_port=$(tool free-port)
helper token token-server "$token_port" "$work/keys" wctr-test alice:s3cret
registry token "auth:
  token:
    realm: http://127.0.0.1:$token_port/token
    service: wctr-test
    issuer: wctr-test-token
    rootcertbundle: $work/keys/cert.pem" || bad "the token registry did not start"
bearer=127.0.0.1:$reg_port
# pushing needs a token with push rights: fetch one as alice
push_token() {
  curl -s -u alice:s3cret "http://127.0.0.1:$token_port/token?service=wctr-test&scope=repository:$1:pull,push" |
    "$py" -c 'import json,sys;print(json.load(sys.stdin)["token"])'
}
"$py" - "$bearer" "$work/other" "$(push_token public/img)" "$(push_token team/img)" <<'PY' && ok "pushed with tokens" || bad "push with tokens"
import sys, os, json, urllib.request, hashlib
reg, d, pub, team = sys.argv[1:5]
for repo, tok in (("public/img", pub), ("team/img", team)):
    h = {"Authorization": "Bearer " + tok}
    for name in os.listdir(os.path.join(d, "blobs")):
        blob = open(os.path.join(d, "blobs", name), "rb").read()
        r = urllib.request.urlopen(urllib.request.Request("http://%s/v2/%s/blobs/uploads/" % (reg, repo), data=b"", method="POST", headers=h))
        loc = r.headers["Location"]
        loc = loc if loc.startswith("http") else "http://%s%s" % (reg, loc)
        # octet-stream: Go's ParseForm would read a form-encoded body (urllib's default) before the upload does
        put = dict(h, **{"Content-Type": "application/octet-stream"})
        urllib.request.urlopen(urllib.request.Request(loc + ("&" if "?" in loc else "?") + "digest=sha256:" + name, data=blob, method="PUT", headers=put))
    data = open(os.path.join(d, "manifest.json"), "rb").read()
    h["Content-Type"] = json.loads(data)["mediaType"]
    urllib.request.urlopen(urllib.request.Request("http://%s/v2/%s/manifests/v1" % (reg, repo), data=data, method="PUT", headers=h))
PY
expect 0 "anonymous token: pull public/img" W pull "$bearer/public/img:v1"
expect 1 "a private repository without login" W pull "$bearer/team/img:v1"
has "pull access denied" "Docker's words"
expect 0 "login (token server checks the password)" sh -c "\"$root/scripts/wine\" \"$build/wctr.exe\" -H npipe:////./pipe/$pipe login -u alice --password-stdin $bearer <'$work/pw'"
expect 0 "pull with a token for alice" W pull "$bearer/team/img:v1"
W logout "$bearer" >/dev/null 2>&1

echo "# prune"
expect 0 "image prune -a -f" W image prune -a -f
has "Total reclaimed space:" "Docker's summary"
expect 0 "images" W images -q
[ ! -s "$out" ] && ok "no image left" || bad "images left"
[ "$(store_count layers)" = 0 ] && ok "no layer folder left" || bad "layer folders left: $(store_count layers)"
[ "$(store_count blobs/sha256)" = 0 ] && ok "no blob left" || bad "blobs left: $(store_count blobs/sha256)"

echo "# everything this suite started stops"
for p in "${helpers[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
left=$(pgrep -f "registry_tool.py .*$work|docker-registry serve $work" | wc -l)
alive=0
for p in "${helpers[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
[ "$alive" = 0 ] && [ "$left" = 0 ] && ok "the registries, the token server, the proxies and the blob server are stopped" ||
  bad "still running: $alive started here, $left naming $work"
helpers=()
finish
