// The private engines' files, shared by the benchmark (bench/engines.mjs) and the engine test
// suite (test/engines/): podman's containers.conf, storage.conf and global flags, containerd's
// config.toml, and the test image as a layer tarball and as an OCI archive.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** A hard limit of this process from /proc/self/limits ("Max open files" …), capped at `cap`. */
export function hardLimit(row, cap) {
  const line = fs
    .readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((l) => l.startsWith(row));
  const hard = line?.slice(26).trim().split(/\s+/)[1];
  return hard === undefined || hard === "unlimited" ? cap : Math.min(Number(hard), cap);
}

/**
 * A podman of its own under `dir`: vfs storage, its own run, tmp and network directories, file
 * events, the given cgroup manager. Writes containers.conf and storage.conf; returns the
 * environment and global flags to run podman with, and the nproc limit containers get.
 */
export function privatePodman(dir, cgroupManager) {
  const d = (name) => {
    const p = path.join(dir, name);
    fs.mkdirSync(p, { recursive: true });
    return p;
  };
  d(".");
  // podman as root raises a container's RLIMIT_NOFILE and RLIMIT_NPROC to its own ceiling,
  // which fails where this process's hard limits are lower and it may not raise them (no
  // CAP_SYS_RESOURCE); default to limits the runtimes can set.
  const nofile = hardLimit("Max open files", 1_048_576);
  const nproc = hardLimit("Max processes", 32_768);
  fs.writeFileSync(
    path.join(dir, "containers.conf"),
    [
      "[containers]",
      `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
      'log_driver = "k8s-file"',
      "[engine]",
      `cgroup_manager = "${cgroupManager}"`,
      'events_logger = "file"',
      "",
    ].join("\n"),
  );
  fs.writeFileSync(
    path.join(dir, "storage.conf"),
    ["[storage]", 'driver = "vfs"', `graphroot = "${d("root")}"`, `runroot = "${d("run")}"`, ""].join("\n"),
  );
  const env = {
    ...process.env,
    CONTAINERS_CONF: path.join(dir, "containers.conf"),
    CONTAINERS_STORAGE_CONF: path.join(dir, "storage.conf"),
  };
  for (const k of ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID"]) delete env[k];
  const global = [
    "--root",
    path.join(dir, "root"),
    "--runroot",
    path.join(dir, "run"),
    "--storage-driver",
    "vfs",
    "--tmpdir",
    d("tmp"),
    "--network-config-dir",
    d("net"),
    "--cgroup-manager",
    cgroupManager,
    "--events-backend",
    "file",
  ];
  return { env, global, nproc };
}

/** config.toml for a containerd of its own under `dir`, listening on `socket`, without CRI. */
export function containerdConfig(dir, socket) {
  return [
    "version = 2",
    `root = "${path.join(dir, "root")}"`,
    `state = "${path.join(dir, "state")}"`,
    // CRI would set up networking and more; only ctr drives this containerd.
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
    "[grpc]",
    `  address = "${socket}"`,
    "[ttrpc]",
    `  address = "${socket}.ttrpc"`,
    "[debug]",
    `  address = "${path.join(dir, "debug.sock")}"`,
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = "${path.join(dir, "opt")}"`,
    "",
  ].join("\n");
}

function tar(args, what) {
  const r = spawnSync("tar", args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tar of ${what} failed: ${r.error?.message ?? r.stderr}`);
}

/** A tarball of `rootfs` (owners as numbers, as an image layer carries them). */
export function tarRootfs(rootfs, out) {
  tar(["-C", rootfs, "--numeric-owner", "-cf", out, "."], rootfs);
  return out;
}

/**
 * An OCI image archive (an image layout in a tar) holding one image named `name`, whose only
 * layer is the uncompressed tarball `layerTar` (moved into the layout). containerd names the
 * image after the `io.containerd.image.name` annotation.
 */
export function ociArchive(layerTar, name, workDir, out) {
  const layout = path.join(workDir, "oci-layout");
  const blobs = path.join(layout, "blobs", "sha256");
  fs.mkdirSync(blobs, { recursive: true });
  const sha256 = (data) => createHash("sha256").update(data).digest("hex");
  const blob = (data) => {
    const hex = sha256(data);
    fs.writeFileSync(path.join(blobs, hex), data);
    return { digest: `sha256:${hex}`, size: data.length };
  };
  const layerData = fs.readFileSync(layerTar);
  const layerHex = sha256(layerData);
  fs.renameSync(layerTar, path.join(blobs, layerHex));
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
  fs.writeFileSync(
    path.join(layout, "index.json"),
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
  fs.writeFileSync(path.join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  tar(["-C", layout, "-cf", out, "."], layout);
  return out;
}
