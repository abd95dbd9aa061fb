// What the container process sees, berth against runc: the same bundle runs
// under both, a probe prints identity, capabilities, mounts, namespaces, /dev,
// environment, limits and security state, and each aspect must match.

import { afterAll, beforeAll, expect, it } from "vitest";
import type { Spec } from "../../src/spec/types.js";
import { needs } from "../helpers/host.js";
import { DIFFERENTIAL, Pair, describeOutcome, sections, type Outcome, type Which } from "./harness.js";
import {
  hostNsLinks,
  maskControllersUnknownToRunc,
  normaliseMountinfo,
  nsDisposition,
  parseNsLinks,
  parseStatus,
  parseUlimit,
} from "./normalise.js";
import { probeArgs, type ProbeSection } from "./probe.js";

interface Variant {
  name: string;
  edit?: (c: Spec) => void;
  /** Soft RLIMIT_NOFILE of the runtime process itself. */
  nofileSoft?: number;
}

const ALL_CAPS_SAMPLE = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_RAW",
  "CAP_SYS_CHROOT",
  "CAP_MKNOD",
  "CAP_AUDIT_WRITE",
  "CAP_SETFCAP",
];

const VARIANTS: Variant[] = [
  { name: "the runc-spec default config", nofileSoft: 4096 },
  {
    name: "a non-root user with groups, umask, cwd, oom_score_adj, own rlimits and env",
    nofileSoft: 4096,
    edit: (c) => {
      const p = c.process!;
      p.user = { uid: 1000, gid: 1000, additionalGids: [10, 2000], umask: 0o027 };
      p.cwd = "/tmp";
      p.oomScoreAdj = 123;
      p.env = ["PATH=/bin:/sbin", "FOO=bar", "EMPTY=", "SPACED=a b  c"];
      p.rlimits = [
        { type: "RLIMIT_NOFILE", soft: 100, hard: 200 },
        { type: "RLIMIT_CORE", soft: 0, hard: 0 },
        { type: "RLIMIT_NPROC", soft: 500, hard: 600 },
      ];
      p.capabilities = {
        bounding: [...ALL_CAPS_SAMPLE],
        permitted: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
        effective: ["CAP_CHOWN", "CAP_KILL"],
        inheritable: ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        ambient: ["CAP_KILL"],
      };
      p.noNewPrivileges = false;
      c.hostname = "differential";
      c.domainname = "example.org";
    },
  },
  {
    name: "no rlimits, umask or oom_score_adj in the config (inherited from the caller)",
    nofileSoft: 512,
    edit: (c) => {
      delete c.process!.rlimits;
      delete c.process!.oomScoreAdj;
      delete c.process!.user.umask;
    },
  },
  {
    name: "fewer namespaces (pid and mount only) and a read-only root",
    edit: (c) => {
      c.linux!.namespaces = [{ type: "pid" }, { type: "mount" }];
      c.root!.readonly = true;
      delete c.hostname;
    },
  },
  {
    name: "a read-only /dev and a read-only tmpfs (filled, then the mount made read-only)",
    edit: (c) => {
      const dev = c.mounts!.find((m) => m.destination === "/dev")!;
      dev.options = [...(dev.options ?? []), "ro"];
      c.mounts!.push({ destination: "/run", type: "tmpfs", source: "tmpfs", options: ["ro", "nosuid", "size=1m"] });
    },
  },
  {
    name: "every namespace berth and runc both support on this host (adds cgroup)",
    edit: (c) => {
      c.linux!.namespaces = [{ type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "cgroup" }];
    },
  },
];

/**
 * Sections compared verbatim (after the generic split into lines). domainname
 * is checked against the config instead: runc 1.1 ignores the field.
 */
const VERBATIM: ProbeSection[] = ["id", "hostname", "caps", "security", "dev", "devpts", "env", "cwd", "umask", "oom", "pid", "fds"];

for (const variant of VARIANTS) {
  needs(...DIFFERENTIAL).describe(`differential: ${variant.name}`, () => {
    const pair = new Pair();
    const seen = {} as Record<Which, Record<string, string[]>>;
    let outcomes: Record<Which, Outcome>;
    let noNewPrivs = false;
    let domainname: string | undefined;

    beforeAll(() => {
      const bundle = pair.bundle({ args: probeArgs(), edit: variant.edit });
      noNewPrivs = bundle.config.process?.noNewPrivileges === true;
      domainname = bundle.config.domainname;
      outcomes = pair.runBoth(bundle, { nofileSoft: variant.nofileSoft });
      seen.runc = sections(outcomes.runc.stdout);
      seen.berth = sections(outcomes.berth.stdout);
    });
    afterAll(() => pair.cleanup());

    it("both runtimes run the probe to completion", () => {
      expect(outcomes.runc.code, describeOutcome(outcomes.runc)).toBe(0);
      expect(outcomes.berth.code, describeOutcome(outcomes.berth)).toBe(0);
      expect(Object.keys(seen.berth)).toEqual(Object.keys(seen.runc));
    });

    it.each(VERBATIM)("section %s matches", (section) => {
      expect(seen.runc[section], `runc printed no ${section} section:\n${describeOutcome(outcomes.runc)}`).toBeDefined();
      expect(seen.berth[section] ?? [], `${section} differs (berth vs runc)`).toEqual(seen.runc[section]);
    });

    it("the domain name is the configured one, else the same as under runc", () => {
      if (domainname !== undefined) expect(seen.berth.domainname).toEqual([domainname]);
      else expect(seen.berth.domainname).toEqual(seen.runc.domainname);
    });

    it("soft and hard rlimits match (ulimit -a)", () => {
      expect(parseUlimit(seen.berth.ulimit ?? [])).toEqual(parseUlimit(seen.runc.ulimit ?? []));
      expect(parseUlimit(seen.berth.ulimit_hard ?? [])).toEqual(parseUlimit(seen.runc.ulimit_hard ?? []));
    });

    it("the mount table matches (points, types, sources, options, propagation)", () => {
      const table = (lines: string[] | undefined): string[] => maskControllersUnknownToRunc(normaliseMountinfo(lines ?? []));
      expect(table(seen.berth.mountinfo)).toEqual(table(seen.runc.mountinfo));
    });

    it("the same namespaces are new / shared with the host", () => {
      const host = hostNsLinks();
      const runc = nsDisposition(parseNsLinks(seen.runc.ns ?? []), host);
      const berth = nsDisposition(parseNsLinks(seen.berth.ns ?? []), host);
      expect(berth).toEqual(runc);
    });

    it("NoNewPrivs and Seccomp are as configured", () => {
      const st = parseStatus(seen.berth.security ?? []);
      expect(st.NoNewPrivs).toBe(noNewPrivs ? "1" : "0");
      expect(st.Seccomp).toBe("0");
    });
  });
}
