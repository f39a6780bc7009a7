import { describe, it, expect } from "vitest";
import { permuteRows, takeRows } from "../../src/util/rows.js";
import { shuffled } from "../../src/util/random.js";

describe("permuteRows", () => {
  it("reorders rows in place exactly as takeRows copies them, for any permutation", () => {
    for (const [n, w, seed] of [[1, 3, 1], [7, 1, 2], [50, 4, 3], [200, 5, 4]]) {
      const a = Float64Array.from({ length: n * w }, (_, i) => i * 1.5 - 7);
      const order = shuffled([...Array(n).keys()], seed);
      const want = takeRows(a, order, w);
      permuteRows(a, w, order);
      expect(Array.from(a)).toEqual(Array.from(want));
    }
  });
});
