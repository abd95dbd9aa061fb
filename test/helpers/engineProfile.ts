// Engines' seccomp profiles as config.json carries them: the one implementation lives
// beside the benchmark, which applies the same profiles (bench/engineSeccomp.mjs).
export { engineSeccomp, PODMAN_SECCOMP_PROFILE } from "../../bench/engineSeccomp.mjs";
