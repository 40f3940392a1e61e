#!/usr/bin/env python3
"""Test helpers for tests/e2e/images.sh (standard library only, plus the openssl command for the token server).

  make-image DIR OSVERSION NLAYERS LAYER_BYTES [--gzip] [--foreign BASE_URL]
      Windows container layers in the real format (hcsshim's ociwclayer / go-winio backuptar): a base layer
      with Files/, Hives/*_Delta, UtilityVM/Files/, PAX records MSWINDOWS.fileattr / MSWINDOWS.rawsd /
      LIBARCHIVE.creationtime, an alternate data stream entry (file:stream); upper layers with a whiteout
      (.wh.NAME) and an ADS. LAYER_BYTES of incompressible file content per layer. Writes DIR/blobs/<hex>,
      DIR/config.json, DIR/manifest.json; prints the manifest digest. --foreign: the base layer is a foreign
      layer as mcr's base layers are (Docker's foreign media type, gzip, "urls": [BASE_URL/<hex>]); its blob
      goes to DIR/foreign/<hex>, not to the registry (implies --gzip).
  make-index DIR PLATFORM=MANIFESTDIR...   an OCI index over image dirs ("windows/amd64/10.0.20348.1=dir1",
      "linux/amd64=dir2"); writes DIR/index.json and prints its digest.
  push REGISTRY REPO TAG DIR [USER:PASS]   blobs by monolithic upload, then the manifest (or index.json and
      the manifests it lists, which must have been pushed); the distribution API only.
  token-server PORT KEYDIR SERVICE USER:PASS   issues RS256 tokens (openssl signs) for the registry's token
      auth; anonymous requests get pull-only tokens for repositories named public/*.
  cut-proxy PORT UPSTREAM DIGEST_HEX   forwards to UPSTREAM; the body of that blob is cut half-way.
  slow-proxy PORT UPSTREAM BYTES_PER_SECOND   forwards everything, throttled.
  keys KEYDIR   makes the token server's key and the certificate the registry trusts.
  serve-dir PORT DIR   serves DIR's files over HTTP (a blob store for foreign layers), logging each request.
"""
import base64
import gzip
import hashlib
import http.server
import io
import json
import os
import socket
import socketserver
import subprocess
import sys
import tarfile
import threading
import time
import urllib.parse
import urllib.request


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def add(tar, name, data=b"", attrs=32, sd=True, kind=tarfile.REGTYPE):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.mtime = 1700000000
    pax = {"MSWINDOWS.fileattr": str(attrs), "LIBARCHIVE.creationtime": "1700000000"}
    if sd:
        # a self-relative security descriptor (O:BAG:SYD:(A;;FA;;;SY)): the bytes as hcsshim stores them
        pax["MSWINDOWS.rawsd"] = base64.b64encode(bytes.fromhex(
            "0100048014000000200000000000000030000000010200000000000520000000200200000102000000000005200000002002"
            "0000020014000100000000001400ff011f00010100000000000512000000")).decode()
    info.pax_headers = pax
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def layer(index, size, base):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        if base:
            add(tar, "Files", kind=tarfile.DIRTYPE, attrs=16)
            add(tar, "Files/Windows", kind=tarfile.DIRTYPE, attrs=16)
            add(tar, "Files/Windows/System32", kind=tarfile.DIRTYPE, attrs=16)
            add(tar, "Files/Windows/System32/cmd.exe", b"MZ not really cmd")
            add(tar, "Hives", kind=tarfile.DIRTYPE, attrs=16)
            add(tar, "Hives/Software_Delta", b"regf delta")
            add(tar, "UtilityVM", kind=tarfile.DIRTYPE, attrs=16)
            add(tar, "UtilityVM/Files", kind=tarfile.DIRTYPE, attrs=16)
            add(tar, "UtilityVM/Files/EFI", kind=tarfile.DIRTYPE, attrs=16)
        else:
            add(tar, "Files", kind=tarfile.DIRTYPE, attrs=16)
            add(tar, "Files/.wh.removed.txt", b"", sd=False)
            add(tar, "Hives", kind=tarfile.DIRTYPE, attrs=16)
        name = "Files/data-%d.bin" % index
        add(tar, name, os.urandom(size))
        add(tar, name + ":Zone.Identifier", b"[ZoneTransfer]\r\nZoneId=3\r\n", sd=False)
    return buf.getvalue()


