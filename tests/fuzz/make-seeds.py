#!/usr/bin/env python3
# make-seeds.py: writes the seed corpus of every fuzz target into tests/MiniRun.Fuzz/corpus/<target>/
# (small files: afl-fuzz mutates them; FuzzCorpusTests replays them). Deterministic (fixed mtimes,
# gzip without a timestamp), so re-running it changes nothing. Files whose names start with
# "crash-" are kept inputs that once failed; this script never touches them.
#
# Follows: POSIX.1-2017 ustar/pax formats (Python tarfile), RFC 1952, OCI image-spec v1.1,
# moby image/spec v1.2, OCI runtime-spec config.md, the Dockerfile and Compose references.
import gzip, io, json, os, subprocess, tarfile, hashlib

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "MiniRun.Fuzz", "corpus")

def put(target, name, data):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def tar(entries, fmt=tarfile.USTAR_FORMAT, end=True):
    """entries: (name, type, data/linkname, extra dict). Trailing zero padding trimmed to 1024."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=fmt) as t:
        for name, kind, payload, extra in entries:
            i = tarfile.TarInfo(name)
            i.mtime = 1700000000
            i.mode = extra.get("mode", 0o755 if kind == tarfile.DIRTYPE else 0o644)
            i.type = kind
            i.uid = extra.get("uid", 0); i.gid = extra.get("gid", 0)
            i.pax_headers = extra.get("pax", {})
            if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                i.linkname = payload
                t.addfile(i)
            elif kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
                i.devmajor, i.devminor = payload
                t.addfile(i)
            elif kind == tarfile.REGTYPE:
                i.size = len(payload)
                t.addfile(i, io.BytesIO(payload))
            else:
                t.addfile(i)
    data = b.getvalue().rstrip(b"\0")
    data += b"\0" * (-len(data) % 512)
    return data + (b"\0" * 1024 if end else b"")

R, D, S, H = tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
tars = {
    "basic.tar": tar([("etc/", D, None, {}), ("etc/hostname", R, b"fuzz\n", {}),
                      ("bin/", D, None, {}), ("bin/sh", R, b"#!x\n", {"mode": 0o4755}),
                      ("bin/ash", S, "sh", {}), ("bin/hard", H, "bin/sh", {})]),
    "pax.tar": tar([("a/very/" + "long/" * 30 + "name.txt", R, b"x", {"pax": {"SCHILY.xattr.user.k": "v", "mtime": "1700000000.5"}}),
                    ("link", S, "target/" + "t" * 120, {})], fmt=tarfile.PAX_FORMAT),
    "gnu.tar": tar([("gnu/" + "n" * 120, R, b"gnu\n", {"uid": 1 << 22}), ("gnulink", S, "l" * 120, {})], fmt=tarfile.GNU_FORMAT),
    "whiteout.tar": tar([("dir/", D, None, {}), ("dir/.wh..wh..opq", R, b"", {}), (".wh.gone", R, b"", {})]),
    "special.tar": tar([("dev/", D, None, {}), ("dev/null", tarfile.CHRTYPE, (1, 3), {}),
                        ("dev/fifo", tarfile.FIFOTYPE, None, {})]),
    "escape.tar": tar([("../outside", R, b"no\n", {}), ("up", S, "/", {}), ("up/etc/x", R, b"no\n", {}),
                       ("hl", H, "../../etc/passwd", {})]),
    "truncated.tar": tar([("f", R, b"0123456789" * 60, {})], end=False)[:900],
}
for name, data in tars.items():
    put("tar", name, data)
    put("unpack", name, data)

put("layer-stream", "plain.bin", b"\0" + tars["basic.tar"])
put("layer-stream", "gzip.bin", b"\1" + gzip.compress(tars["basic.tar"], mtime=0))
put("layer-stream", "sniffed-gzip.bin", b"\3" + gzip.compress(tars["whiteout.tar"], mtime=0))
z = subprocess.run(["zstd", "-q", "-c", "--no-check"], input=tars["basic.tar"], capture_output=True, check=True).stdout
put("layer-stream", "zstd.bin", b"\2" + z)
z = subprocess.run(["zstd", "-q", "-c"], input=tars["gnu.tar"], capture_output=True, check=True).stdout
put("layer-stream", "zstd-checksum.bin", b"\2" + z)

h = hashlib.sha256(b"x").hexdigest()
desc = lambda mt, size=2: {"mediaType": mt, "digest": "sha256:" + h, "size": size}
j = lambda o: json.dumps(o, separators=(",", ":"))
put("oci-index", "oci.json", j({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
    dict(desc("application/vnd.oci.image.manifest.v1+json"), platform={"architecture": "amd64", "os": "linux"}),
    dict(desc("application/vnd.oci.image.manifest.v1+json"), platform={"architecture": "arm", "os": "linux", "variant": "v7"},
         annotations={"io.containerd.image.name": "docker.io/library/busybox:latest"})]}))
put("oci-index", "docker-list.json", j({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
    "manifests": [dict(desc("application/vnd.docker.distribution.manifest.v2+json"), platform={"architecture": "amd64", "os": "linux"})]}))
put("oci-manifest", "oci.json", j({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": desc("application/vnd.oci.image.config.v1+json"), "layers": [desc("application/vnd.oci.image.layer.v1.tar+gzip"),
    desc("application/vnd.oci.image.layer.v1.tar+zstd")], "annotations": {"a": "b"}}))
put("oci-manifest", "docker.json", j({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": desc("application/vnd.docker.container.image.v1+json"), "layers": [desc("application/vnd.docker.image.rootfs.diff.tar.gzip")]}))
put("oci-config", "config.json", j({"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
    "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"], "Entrypoint": None, "WorkingDir": "/", "User": "1000:1000",
               "ExposedPorts": {"80/tcp": {}}, "Volumes": {"/data": {}}, "Labels": {"a": "b"}, "StopSignal": "SIGTERM",
               "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1000000000, "Retries": 3}},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + h]},
    "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file", "empty_layer": False}]}))
put("oci-config", "minimal.json", j({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}))

put("docker-archive", "old.json", j([{"Config": "config.json", "RepoTags": ["busybox:latest", "x/y:1"], "Layers": ["l1/layer.tar", "hard.tar"]}]))
put("docker-archive", "missing.json", j([{"Config": "config.json", "Layers": ["l2/layer.tar"]}]))
put("docker-archive", "new.json", j([{"Config": "config.json", "RepoTags": None, "Layers": ["hard.tar", "blobs/sha256/" + h],
    "LayerSources": {"sha256:" + h: desc("application/vnd.oci.image.layer.v1.tar")}}]))
put("docker-archive", "two.json", j([{"Config": "./config.json", "Layers": []}, {"Config": "/config.json", "RepoTags": ["localhost:5000/a/b:c"], "Layers": ["l1/layer.tar"]}]))

for i, ref in enumerate(["busybox", "busybox:1.36", "docker.io/library/busybox:latest", "localhost:5000/a/b/c:tag",
                         "quay.io/org/app@sha256:" + h, "user/app:v1.2-rc@sha256:" + h, "index.docker.io/x", "[::1]:5000/x:y", "Bad/Name"]):
    put("reference", f"ref{i}.txt", ref)
for i, v in enumerate(['Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
                       'Basic realm="Registry Realm"',
                       'Bearer realm="https://r/t", scope="repository:a:pull,push repository:b:pull", error="invalid_token"\nBasic realm="x\\"y"',
                       'Negotiate abc==, Bearer realm=x']):
    put("www-authenticate", f"h{i}.txt", v)

put("container-record", "record.json", j({"Id": "0123456789ab" * 5 + "0123", "Name": "web", "Image": "busybox", "ImageId": "sha256:" + h,
    "Command": ["sh", "-c", "sleep 1"], "Created": "2026-01-01T00:00:00+00:00", "AutoRemove": False,
    "State": {"Status": "exited", "Pid": 0, "ExitCode": 3, "Error": "", "StartedAt": "2026-01-01T00:00:01+00:00",
              "FinishedAt": "2026-01-01T00:00:02+00:00", "OOMKilled": False, "Health": {"Status": "healthy", "FailingStreak": 0,
              "Log": [{"Start": "2026-01-01T00:00:01+00:00", "End": "2026-01-01T00:00:01+00:00", "ExitCode": 0, "Output": "ok"}]}},
    "Config": {"Hostname": "web", "User": "", "Tty": False, "OpenStdin": False, "Env": ["A=B"], "Cmd": ["sh"], "Entrypoint": None,
               "WorkingDir": "/", "StopSignal": "SIGTERM", "StopTimeout": 10, "Labels": {"l": "v"},
               "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1000000000, "Timeout": 0, "StartPeriod": 0, "Retries": 3}},
    "HostConfig": {"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 2}, "AutoRemove": False, "Init": True,
                   "CapAdd": ["NET_ADMIN"], "CapDrop": [], "SecurityOpt": ["no-new-privileges"],
                   "Resources": {"Memory": 1048576, "Cpus": 0.5, "PidsLimit": 10, "DeviceReadBps": [{"Path": "/dev/sda", "Rate": 1}]}},
    "RestartCount": 1, "LogPath": "/x/container.log"}))
put("container-record", "empty-object.json", "{}")

import tempfile
with tempfile.TemporaryDirectory() as d:
    subprocess.run(["runc", "spec"], cwd=d, check=True)
    put("runtime-spec", "runc-spec.json", j(json.load(open(os.path.join(d, "config.json")))))
put("runtime-spec", "minimal.json", j({"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 0, "gid": 0}},
    "root": {"path": "rootfs"}, "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}],
    "resources": {"memory": {"limit": 1048576}, "pids": {"limit": 5}}}, "hooks": {"prestart": [{"path": "/bin/true"}]}}))

put("dockerfile", "basic", "FROM busybox AS base\nARG V=1\nENV A=b C=\"d e\"\nRUN echo $A \\\n && true\nCOPY --chown=1:1 a b /dst/\n"
    "WORKDIR /w\nUSER 1000\nEXPOSE 80/tcp\nHEALTHCHECK --interval=5s CMD true\nCMD [\"sh\"]\n")
put("dockerfile", "heredoc", "# syntax=docker/dockerfile:1\n# escape=`\nFROM scratch\nRUN <<EOF\necho hi\nEOF\nLABEL a=b `\n  c=d\n"
    "ONBUILD RUN true\nSHELL [\"/bin/sh\", \"-c\"]\nSTOPSIGNAL SIGKILL\nVOLUME [\"/v\"]\nENTRYPOINT exec x\n")
put("dockerfile", "stages", "FROM busybox AS a\nFROM a\nCOPY --from=a /x /y\nADD --checksum=sha256:" + h + " http://e/x /z\n")

put("compose", "basic.yaml", "name: demo\nservices:\n  web:\n    image: busybox\n    command: [\"sh\", \"-c\", \"sleep 1\"]\n"
    "    ports: [\"8080:80\"]\n    environment:\n      A: b\n    depends_on: [db]\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n"
    "      interval: 5s\n  db:\n    image: busybox:${TAG:-latest}\n    volumes: [\"data:/data\"]\n    networks: [back]\nvolumes:\n  data: {}\nnetworks:\n  back: {}\n")
put("compose", "anchors.yaml", "x-common: &common\n  image: busybox\n  restart: on-failure:3\nservices:\n  a:\n    <<: *common\n    profiles: [p]\n"
    "  b:\n    <<: *common\n    environment: [\"K=V\"]\n    deploy:\n      resources:\n        limits: {memory: 10m, cpus: '0.5'}\n")
