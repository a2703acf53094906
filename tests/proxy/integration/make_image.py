#!/usr/bin/env python3
# Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
#
# Writes a small two-layer linux/amd64 OCI image archive (oci-layout,
# index.json, manifest, config, two gzip layers) for `ctr images import`.
#   layer 1: hello.txt ("v1"), gone.txt, dir/a.txt
#   layer 2: hello.txt ("v2"), dir/b.txt, and the whiteout .wh.gone.txt
# Deterministic (fixed mtimes, gzip mtime 0). Prints the two layers' chain
# IDs, one per line (the snapshot names containerd gives them).
# usage: make_image.py OUT.tar IMAGE-NAME
import gzip
import hashlib
import io
import json
import sys
import tarfile


def tar_bytes(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for path, data in entries:
            info = tarfile.TarInfo(path)
            info.mtime = 1700000000
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                t.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o644
                t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def desc(media, data):
    return {"mediaType": media, "digest": sha(data), "size": len(data)}


def main():
    out, name = sys.argv[1], sys.argv[2]
    l1 = tar_bytes([("hello.txt", b"v1\n"), ("gone.txt", b"bye\n"),
                    ("dir", None), ("dir/a.txt", b"a\n")])
    l2 = tar_bytes([("hello.txt", b"v2\n"), ("dir", None),
                    ("dir/b.txt", b"b\n"), (".wh.gone.txt", b"")])
    diff_ids = [sha(l1), sha(l2)]
    chain1 = diff_ids[0]
    chain2 = sha((chain1 + " " + diff_ids[1]).encode())
    blobs = [gzip.compress(l, mtime=0) for l in (l1, l2)]
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }).encode()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": desc("application/vnd.oci.image.config.v1+json", config),
        "layers": [desc("application/vnd.oci.image.layer.v1.tar+gzip", b)
                   for b in blobs],
    }).encode()
    mdesc = desc("application/vnd.oci.image.manifest.v1+json", manifest)
    mdesc["annotations"] = {"io.containerd.image.name": name,
                            "org.opencontainers.image.ref.name":
                                name.rsplit(":", 1)[-1]}
    mdesc["platform"] = {"architecture": "amd64", "os": "linux"}
    index = json.dumps({"schemaVersion": 2, "manifests": [mdesc]}).encode()
    with tarfile.open(out, "w") as t:
        def add(path, data):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mtime = 1700000000
            t.addfile(info, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", index)
        for data in [config, manifest] + blobs:
            add("blobs/sha256/" + hashlib.sha256(data).hexdigest(), data)
    print(chain1)
    print(chain2)


if __name__ == "__main__":
    main()