def make_image(out, os_version, nlayers, size, gz, foreign=None):
    gz = gz or foreign is not None
    os.makedirs(os.path.join(out, "blobs"), exist_ok=True)
    diffs, descs = [], []
    for i in range(nlayers):
        tar = layer(i, size, i == 0)
        diffs.append(sha(tar))
        blob = gzip.compress(tar, compresslevel=1) if gz else tar
        hexd = hashlib.sha256(blob).hexdigest()
        mt = "application/vnd.docker.image.rootfs.diff.tar.gzip" if gz else "application/vnd.oci.image.layer.v1.tar"
        desc = {"mediaType": mt, "size": len(blob), "digest": sha(blob)}
        where = "blobs"
        if foreign is not None and i == 0:
            where = "foreign"
            os.makedirs(os.path.join(out, where), exist_ok=True)
            desc["mediaType"] = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
            desc["urls"] = ["%s/%s" % (foreign, hexd)]
        open(os.path.join(out, where, hexd), "wb").write(blob)
        descs.append(desc)
    config = {"architecture": "amd64", "os": "windows", "os.version": os_version, "created": "2026-11-01T10:00:00Z",
              "config": {"Cmd": ["cmd", "/c", "echo from-the-pulled-image"], "User": "ContainerUser"},
              "rootfs": {"type": "layers", "diff_ids": diffs},
              "history": [{"created": "2026-11-01T10:00:00Z", "created_by": "layer %d" % i} for i in range(nlayers)]}
    cfg = json.dumps(config, separators=(",", ":")).encode()
    open(os.path.join(out, "blobs", hashlib.sha256(cfg).hexdigest()), "wb").write(cfg)
    mt = "application/vnd.docker.distribution.manifest.v2+json" if gz else "application/vnd.oci.image.manifest.v1+json"
    cmt = "application/vnd.docker.container.image.v1+json" if gz else "application/vnd.oci.image.config.v1+json"
    manifest = {"schemaVersion": 2, "mediaType": mt, "config": {"mediaType": cmt, "size": len(cfg), "digest": sha(cfg)},
                "layers": descs}
    data = json.dumps(manifest, separators=(",", ":")).encode()
    open(os.path.join(out, "manifest.json"), "wb").write(data)
    print(sha(data))


def make_index(out, entries):
    manifests = []
    for entry in entries:
        plat, d = entry.split("=", 1)
        parts = plat.split("/")
        data = open(os.path.join(d, "manifest.json"), "rb").read()
        p = {"os": parts[0], "architecture": parts[1]}
        if len(parts) > 2:
            p["os.version"] = parts[2]
        manifests.append({"mediaType": json.loads(data)["mediaType"], "size": len(data), "digest": sha(data), "platform": p})
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}
    data = json.dumps(index, separators=(",", ":")).encode()
    os.makedirs(out, exist_ok=True)
    open(os.path.join(out, "index.json"), "wb").write(data)
    print(sha(data))


def request(method, url, data=None, headers=None, auth=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.status, dict(r.headers), r.read()


def push(registry, repo, tag, d, auth=None):
    base = "http://%s/v2/%s" % (registry, repo)
    index = os.path.join(d, "index.json")
    if os.path.exists(index):
        data = open(index, "rb").read()
        request("PUT", "%s/manifests/%s" % (base, tag), data, {"Content-Type": json.loads(data)["mediaType"]}, auth)
        return
    for name in sorted(os.listdir(os.path.join(d, "blobs"))):
        blob = open(os.path.join(d, "blobs", name), "rb").read()
        digest = "sha256:" + name
        try:
            request("HEAD", "%s/blobs/%s" % (base, digest), auth=auth)
            continue
        except urllib.error.HTTPError:
            pass
        _, headers, _ = request("POST", "%s/blobs/uploads/" % base, b"", auth=auth)
        loc = headers["Location"]
        if loc.startswith("/"):
            loc = "http://%s%s" % (registry, loc)
        sep = "&" if "?" in loc else "?"
        request("PUT", "%s%sdigest=%s" % (loc, sep, urllib.parse.quote(digest)), blob,
                {"Content-Type": "application/octet-stream"}, auth)
    data = open(os.path.join(d, "manifest.json"), "rb").read()
    mt = json.loads(data)["mediaType"]
    for ref in (tag, sha(data)):
        request("PUT", "%s/manifests/%s" % (base, ref), data, {"Content-Type": mt}, auth)


# --- the token server ------------------------------------------------------------------------------------------

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def keys(d):
    os.makedirs(d, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", os.path.join(d, "key.pem"),
                    "-out", os.path.join(d, "cert.pem"), "-days", "2", "-subj", "/CN=wctr-test-token"],
                   check=True, capture_output=True)


