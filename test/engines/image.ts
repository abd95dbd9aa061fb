// The engines' test image, built here from the host's static busybox: nothing is pulled.
// One rootfs tarball serves podman (`podman import`) and, wrapped into an OCI image
// archive written by hand, containerd (`ctr images import`).

import { appendFileSync, chmodSync, chownSync, mkdirSync, writeFileSync } from "node:fs";
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

// The layer tarball and the OCI archive are made as the benchmark makes them.
export { ociArchive, tarRootfs } from "../../bench/engineSetup.mjs";
