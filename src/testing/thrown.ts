// Unit-test helper: run a function that must throw a BerthError and return it.

import { expect } from "vitest";
import { BerthError } from "../errors.js";

export function thrown(fn: () => unknown): BerthError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BerthError);
    return err as BerthError;
  }
  throw new Error("expected an error");
}
