// berth words an errno as Go (and so runc) does: libc's strerror(3) with a lower-case first
// letter. src/errors.ts takes the text from node:util and keeps Linux's own wording only where
// libuv's differs; this checks the result against libc for every errno Node names.

import { constants } from "node:os";
import { describe, expect, it } from "vitest";
import { BerthError, describeErrno, errnoName } from "../errors.js";
import { loadKoffi } from "./koffi.js";

function strerror(): (n: number) => string {
  const fn = loadKoffi().load("libc.so.6").func("const char *strerror(int errnum)");
  return (n) => fn(n) as string;
}

/** Go's rule (mkerrors.sh): lower-case the first letter when the second is lower case too. */
const goWording = (s: string): string => (/^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s);

describe("errno names and text", () => {
  it("every errno Node names reads as libc's strerror, first letter lower case", () => {
    const libc = strerror();
    const wrong: string[] = [];
    for (const [name, n] of Object.entries(constants.errno)) {
      const want = goWording(libc(n));
      if (describeErrno(name) !== want) wrong.push(`${name}: ${JSON.stringify(describeErrno(name))}, want ${JSON.stringify(want)}`);
    }
    expect(wrong).toEqual([]);
  });

  it("the words engines match are Go's", () => {
    expect(describeErrno("ENOENT")).toBe("no such file or directory");
    expect(describeErrno("EACCES")).toBe("permission denied");
    expect(describeErrno("EBUSY")).toBe("device or resource busy");
    expect(describeErrno("ELOOP")).toBe("too many levels of symbolic links");
  });

  it("names numbers by their canonical Linux name", () => {
    expect(errnoName(2)).toBe("ENOENT");
    expect(errnoName(11)).toBe("EAGAIN");
    expect(errnoName(95)).toBe("EOPNOTSUPP");
    expect(errnoName(10)).toBe("ECHILD");
    expect(errnoName(4095)).toBe("errno 4095");
    expect(describeErrno("errno 4095")).toBe("errno 4095");
  });

  it("BerthError.fromErrno carries the name and the text", () => {
    const e = BerthError.fromErrno("unmount", "/x", 16);
    expect(e.errno).toBe("EBUSY");
    expect(e.detail).toBe("device or resource busy");
    expect(e.message).toBe("unmount /x: device or resource busy (EBUSY)");
  });
});
