#!/usr/bin/env python3
"""Makes a cosign key-based signature the way `cosign sign --key` stores one, with openssl doing the ECDSA:
the simplesigning payload, its ECDSA P-256 / SHA-256 signature (ASN.1 DER, base64 in the layer's annotation
dev.cosignproject.cosign/signature), and an OCI manifest whose one layer is the payload, written as a folder
registry_tool.py pushes under the tag sha256-<hex>.sig.

sign.py OUT KEY.pem REPO DIGEST [MODE [ARG]]
  MODE good          (default) a valid signature over DIGEST
       other D       the payload names another digest D (a signature copied from another image)
       corrupt       the DER signature cut short (not an ECDSA signature any more)
       edit          the payload changed after it was signed (one byte of the reference)
       malformed     a payload that is not the simplesigning document, signed
Prints the tag to push under."""
import base64, hashlib, json, os, subprocess, sys


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def main():
    out, key, repo, digest = sys.argv[1:5]
    mode = sys.argv[5] if len(sys.argv) > 5 else "good"
    claimed = sys.argv[6] if mode == "other" else digest
    payload = json.dumps({"critical": {"identity": {"docker-reference": repo},
                                       "image": {"docker-manifest-digest": claimed},
                                       "type": "cosign container image signature"},
                          "optional": None}, separators=(",", ":")).encode()
    if mode == "malformed":
        payload = b'{"critical":{"type":"cosign container image signature"},"optional":null}'
    der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=payload, capture_output=True,
                         check=True).stdout
    if mode == "corrupt":
        der = der[:-6]
    if mode == "edit":
        payload = payload.replace(repo.encode(), (repo + "x").encode())
    os.makedirs(os.path.join(out, "blobs"), exist_ok=True)
    config = b"{}"
    for blob in (payload, config):
        open(os.path.join(out, "blobs", hashlib.sha256(blob).hexdigest()), "wb").write(blob)
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": len(config),
                           "digest": sha(config)},
                "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "size": len(payload),
                            "digest": sha(payload),
                            "annotations": {"dev.cosignproject.cosign/signature": base64.b64encode(der).decode()}}]}
    open(os.path.join(out, "manifest.json"), "wb").write(json.dumps(manifest, separators=(",", ":")).encode())
    print("sha256-%s.sig" % digest[7:])


if __name__ == "__main__":
    main()
