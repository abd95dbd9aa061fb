// Mount option table with runc's semantics: flag options set or clear mount(2) flags,
// propagation options become a list applied after the mount, recursive attributes and
// a few extensions are recognised but not supported yet, and anything else is
// filesystem data passed to mount(2) as a comma-separated string.
import { BerthError } from "../errors.js";

export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_SYNCHRONOUS = 0x10;
export const MS_REMOUNT = 0x20;
export const MS_MANDLOCK = 0x40;
export const MS_DIRSYNC = 0x80;
export const MS_NOSYMFOLLOW = 0x100;
export const MS_NOATIME = 0x400;
export const MS_NODIRATIME = 0x800;
export const MS_BIND = 0x1000;
export const MS_MOVE = 0x2000;
export const MS_REC = 0x4000;
export const MS_SILENT = 0x8000;
export const MS_POSIXACL = 0x10000;
export const MS_UNBINDABLE = 0x20000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_SHARED = 0x100000;
export const MS_RELATIME = 0x200000;
export const MS_I_VERSION = 0x800000;
export const MS_STRICTATIME = 0x1000000;
export const MS_LAZYTIME = 0x2000000;

/** A flag option: `clear` false sets `flag`, true clears it ("rw" clears MS_RDONLY). */
export interface FlagOption { clear: boolean; flag: number }

export const FLAG_OPTIONS: Readonly<Record<string, FlagOption>> = Object.freeze({
  acl: { clear: false, flag: MS_POSIXACL },
  async: { clear: true, flag: MS_SYNCHRONOUS },
  atime: { clear: true, flag: MS_NOATIME },
  bind: { clear: false, flag: MS_BIND },
  defaults: { clear: false, flag: 0 },
  dev: { clear: true, flag: MS_NODEV },
  diratime: { clear: true, flag: MS_NODIRATIME },
  dirsync: { clear: false, flag: MS_DIRSYNC },
  exec: { clear: true, flag: MS_NOEXEC },
  iversion: { clear: false, flag: MS_I_VERSION },
  lazytime: { clear: false, flag: MS_LAZYTIME },
  loud: { clear: true, flag: MS_SILENT },
  mand: { clear: false, flag: MS_MANDLOCK },
  noacl: { clear: true, flag: MS_POSIXACL },
  noatime: { clear: false, flag: MS_NOATIME },
  nodev: { clear: false, flag: MS_NODEV },
  nodiratime: { clear: false, flag: MS_NODIRATIME },
  noexec: { clear: false, flag: MS_NOEXEC },
  noiversion: { clear: true, flag: MS_I_VERSION },
  nolazytime: { clear: true, flag: MS_LAZYTIME },
  nomand: { clear: true, flag: MS_MANDLOCK },
  norelatime: { clear: true, flag: MS_RELATIME },
  nostrictatime: { clear: true, flag: MS_STRICTATIME },
  nosuid: { clear: false, flag: MS_NOSUID },
  nosymfollow: { clear: false, flag: MS_NOSYMFOLLOW },
  rbind: { clear: false, flag: MS_BIND | MS_REC },
  relatime: { clear: false, flag: MS_RELATIME },
  remount: { clear: false, flag: MS_REMOUNT },
  ro: { clear: false, flag: MS_RDONLY },
  rw: { clear: true, flag: MS_RDONLY },
  silent: { clear: false, flag: MS_SILENT },
  strictatime: { clear: false, flag: MS_STRICTATIME },
  suid: { clear: true, flag: MS_NOSUID },
  symfollow: { clear: true, flag: MS_NOSYMFOLLOW },
  sync: { clear: false, flag: MS_SYNCHRONOUS },
});

/** Propagation options → flags for a separate mount("", dest, "", flags) call. */
export const PROPAGATION_OPTIONS: Readonly<Record<string, number>> = Object.freeze({
  private: MS_PRIVATE,
  rprivate: MS_PRIVATE | MS_REC,
  shared: MS_SHARED,
  rshared: MS_SHARED | MS_REC,
  slave: MS_SLAVE,
  rslave: MS_SLAVE | MS_REC,
  unbindable: MS_UNBINDABLE,
  runbindable: MS_UNBINDABLE | MS_REC,
});

