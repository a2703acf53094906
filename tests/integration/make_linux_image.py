#!/usr/bin/env python3
# Writes a minimal single-layer Linux OCI image archive (oci-layout,
# index.json, manifest, config, gzip layer holding hello.txt) for
# `ctr images import` tests. Prints the layer's diffID (= its chainID).
# usage: make_linux_image.py OUT.tar NAME
import gzip, hashlib, io, json, sys, tarfile

out, name = sys.argv[1], sys.argv[2]

def tar_bytes(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for path, data in files:
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 1700000000
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()

layer = tar_bytes([("hello.txt", b"hello from winsnap\n")])
diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
layer_gz = gzip.compress(layer, mtime=0)
config = json.dumps({
    "architecture": "amd64", "os": "linux",
    "config": {"Cmd": ["/bin/sh"]},
    "rootfs": {"type": "layers", "diff_ids": [diff_id]},
}).encode()
def desc(media, data):
    return {"mediaType": media, "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
            "size": len(data)}
manifest = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": desc("application/vnd.oci.image.config.v1+json", config),
    "layers": [desc("application/vnd.oci.image.layer.v1.tar+gzip", layer_gz)],
}).encode()
mdesc = desc("application/vnd.oci.image.manifest.v1+json", manifest)
mdesc["annotations"] = {"org.opencontainers.image.ref.name": name.split(":")[-1],
                        "io.containerd.image.name": name}
mdesc["platform"] = {"architecture": "amd64", "os": "linux"}
index = json.dumps({"schemaVersion": 2, "manifests": [mdesc]}).encode()
with tarfile.open(out, "w") as t:
    def add(path, data):
        info = tarfile.TarInfo(path)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    add("index.json", index)
    for data in (config, layer_gz, manifest):
        add("blobs/sha256/" + hashlib.sha256(data).hexdigest(), data)
print(diff_id)
