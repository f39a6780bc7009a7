/** The message of the UserError `f` throws; fails the test when it throws nothing or another error. */
import { expect } from "vitest";
import { UserError } from "../../src/util/errors.js";

export function thrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error("no error thrown");
}