/**
 * Recursive mount attributes (mount_setattr(2) with AT_RECURSIVE). Recognised so that a
 * config using them gets a clear error instead of having them passed on as fs data.
 */
export const RECURSIVE_OPTIONS: readonly string[] = Object.freeze([
  "rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec",
  "rnodiratime", "rdiratime", "rrelatime", "rnorelatime", "rnoatime", "ratime",
  "rstrictatime", "rnostrictatime", "rnosymfollow", "rsymfollow",
]);

/** Options with a runtime-defined meaning that berth does not implement. */
export const UNSUPPORTED_EXTENSIONS: readonly string[] = Object.freeze(["idmap", "ridmap"]);

/** runc's extension: a tmpfs starts with a copy of what its destination held (podman --read-only). */
export const COPYUP_OPTION = "tmpcopyup";

export type MountOptionKind = "flag" | "propagation" | "recursive" | "copyup" | "extension" | "data";

export function mountOptionKind(option: string): MountOptionKind {
  if (Object.hasOwn(FLAG_OPTIONS, option)) return "flag";
  if (Object.hasOwn(PROPAGATION_OPTIONS, option)) return "propagation";
  if (RECURSIVE_OPTIONS.includes(option)) return "recursive";
  if (option === COPYUP_OPTION) return "copyup";
  if (UNSUPPORTED_EXTENSIONS.includes(option)) return "extension";
  return "data";
}

/** True for an option berth recognises by name (flag, propagation, recursive or extension). */
export function isMountOptionKnown(option: string): boolean {
  return mountOptionKind(option) !== "data";
}

/** True for an option berth recognises and applies (what `berth features` lists). */
export function isMountOptionSupported(option: string): boolean {
  const kind = mountOptionKind(option);
  return kind === "flag" || kind === "propagation" || kind === "copyup";
}

/** Sorted names of the options the plan builder applies (flags, propagation, tmpcopyup). */
export function supportedMountOptions(): string[] {
  return [...Object.keys(FLAG_OPTIONS), ...Object.keys(PROPAGATION_OPTIONS), COPYUP_OPTION].sort();
}

export interface ParsedMountOptions {
  /** mount(2) flags, without propagation. */
  flags: number;
  /** Propagation flags in config order. */
  propagation: number[];
  /** Filesystem data options joined with ",". */
  data: string;
  /** tmpcopyup was given. */
  copyUp: boolean;
}

/**
 * Parse a mount's options in order (later options win, as in runc). `path` is the JSON
 * path of the options array (`mounts[3].options`); unsupported options throw there.
 */
export function parseMountOptions(options: readonly string[] | undefined, path: string): ParsedMountOptions {
  let flags = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  let copyUp = false;
  (options ?? []).forEach((opt, i) => {
    switch (mountOptionKind(opt)) {
      case "flag": {
        const f = FLAG_OPTIONS[opt]!;
        flags = f.clear ? flags & ~f.flag : flags | f.flag;
        break;
      }
      case "propagation":
        propagation.push(PROPAGATION_OPTIONS[opt]!);
        break;
      case "recursive":
        throw new BerthError(`recursive mount option "${opt}" is not supported`, {
          op: "build plan",
          path: `${path}[${i}]`,
          hint: `use the non-recursive form "${opt.slice(1)}" (applies to the top mount only), or drop it`,
        });
      case "copyup":
        copyUp = true;
        break;
      case "extension":
        throw new BerthError(`mount option "${opt}" is not supported`, {
          op: "build plan",
          path: `${path}[${i}]`,
          hint: "idmapped mounts are not supported; drop the option and the mount's uidMappings/gidMappings",
        });
      case "data":
        data.push(opt);
        break;
    }
  });
  return { flags, propagation, data: data.join(","), copyUp };
}

/** rootfsPropagation value → flags for "/" (runc accepts these eight names). */
export const ROOTFS_PROPAGATION: Readonly<Record<string, number>> = PROPAGATION_OPTIONS;

/** Default propagation of "/" when the config sets none. */
export const DEFAULT_ROOTFS_PROPAGATION = MS_SLAVE | MS_REC;