def key_id(d):
    der = subprocess.run(["openssl", "pkey", "-in", os.path.join(d, "key.pem"), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    digest = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode()
    return ":".join(digest[i:i + 4] for i in range(0, 48, 4))


def token_server(port, d, service, userpass):
    kid = key_id(d)

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            scope = q.get("scope", [""])[0]
            auth = self.headers.get("Authorization", "")
            user = ""
            if auth.startswith("Basic "):
                if base64.b64decode(auth[6:]).decode() != userpass:
                    self.send_response(401)
                    self.end_headers()
                    self.wfile.write(b'{"details":"incorrect username or password"}')
                    return
                user = userpass.split(":")[0]
            access = []
            if scope.startswith("repository:"):
                _, name, actions = scope.split(":", 2)
                if user or name.startswith("public/"):
                    access.append({"type": "repository", "name": name, "actions": actions.split(",")})
            now = int(time.time())
            header = {"typ": "JWT", "alg": "RS256", "kid": kid}
            claims = {"iss": "wctr-test-token", "sub": user, "aud": service, "exp": now + 300, "nbf": now - 10,
                      "iat": now, "jti": os.urandom(8).hex(), "access": access}
            signing = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
            sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", os.path.join(d, "key.pem")], input=signing,
                                 check=True, capture_output=True).stdout
            body = json.dumps({"token": signing.decode() + "." + b64url(sig), "expires_in": 300}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    serve(port, H)


def serve(port, handler):
    class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True
    S(("127.0.0.1", port), handler).serve_forever()


# --- proxies ---------------------------------------------------------------------------------------------------

def proxy(port, upstream, cut_hex=None, rate=None):
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def handle_one(self, method):
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            req = urllib.request.Request("http://%s%s" % (upstream, self.path), method=method, headers=headers)
            try:
                r = urllib.request.urlopen(req, timeout=120)
                status, rh, body = r.status, r.headers, r.read()
            except urllib.error.HTTPError as err:
                status, rh, body = err.code, err.headers, err.read()
            self.send_response(status)
            for k, v in rh.items():
                if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if method == "HEAD":
                return
            if cut_hex and cut_hex in self.path and status == 200:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            if rate:
                step = max(1, rate // 20)
                for i in range(0, len(body), step):
                    self.wfile.write(body[i:i + step])
                    time.sleep(0.05)
                return
            self.wfile.write(body)

        def do_GET(self):
            self.handle_one("GET")

        def do_HEAD(self):
            self.handle_one("HEAD")

    serve(port, H)


def main():
    cmd = sys.argv[1]
    a = sys.argv[2:]
    if cmd == "make-image":
        foreign = a[a.index("--foreign") + 1] if "--foreign" in a else None
        make_image(a[0], a[1], int(a[2]), int(a[3]), "--gzip" in a, foreign)
    elif cmd == "make-index":
        make_index(a[0], a[1:])
    elif cmd == "push":
        push(a[0], a[1], a[2], a[3], a[4] if len(a) > 4 else None)
    elif cmd == "keys":
        keys(a[0])
    elif cmd == "token-server":
        token_server(int(a[0]), a[1], a[2], a[3])
    elif cmd == "cut-proxy":
        proxy(int(a[0]), a[1], cut_hex=a[2])
    elif cmd == "slow-proxy":
        proxy(int(a[0]), a[1], rate=int(a[2]))
    elif cmd == "serve-dir":
        import functools
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=a[1])
        serve(int(a[0]), handler)
    elif cmd == "free-port":
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])
        s.close()
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
