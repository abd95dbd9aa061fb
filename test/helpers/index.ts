// Shared test utilities: import everything from "../helpers/index.js".

export * from "./env.js";
export * from "./rootfs.js";
export * from "./bundle.js";
export * from "./runtime.js";
export * from "./leaks.js";
export * from "./sandbox.js";
export * from "./hooks.js";
export * from "./cgroupDir.js";
