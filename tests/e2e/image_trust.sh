#!/usr/bin/env bash
# End to end under Wine: image trust. Debian's docker-registry runs on 127.0.0.1; Windows images are
# generated and pushed as in images.sh, and signed here the way `cosign sign --key` stores signatures (the
# simplesigning payload under the tag sha256-<hex>.sig), with openssl doing ECDSA P-256 (images/sign.py).
# wctrd.exe verifies with Windows' CryptoAPI and BCrypt (Wine's). Covered: an image pulled with the policy off
# and refused at run once "signed" is on (and wctr check naming it); a signed image pulled, recorded (image
# inspect's Trust), run; unsigned, signed by an unknown key, another image's signature, a corrupted signature,
# a payload edited after signing and a malformed payload, each refused with its own message and nothing kept;
# wctr trust inspect; the audit trail; a key file that cannot be read stopping wctrd.
# Usage: image_trust.sh BUILD_DIR
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$1
. "$root/tests/e2e/lib.sh"
need_debian docker-registry:docker-registry openssl:openssl curl:curl /usr/bin/python3:python3
py=/usr/bin/python3
# computenetwork.dll too: the process containers run here join the default network (nat) on its double.
double_wctrd wctr-trust --test-layer-import
work=$(mktemp -d)
tool() { "$py" "$root/tests/e2e/images/registry_tool.py" "$@"; }
sign() { "$py" "$root/tests/e2e/images/sign.py" "$@"; }
helpers=()
cleanup() {
  stop_wctrd
  for p in "${helpers[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  if [ "$failed" != 0 ] && [ -f "$work/reg.log" ]; then
    echo "--- registry ---"
    tail -n 15 "$work/reg.log"
  fi
  console_cleanup "$work"
}
trap cleanup EXIT
store_count() { find "$data_unix/images/store/$1" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

mkdir -p "$data_unix/config" "$data_unix/keys"
port=$(tool free-port)
mkdir -p "$work/reg"
cat >"$work/reg.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/reg
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$work/reg.yml" >"$work/reg.log" 2>&1 &
helpers+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done
reg=127.0.0.1:$port
curl -s -o /dev/null "http://$reg/v2/" && ok "docker-registry serves on $reg" || bad "docker-registry did not start"

echo "# keys (openssl, ECDSA P-256, as cosign generate-key-pair makes) and images"
for k in trusted unknown; do
  openssl ecparam -name prime256v1 -genkey -noout -out "$work/$k.key" 2>/dev/null &&
    openssl ec -in "$work/$k.key" -pubout -out "$work/$k.pub" 2>/dev/null
done
cp "$work/trusted.pub" "$data_unix/keys/cosign.pub"
fp="sha256:$(openssl pkey -pubin -in "$work/trusted.pub" -outform DER | sha256sum | cut -c1-64)"
[ -s "$work/trusted.pub" ] && [ -s "$work/unknown.pub" ] && ok "two key pairs; the trusted key is $fp" || bad "openssl keys"
n=0
image() { # image NAME: a one-layer image NAME:v1 pushed; its manifest digest in $work/NAME.digest
  n=$((n + 1))
  tool make-image "$work/$1" 10.0.20348.1 1 $((4000 + n * 97)) >"$work/$1.digest" && tool push "$reg" "$1" v1 "$work/$1"
}
signature() { # signature NAME KEY [MODE [ARG]]: pushes a signature of NAME:v1's digest
  local name=$1 key=$2
  shift 2
  local tag
  tag=$(sign "$work/$name.sig" "$work/$key.key" "$reg/$name" "$(cat "$work/$name.digest")" "$@") &&
    tool push "$reg" "$name" "$tag" "$work/$name.sig"
}
ok_all=true
for i in late app plain unk copy corrupt edited malformed; do image "$i" || ok_all=false; done
signature app trusted || ok_all=false
signature unk unknown || ok_all=false
signature copy trusted other "$(cat "$work/app.digest")" || ok_all=false
signature corrupt trusted corrupt || ok_all=false
signature edited trusted edit || ok_all=false
signature malformed trusted malformed || ok_all=false
$ok_all && ok "8 images pushed; app signed by the trusted key, unk by another, copy with app's signature, corrupt, \
  edited and malformed signatures" || bad "images or signatures could not be pushed"

echo "# the policy off (the default): anything pulls and runs"
start_wctrd && ok "wctrd is up without image-trust" || bad "wctrd did not come up"
expect 0 "pull late:v1 with the policy off" W pull "$reg/late:v1"
expect 0 "create a container from it with the policy off" W create --name early --isolation=process "$reg/late:v1"
W check --format json >"$out" 2>&1 # exit 1 under Wine: it folds file DACLs into mode bits (README)
has '"Id":"image-trust","Title":' "wctr check reports image-trust"
grep -o '"Id":"image-trust"[^}]*' "$out" | grep '"Status":"WARN"' >/dev/null && ok "as a WARN while the policy is off" || bad "image-trust is not WARN when off"
expect 0 "trust inspect works with the policy off (no key: nothing verifies)" W trust inspect "$reg/app:v1"
has '"Verdict": "unknown-key"' "the signature is found, no key trusts it" 
stop_wctrd

echo "# \"signed\" in wctrd.json"
printf '{"image-trust": {"policy": "signed", "keys": ["C:\\\\wctr-trust-%s\\\\keys\\\\cosign.pub"]}}\n' "$id" \
  >"$data_unix/config/wctrd.json"
start_wctrd && ok "wctrd is up with the policy \"signed\"" || bad "wctrd did not come up with the policy"
expect 125 "run late:v1 (pulled before the policy) is refused" W run --rm --isolation=process "$reg/late:v1"
has "was never verified" "the reason"
has "wctr pull $reg/late:v1" "and the fix"
expect 125 "create is refused too" W create --isolation=process "$reg/late:v1"
has "image-trust policy \"signed\"" "naming the policy"
expect 1 "start of the container created before the policy is refused" W start early
has "was never verified" "with the reason"
W check --format json >"$out" 2>&1
grep -o '"Id":"image-trust"[^}]*' "$out" | grep "would be refused at run: $reg/late:v1" >/dev/null &&
  ok "wctr check names the image that would be refused" || bad "check does not name late:v1"

echo "# a signed image"
expect 0 "pull app:v1 (signed by the trusted key)" W pull "$reg/app:v1"
has "Signature verified with key $fp" "the key is shown as the pull goes"
expect 0 "image inspect" W image inspect "$reg/app:v1"
has '"Trust": {' "image inspect shows Trust"
has "\"Key\": \"$fp\"" "with the key's fingerprint"
has '"KeyFile": "C:\\wctr-trust-' "its file"
has '"Verified": "20' "and when"
expect 0 "run it" W run --rm --isolation=process "$reg/app:v1"
has "from-the-pulled-image" "it runs"
expect 0 "trust inspect --pretty" W trust inspect --pretty "$reg/app:v1"
has "Verdict:    verified" "verified"
has "Key:           $fp" "the signature's key"
expect 0 "trust inspect (JSON)" W trust inspect "$reg/app:v1" "$reg/plain:v1"
has '"Verdict": "verified"' "app: verified"
has '"Verdict": "no-signature"' "plain: no signature"

echo "# refusals: each its own message, nothing kept"
blobs_before=$(store_count blobs/sha256)
refused() { # refused NAME TEXT WHAT
  expect 1 "pull $1: $3" W pull "$reg/$1:v1"
  has "$2" "says so"
  has "refused by the image-trust policy \"signed\"" "names the policy"
  expect 0 "images" W images
  lacks "$reg/$1" "$1 is not in the store"
}
refused plain "has no signature" "unsigned"
refused unk "unknown key: none of the 1 key(s) trusted for $reg/unk verifies it" "signed by an unknown key"
refused copy "other image: signed with trusted key $fp over $(cat "$work/app.digest")" "another image's signature"
refused corrupt "bad signature:" "a corrupted signature"
refused edited "changed after signing" "a payload edited after signing"
refused malformed "malformed payload:" "a malformed payload"
[ "$(store_count blobs/sha256)" = "$blobs_before" ] && ok "no blob of a refused image was kept" ||
  bad "blobs: $blobs_before before, $(store_count blobs/sha256) after"
[ "$(store_count tmp)" = 0 ] && ok "no temporary file left" || bad "tmp is not empty"

echo "# the image pulled before the policy, pulled again: verified, runs"
signature late trusted
expect 0 "pull late:v1 again (now signed)" W pull "$reg/late:v1"
has "Signature verified with key $fp" "verified"
expect 0 "run late:v1" W run --rm --isolation=process "$reg/late:v1"
has "from-the-pulled-image" "it runs"
expect 0 "and the container created before the policy starts" W start -a early
has "from-the-pulled-image" "its command ran"

echo "# the audit trail"
expect 0 "audit" W audit --format json
has '"Op":"image.trust","Target":"'"$reg"'/app:v1","Result":"ok","Detail":"pull: digest '"$(cat "$work/app.digest")"', key '"$fp" "the verified pull: image, digest, key, verdict"
has '"Target":"'"$reg"'/unk:v1","Result":"access_denied","Detail":"pull: digest' "the refused pulls"
has 'verdict unknown-key' "with their verdicts"
has 'verdict other-image' "other-image"
has 'verdict bad-signature' "bad-signature"
has 'verdict malformed-payload' "malformed-payload"
has 'verdict no-signature' "no-signature"
has '"Result":"access_denied","Detail":"run: digest' "the refused run"
has '"Result":"ok","Detail":"run: digest' "the allowed runs"
has '"Op":"service.config","Target":"image-trust"' "the policy itself when wctrd started"
stop_wctrd

echo "# a key file that cannot be read stops wctrd"
printf '{"image-trust": {"policy": "signed", "keys": ["C:\\\\wctr-trust-%s\\\\keys\\\\missing.pub"]}}\n' "$id" \
  >"$data_unix/config/wctrd.json"
expect 1 "wctrd run refuses to start" timeout 60 "$root/scripts/wine" "$bin_unix/wctrd.exe" run --data-root "$data" \
  --pipe "$pipe-bad" --test-layer-import --test-bitlocker-state encrypted
has "missing.pub cannot be read" "naming the file"

for p in "${helpers[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
helpers=()
finish
