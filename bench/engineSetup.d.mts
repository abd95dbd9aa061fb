export declare function hardLimit(row: string, cap: number): number;
/** A podman of its own under `dir`: its env, global flags, and the nproc limit containers get. */
export declare function privatePodman(
  dir: string,
  cgroupManager: "systemd" | "cgroupfs",
): { env: NodeJS.ProcessEnv; global: string[]; nproc: number };
/** config.toml for a containerd of its own under `dir`, listening on `socket`. */
export declare function containerdConfig(dir: string, socket: string): string;
/** A tarball of `rootfs` (owners as numbers). */
export declare function tarRootfs(rootfs: string, out: string): string;
/** An OCI image archive holding image `name` whose one layer is `layerTar`. */
export declare function ociArchive(layerTar: string, name: string, workDir: string, out: string): string;
