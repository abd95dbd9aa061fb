// Mount option table with runc's semantics: flag options set or clear mount(2) flags,
// propagation options become a list applied after the mount, recursive options become
// mount_setattr(2) set/clear masks, idmap/ridmap mark an idmapped mount, and anything
// else is filesystem data passed to mount(2) as a comma-separated string.

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
export interface FlagOption {
  clear: boolean;
  flag: number;
}

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

// mount_setattr(2) attributes (linux/mount.h).
export const MOUNT_ATTR_RDONLY = 0x1;
export const MOUNT_ATTR_NOSUID = 0x2;
export const MOUNT_ATTR_NODEV = 0x4;
export const MOUNT_ATTR_NOEXEC = 0x8;
/** The atime mode field: one of RELATIME (0), NOATIME, STRICTATIME. */
export const MOUNT_ATTR__ATIME = 0x70;
export const MOUNT_ATTR_RELATIME = 0x0;
export const MOUNT_ATTR_NOATIME = 0x10;
export const MOUNT_ATTR_STRICTATIME = 0x20;
export const MOUNT_ATTR_NODIRATIME = 0x80;
export const MOUNT_ATTR_IDMAP = 0x100000;
export const MOUNT_ATTR_NOSYMFOLLOW = 0x200000;

/**
 * A recursive option (mount_setattr(2) with AT_RECURSIVE on the mount and every mount
 * below it): `clear` false sets `attr`, true clears it. An `atime` entry sets the whole
 * atime mode instead, since the kernel takes the mode as one field: "rnoatime",
 * "rrelatime" and "rstrictatime" choose their mode; "ratime" and "rnostrictatime" leave
 * noatime or strictatime for the kernel's default, relatime (what clearing MS_NOATIME or
 * MS_STRICTATIME gives a mount(2) call); "rnorelatime" asks for full access-time
 * updates, strictatime.
 */
export type RecursiveOption = { clear: boolean; attr: number } | { atime: number };

export const RECURSIVE_OPTIONS: Readonly<Record<string, RecursiveOption>> = Object.freeze({
  rro: { clear: false, attr: MOUNT_ATTR_RDONLY },
  rrw: { clear: true, attr: MOUNT_ATTR_RDONLY },
  rnosuid: { clear: false, attr: MOUNT_ATTR_NOSUID },
  rsuid: { clear: true, attr: MOUNT_ATTR_NOSUID },
  rnodev: { clear: false, attr: MOUNT_ATTR_NODEV },
  rdev: { clear: true, attr: MOUNT_ATTR_NODEV },
  rnoexec: { clear: false, attr: MOUNT_ATTR_NOEXEC },
  rexec: { clear: true, attr: MOUNT_ATTR_NOEXEC },
  rnodiratime: { clear: false, attr: MOUNT_ATTR_NODIRATIME },
  rdiratime: { clear: true, attr: MOUNT_ATTR_NODIRATIME },
  rnosymfollow: { clear: false, attr: MOUNT_ATTR_NOSYMFOLLOW },
  rsymfollow: { clear: true, attr: MOUNT_ATTR_NOSYMFOLLOW },
  rrelatime: { atime: MOUNT_ATTR_RELATIME },
  rnorelatime: { atime: MOUNT_ATTR_STRICTATIME },
  rnoatime: { atime: MOUNT_ATTR_NOATIME },
  ratime: { atime: MOUNT_ATTR_RELATIME },
  rstrictatime: { atime: MOUNT_ATTR_STRICTATIME },
  rnostrictatime: { atime: MOUNT_ATTR_RELATIME },
});

/** The idmapped-mount options: "ridmap" maps every mount of an rbind's tree, "idmap" its top mount. */
export const IDMAP_OPTIONS: readonly string[] = Object.freeze(["idmap", "ridmap"]);

/** runc's extension: a tmpfs starts with a copy of what its destination held (podman --read-only). */
export const COPYUP_OPTION = "tmpcopyup";

export type MountOptionKind = "flag" | "propagation" | "recursive" | "copyup" | "idmap" | "data";

export function mountOptionKind(option: string): MountOptionKind {
  if (Object.hasOwn(FLAG_OPTIONS, option)) return "flag";
  if (Object.hasOwn(PROPAGATION_OPTIONS, option)) return "propagation";
  if (Object.hasOwn(RECURSIVE_OPTIONS, option)) return "recursive";
  if (option === COPYUP_OPTION) return "copyup";
  if (IDMAP_OPTIONS.includes(option)) return "idmap";
  return "data";
}

/** True for an option berth recognises by name (anything but filesystem data). */
export function isMountOptionKnown(option: string): boolean {
  return mountOptionKind(option) !== "data";
}

/** True for an option berth recognises and applies (what `berth features` lists): all it knows. */
export function isMountOptionSupported(option: string): boolean {
  return isMountOptionKnown(option);
}

/** Sorted names of the options the plan builder applies (flags, propagation, recursive, tmpcopyup, idmap). */
export function supportedMountOptions(): string[] {
  return [
    ...Object.keys(FLAG_OPTIONS),
    ...Object.keys(PROPAGATION_OPTIONS),
    ...Object.keys(RECURSIVE_OPTIONS),
    COPYUP_OPTION,
    ...IDMAP_OPTIONS,
  ].sort();
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
  /** mount_setattr(2) attributes to set and clear recursively (undefined: no recursive option). */
  recursive?: { set: number; clear: number };
  /** The idmap or ridmap option, with its index in the options array. */
  idmap?: { recursive: boolean; index: number };
}

/** Fold one recursive option into the set/clear masks (later options win, as with the flags). */
export function addRecursive(acc: { set: number; clear: number }, opt: RecursiveOption): { set: number; clear: number } {
  if ("atime" in opt) {
    return { set: (acc.set & ~MOUNT_ATTR__ATIME) | opt.atime, clear: acc.clear | MOUNT_ATTR__ATIME };
  }
  return opt.clear ? { set: acc.set & ~opt.attr, clear: acc.clear | opt.attr } : { set: acc.set | opt.attr, clear: acc.clear & ~opt.attr };
}

/**
 * Parse a mount's options in order (later options win, as in runc). Every option is
 * accepted: what berth does not know is filesystem data.
 */
export function parseMountOptions(options: readonly string[] | undefined): ParsedMountOptions {
  let flags = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  let copyUp = false;
  let recursive: { set: number; clear: number } | undefined;
  let idmap: { recursive: boolean; index: number } | undefined;
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
        recursive = addRecursive(recursive ?? { set: 0, clear: 0 }, RECURSIVE_OPTIONS[opt]!);
        break;
      case "copyup":
        copyUp = true;
        break;
      case "idmap":
        // the last of idmap/ridmap wins, as in runc
        idmap = { recursive: opt === "ridmap", index: i };
        break;
      case "data":
        data.push(opt);
        break;
    }
  });
  const out: ParsedMountOptions = { flags, propagation, data: data.join(","), copyUp };
  if (recursive !== undefined) out.recursive = recursive;
  if (idmap !== undefined) out.idmap = idmap;
  return out;
}

/** rootfsPropagation value → flags for "/" (runc accepts these eight names). */
export const ROOTFS_PROPAGATION: Readonly<Record<string, number>> = PROPAGATION_OPTIONS;

/** Default propagation of "/" when the config sets none. */
export const DEFAULT_ROOTFS_PROPAGATION = MS_SLAVE | MS_REC;
