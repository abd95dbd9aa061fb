// The engines' test image, built here from the host's static busybox: nothing is pulled.
// One rootfs tarball serves podman (`podman import`) and, wrapped into an OCI image
// archive written by hand, containerd (`ctr images import`).

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, chmodSync, chownSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeRootfs } from "../helpers/rootfs.js";

/** The unprivileged user of the image, with a home directory (exec HOME from passwd). */
export const IMAGE_USER = { name: "tester", uid: 1000, gid: 1000, home: "/home/tester" } as const;

/** A file the image has in /var/tmp, which podman --read-only covers with a tmpcopyup tmpfs. */
export const IMAGE_MARKER = { path: "/var/tmp/image-marker", content: "from the image\n" } as const;

/** Directory holding the image's contents: busybox, passwd with root, nobody and IMAGE_USER. */
export function buildImageRootfs(dir: string): string {
  makeRootfs(dir);
  const { name, uid, gid, home } = IMAGE_USER;
  appendFileSync(join(dir, "etc/passwd"), `${name}:x:${uid}:${gid}:${name}:${home}:/bin/sh\n`);
  appendFileSync(join(dir, "etc/group"), `${name}:x:${gid}:\n`);
  mkdirSync(join(dir, home), { recursive: true });
  chownSync(join(dir, home), uid, gid);
  mkdirSync(join(dir, "var/tmp"), { recursive: true });
  chmodSync(join(dir, "var/tmp"), 0o1777);
  writeFileSync(join(dir, IMAGE_MARKER.path), IMAGE_MARKER.content);
  return dir;
}

/** A tarball of `rootfs` (owners as numbers, as an image layer carries them). */
export function tarRootfs(rootfs: string, out: string): string {
  execFileSync("tar", ["-C", rootfs, "--numeric-owner", "-cf", out, "."]);
  return out;
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * An OCI image archive (an image layout in a tar) holding one image named `name`, whose only
 * layer is the uncompressed tarball `layerTar`. containerd names the image after the
 * `io.containerd.image.name` annotation.
 */
export function ociArchive(layerTar: string, name: string, workDir: string, out: string): string {
  const layout = join(workDir, "oci-layout");
  const blobs = join(layout, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  const blob = (data: Buffer): { digest: string; size: number } => {
    const hex = sha256(data);
    writeFileSync(join(blobs, hex), data);
    return { digest: `sha256:${hex}`, size: data.length };
  };
  const layerData = readFileSync(layerTar);
  const layerHex = sha256(layerData);
  renameSync(layerTar, join(blobs, layerHex));
  const layer = { digest: `sha256:${layerHex}`, size: layerData.length };
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"] },
        rootfs: { type: "layers", diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
      }),
    ),
  );
  writeFileSync(
    join(layout, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          ...manifest,
          annotations: { "io.containerd.image.name": name, "org.opencontainers.image.ref.name": name.split(":").pop() },
        },
      ],
    }),
  );
  writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  execFileSync("tar", ["-C", layout, "-cf", out, "."]);
  return out;
}
