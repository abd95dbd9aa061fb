import type { Seccomp } from "../src/linux/seccomp/profile.js";
export declare const PODMAN_SECCOMP_PROFILE: string;
/** linux.seccomp for an amd64 container whose bounding set is `caps`. */
export declare function engineSeccomp(file: string, caps: string[]): Seccomp;
