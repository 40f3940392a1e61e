"""Checks of wctrd's Docker Engine API from Linux over loopback TCP, for tests/e2e/engine_api.sh.

  engine_api_probe.py refusals PORT TOKEN     no token, a wrong token, garbage, a 10 MiB header, slow-loris
                                              clients and 300 idle connections: refused or harmless, and
                                              other clients are served all along
  engine_api_probe.py dockerpy PORT SLEEPER   a container's lifecycle through docker-py (Debian's
                                              python3-docker; the token comes from DOCKER_CONFIG's HttpHeaders)

Prints one line per check ("ok   ..." or "FAIL ..."); exits 1 when a check failed.
"""
import json
import socket
import sys
import threading
import time

failed = 0


def check(ok, what, detail=""):
    global failed
    if ok:
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what + (" - " + str(detail) if detail else ""))
    sys.stdout.flush()


def request(port, path, token=None, method="GET", timeout=10.0):
    """One request on a fresh connection: (status, body)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    head = "%s %s HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n" % (method, path)
    if token is not None:
        head += "Authorization: Bearer %s\r\n" % token
    s.sendall((head + "\r\n").encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.") else 0
    return status, body


class Served:
    """A client that keeps asking /_ping with the token while something else goes on; records the slowest."""

    def __init__(self, port, token):
        self.port, self.token = port, token
        self.errors, self.count, self.slowest = [], 0, 0.0
        self.stop = False
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        while not self.stop:
            t0 = time.monotonic()
            try:
                status, body = request(self.port, "/_ping", self.token, timeout=5)
                if status != 200 or body != b"OK":
                    self.errors.append("status %d" % status)
            except OSError as e:
                self.errors.append(repr(e))
            self.slowest = max(self.slowest, time.monotonic() - t0)
            self.count += 1
            time.sleep(0.05)

    def finish(self):
        self.stop = True
        self.thread.join()
        return self


def refusals(port, token):
    status, body = request(port, "/v1.41/containers/json")
    check(status == 401, "no token: 401", status)
    check(b"Bearer" in body and b'"message"' in body, "with Docker's {\"message\"} saying what is needed", body[:200])
    status, body = request(port, "/v1.41/containers/json", "not-the-token")
    check(status == 401, "a wrong token: 401", status)
    check(token.encode() not in body, "the token is never echoed")
    status, body = request(port, "/v1.41/containers/json", token)
    check(status == 200, "the token: 200", status)

    # Garbage: 400, and the next client is served.
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 this is not HTTP\r\n\r\n")
    data = s.recv(4096)
    s.close()
    check(data.startswith(b"HTTP/1.1 400 "), "garbage gets 400", data[:60])
    check(request(port, "/_ping", token)[0] == 200, "and the service answers the next client")

    # A 10 MiB header: refused with 431 (or cut), while another client is served throughout.
    served = Served(port, token)
    big = socket.create_connection(("127.0.0.1", port), timeout=20)
    answer = b""
    try:
        big.sendall(b"GET /_ping HTTP/1.1\r\nX-Big: ")
        chunk = b"a" * 65536
        for _ in range(160):
            big.sendall(chunk)
        answer = big.recv(4096)
    except OSError as e:
        answer = repr(e).encode()
    big.close()
    served.finish()
    check(b"431" in answer or b"Connection" in answer or b"reset" in answer.lower(),
          "a 10 MiB header is refused (431) or cut", answer[:80])
    check(not served.errors and served.count > 0, "another client was served during it", served.errors[:3])

    # Slow-loris clients: a byte every 100 ms, never a whole request; others are served at once.
    loris = []
    for _ in range(8):
        c = socket.create_connection(("127.0.0.1", port), timeout=10)
        c.sendall(b"GET /_ping HTTP/1.1\r\n")
        loris.append(c)
    served = Served(port, token)
    for _ in range(30):
        for c in loris:
            try:
                c.sendall(b"X")
            except OSError:
                pass
        time.sleep(0.1)
    served.finish()
    for c in loris:
        c.close()
    check(not served.errors and served.count >= 10, "slow-loris clients do not stall others (%d requests)" % served.count,
          served.errors[:3])
    check(served.slowest < 2.0, "the slowest answer meanwhile took %.0f ms" % (served.slowest * 1000), served.slowest)

    # 300 idle connections: the next client is still served, quickly.
    idle = []
    try:
        for _ in range(300):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        opened = len(idle)
    except OSError as e:
        opened = len(idle)
        check(False, "opening 300 connections", repr(e))
    # The burst itself is accepted in about a second and a half under Wine (each accept is a wineserver call):
    # the request right behind it waits that long, once. What the 300 must not do is stall anyone afterwards.
    t0 = time.monotonic()
    status, _ = request(port, "/_ping", token, timeout=20)
    burst = time.monotonic() - t0
    check(status == 200, "a request right behind the burst of 300 is served (after %.0f ms)" % (burst * 1000), status)
    served = Served(port, token)
    time.sleep(2)
    served.finish()
    for c in idle:
        c.close()
    check(opened == 300, "300 idle connections opened")
    check(not served.errors and served.count >= 10, "300 idle connections held open do not stall others (%d requests)" %
          served.count, served.errors[:3])
    check(served.slowest < 1.0, "the slowest answer meanwhile took %.0f ms" % (served.slowest * 1000), served.slowest)


def dockerpy(port, sleeper):
    import docker

    client = docker.DockerClient(base_url="tcp://127.0.0.1:%d" % port, version="auto")
    v = client.version()
    check(v.get("ApiVersion") == "1.41" and v.get("Os") == "windows", "docker-py: version negotiated", v.get("ApiVersion"))
    out = client.containers.run("host", [sleeper, "0"], isolation="job", remove=True)
    check(out.replace(b"\r", b"") == b"sleeping\nwoke\n", "docker-py: run returns the output", out)
    try:
        client.containers.run("host", [sleeper, "0", "--exit", "3"], isolation="job", remove=True)
        check(False, "docker-py: a failing command raises ContainerError")
    except docker.errors.ContainerError as e:
        check(e.exit_status == 3, "docker-py: a failing command raises ContainerError with its exit code", e.exit_status)
    c = client.containers.run("host", [sleeper, "60"], isolation="job", detach=True, name="pylife",
                              labels={"suite": "dockerpy"}, environment={"GREETING": "hi"}, mem_limit="200m")
    c.reload()
    check(c.status == "running", "docker-py: detached run is running", c.status)
    check(c.attrs["HostConfig"]["Memory"] == 200 * 1024 * 1024, "docker-py: mem_limit applied", c.attrs["HostConfig"]["Memory"])
    check("GREETING=hi" in c.attrs["Config"]["Env"], "docker-py: environment applied")
    res = c.exec_run(["cmd", "/c", "echo [%GREETING%] & cd"], environment={"GREETING": "ex"}, workdir="C:\\windows")
    text = res.output.replace(b"\r", b"")
    check(res.exit_code == 0 and b"[ex]" in text and b"C:\\windows" in text,
          "docker-py: exec_run with environment and workdir", (res.exit_code, text[:80]))
    res = c.exec_run(["cmd", "/c", "exit 4"])
    check(res.exit_code == 4, "docker-py: exec_run's exit code", res.exit_code)
    res = c.exec_run(["cmd", "/c", "echo out & echo err 1>&2"], demux=True)
    check(res.output[0] is not None and b"out" in res.output[0] and res.output[1] is not None and b"err" in res.output[1],
          "docker-py: exec_run(demux=True) keeps stdout and stderr apart", res.output)
    names = [x.name for x in client.containers.list(filters={"label": "suite=dockerpy"})]
    check(names == ["pylife"], "docker-py: list with a label filter", names)
    stats = c.stats(stream=False)
    check("cpu_stats" in stats and stats.get("num_procs", 0) >= 1, "docker-py: stats", list(stats)[:5])
    c.update(mem_limit="300m")
    c.reload()
    check(c.attrs["HostConfig"]["Memory"] == 300 * 1024 * 1024, "docker-py: update", c.attrs["HostConfig"]["Memory"])
    c.rename("pylife2")
    c.reload()
    check(c.name == "pylife2", "docker-py: rename", c.name)
    c.restart(timeout=1)
    c.reload()
    check(c.status == "running", "docker-py: restart", c.status)
    logs = c.logs()
    check(b"sleeping" in logs, "docker-py: logs", logs[:40])
    events = []

    def watch():
        for ev in client.events(decode=True, filters={"container": "pylife2"}):
            events.append(ev.get("status"))
            if ev.get("status") == "die":
                break

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    time.sleep(0.5)
    c.stop(timeout=1)
    t.join(10)
    check("die" in events, "docker-py: events stream the die", events)
    res = c.wait()
    check("StatusCode" in res, "docker-py: wait", res)
    c.start()
    c.kill()
    c.reload()
    check(c.status == "exited", "docker-py: kill", c.status)
    pruned = client.containers.prune(filters={"label": "suite=dockerpy"})
    check(c.id in (pruned.get("ContainersDeleted") or []), "docker-py: prune", pruned)
    try:
        client.containers.get("pylife2")
        check(False, "docker-py: pruned container is gone")
    except docker.errors.NotFound:
        check(True, "docker-py: pruned container is gone (NotFound)")
    try:
        client.containers.run("host", ["x"], isolation="job", privileged=True)
        check(False, "docker-py: privileged is refused")
    except docker.errors.APIError as e:
        check(e.status_code == 400 and "HostConfig.Privileged" in str(e), "docker-py: privileged is refused naming the field", e)
    # Events filtered by label, carrying the container's image and labels (dockerd's attributes).
    evs = []

    def watch_labelled():
        for ev in client.events(decode=True, filters={"label": "suite=dockerpy-ev"}):
            evs.append(ev)
            if ev.get("status") == "destroy":
                break

    t = threading.Thread(target=watch_labelled, daemon=True)
    t.start()
    time.sleep(0.5)
    client.containers.run("host", [sleeper, "0"], isolation="job", remove=True, labels={"suite": "dockerpy-ev"})
    client.containers.run("host", [sleeper, "0"], isolation="job", remove=True)
    t.join(15)
    statuses = [e.get("status") for e in evs]
    check(statuses[:2] == ["create", "start"] and statuses[-1:] == ["destroy"],
          "docker-py: events with a label filter, in order", statuses)
    check(evs and all(e["Actor"]["Attributes"].get("suite") == "dockerpy-ev" and e["Actor"]["Attributes"].get("image") == "host"
                      and e.get("from") == "host" for e in evs), "docker-py: events carry the image and the labels",
          evs[:1])
    names = [n.name for n in client.networks.list()]
    check("nat" in names and "none" in names, "docker-py: networks.list has nat and none", names)
    dockerpy_volumes(client, sleeper)
    tags = [t for i in client.images.list() for t in i.tags]
    check("testimg:latest" in tags, "docker-py: images", tags)


def dockerpy_volumes(client, sleeper):
    """client.volumes (/volumes), a volume mounted by a process container (the HCS double), and top."""
    import docker

    v = client.volumes.create("pyvol", labels={"suite": "dockerpy"})
    check(v.name == "pyvol" and v.attrs["Driver"] == "local" and v.attrs["Scope"] == "local",
          "docker-py: volumes.create", v.attrs)
    got = client.volumes.get("pyvol")
    check(got.attrs["Labels"] == {"suite": "dockerpy"} and got.attrs["Mountpoint"].endswith("\\pyvol\\_data"),
          "docker-py: volumes.get (labels, Mountpoint)", got.attrs)
    names = [x.name for x in client.volumes.list(filters={"label": "suite=dockerpy"})]
    check(names == ["pyvol"], "docker-py: volumes.list with a label filter", names)
    c = client.containers.run("testimg", [sleeper, "60"], detach=True, name="pyvolc", volumes={"pyvol": {"bind": "C:\\data", "mode": "rw"}})
    c.reload()
    mounts = c.attrs.get("Mounts") or []
    check(any(m.get("Type") == "volume" and m.get("Name") == "pyvol" and m.get("Destination") == "C:\\data" for m in mounts),
          "docker-py: a container with the volume shows it in Mounts", mounts)
    top = c.top()
    check(top.get("Titles") == ["Name", "PID", "CPU", "Private Working Set"], "docker-py: top's titles", top.get("Titles"))
    try:
        got.remove()
        check(False, "docker-py: removing a volume in use raises")
    except docker.errors.APIError as e:
        check(e.status_code == 409 and "volume is in use" in str(e), "docker-py: removing a volume in use: 409", str(e)[:200])
    c.remove(force=True)
    pruned = client.volumes.prune(filters={"label": "suite=dockerpy"})
    check(pruned.get("VolumesDeleted") == ["pyvol"], "docker-py: volumes.prune (API 1.41: every unused volume)", pruned)
    try:
        client.volumes.get("pyvol")
        check(False, "docker-py: a pruned volume is gone")
    except docker.errors.NotFound:
        check(True, "docker-py: a pruned volume is gone (404)")


def dockerpy_images(port, registry):
    """client.images against the registry the script started (REGISTRY/app:v1 is there, and pulled already)."""
    import docker

    client = docker.DockerClient(base_url="tcp://127.0.0.1:%d" % port, version="auto")
    name = registry + "/app"
    img = client.images.pull(name, tag="v1")
    check(img.id.startswith("sha256:") and (name + ":v1") in img.tags, "docker-py: images.pull returns the image", img.tags)
    got = client.images.get(name + ":v1")
    check(got.id == img.id and got.attrs["Os"] == "windows", "docker-py: images.get", got.attrs.get("Os"))
    by_id = client.images.get(img.id[7:19])
    check(by_id.id == img.id, "docker-py: images.get by a short id", by_id.id)
    listed = client.images.list(name=name)
    check([i.id for i in listed] == [img.id], "docker-py: images.list(name=...)", [i.tags for i in listed])
    check(any("testimg:latest" in i.tags for i in client.images.list()), "docker-py: images.list has the catalog's image")
    rows = got.history()
    check(len(rows) >= 1 and isinstance(rows[0].get("Created"), int), "docker-py: history", rows[:1])
    try:
        client.images.pull(registry + "/nothere", tag="1")
        check(False, "docker-py: pulling what the registry lacks raises")
    except docker.errors.APIError as e:
        check("nothere" in str(e), "docker-py: pulling what the registry lacks raises APIError naming it", str(e)[:200])


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    port = int(sys.argv[2])
    if sys.argv[1] == "refusals":
        refusals(port, sys.argv[3])
    elif sys.argv[1] == "dockerpy":
        dockerpy(port, sys.argv[3])
        dockerpy_images(port, sys.argv[4])
    else:
        print(__doc__)
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
