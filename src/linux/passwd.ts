// Home directory lookup in a container's /etc/passwd, used to give the process a HOME
// when its environment has none (as runc does). A missing, unreadable or symlinked
// file, or a uid that is not listed, yields "/".
import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface PasswdFs {
  isSymlink(path: string): boolean;
  readFile(path: string): string;
}

const realFs: PasswdFs = {
  isSymlink: (p) => lstatSync(p).isSymbolicLink(),
  readFile: (p) => readFileSync(p, "utf8"),
};

/** HOME for `uid` from `<root>/etc/passwd`; "/" when it cannot be found. */
export function homeDirFor(root: string, uid: number, fs: PasswdFs = realFs): string {
  const etc = join(root, "etc");
  const file = join(etc, "passwd");
  let text: string;
  try {
    // A symlink would be resolved against the host's root, not the container's.
    if (fs.isSymlink(etc) || fs.isSymlink(file)) return "/";
    text = fs.readFile(file);
  } catch {
    return "/";
  }
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const f = line.split(":");
    if (f.length < 7) continue;
    if (/^[0-9]+$/.test(f[2]!) && Number(f[2]) === uid) return f[5] !== "" ? f[5]! : "/";
  }
  return "/";
}

/** The name of host user `uid` in /etc/passwd, or "#uid" (runc's `list` owner column). */
export function hostUserName(uid: number, read: () => string = () => readFileSync("/etc/passwd", "utf8")): string {
  let text = "";
  try {
    text = read();
  } catch {
    // unreadable: the number
  }
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length >= 3 && f[2] === String(uid) && f[0] !== "") return f[0]!;
  }
  return `#${uid}`;
}
