/**
 * The exact fold of every row. Fold assignment feeds every head and the blend, and existing runs
 * must reproduce bit for bit, so these tests pin the rule itself, not only its balance: each
 * class's rows shuffled with seed·1000003 + class and dealt round-robin, the next class starting
 * where the previous one stopped; quantile bins by rank; groups largest first to the lightest fold.
 */
import { describe, it, expect } from "vitest";
import { stratifiedFolds, groupFolds, quantileBins } from "../../src/folds/kfold.js";
import { shuffled } from "../../src/util/random.js";

/** Fold sizes 0..k−1. */
const sizes = (f: Int32Array, k: number): number[] => Array.from({ length: k }, (_, j) => f.filter((x) => x === j).length);

describe("stratified folds", () => {
  it("deals each class's seeded shuffle round-robin, classes in numeric order, continuing the count", () => {
    // classes appear in the order 10, 2, 7 but are dealt 2, 7, 10; sizes 7, 4, 9
    const y = [10, 2, 7, 10, 2, 10, 7, 2, 10, 2, 10, 7, 10, 2, 2, 10, 7, 10, 2, 10];
    const k = 3, seed = 5;
    const f = stratifiedFolds(y, k, seed);
    const expected = new Array<number>(y.length);
    let start = 0;
    for (const cls of [2, 7, 10]) {
      const rows = shuffled([...y.keys()].filter((i) => y[i] === cls), seed * 1000003 + cls);
      rows.forEach((r, j) => (expected[r] = (start + j) % k));
      start += rows.length;
    }
    expect(Array.from(f)).toEqual(expected);
  });

  it("sizes stay within one of each other when no class divides evenly", () => {
    const y = Array.from({ length: 21 }, (_, i) => i % 3);
    const s = sizes(stratifiedFolds(y, 5, 1), 5);
    expect(Math.max(...s) - Math.min(...s)).toBe(1);
    expect(s.reduce((a, b) => a + b, 0)).toBe(21);
  });

  it("a different seed moves rows within a class but not the per-class counts", () => {
    const y = Array.from({ length: 40 }, (_, i) => (i < 25 ? 0 : 1));
    const a = stratifiedFolds(y, 4, 0), b = stratifiedFolds(y, 4, 1);
    expect(Array.from(a)).not.toEqual(Array.from(b));
    for (const f of [a, b]) {
      expect(sizes(f.filter((_, i) => y[i] === 0), 4)).toEqual([7, 6, 6, 6]);
      // the second class starts at fold 25 mod 4 = 1
      expect(sizes(f.filter((_, i) => y[i] === 1), 4)).toEqual([3, 4, 4, 4]);
    }
  });
});

describe("quantile bins", () => {
  it("bin = ⌊rank·bins/n⌋, ties ranked by row", () => {
    const y = [5, 1, 5, 3, 5, 0, 2, 5];
    // ranks by row: 5→0, 1→1, 6→2, 3→3, then the fives in row order 0, 2, 4, 7 → 4, 5, 6, 7
    expect(Array.from(quantileBins(y, 4))).toEqual([2, 0, 2, 1, 3, 0, 1, 3]);
    expect(Array.from(quantileBins(y, 3))).toEqual([1, 0, 1, 1, 2, 0, 0, 2]);
  });

  it("more bins than rows: one row per bin up to n", () => {
    expect(Array.from(quantileBins([0.3, 0.1, 0.2], 10))).toEqual([6, 0, 3]);
  });
});

describe("group folds", () => {
  it("largest group first to the lightest fold (lowest index on equal load)", () => {
    // sizes 10..1 over k = 3: 10→0, 9→1, 8→2, 7→2, 6→1, 5→0, 4→0, 3→1, 2→2, 1→2 → loads 19, 18, 18
    const groups = Array.from({ length: 10 }, (_, g) => Array<string>(10 - g).fill(`g${10 - g}`)).flat();
    const f = groupFolds(groups, 3, 7);
    const foldOfSize = (s: number): number => f[groups.indexOf(`g${s}`)];
    expect([10, 9, 8, 7, 6, 5, 4, 3, 2, 1].map(foldOfSize)).toEqual([0, 1, 2, 2, 1, 0, 0, 1, 2, 2]);
    expect(sizes(f, 3)).toEqual([19, 18, 18]);
    expect(groups.every((g, i) => f[i] === foldOfSize(Number(g.slice(1))))).toBe(true);
  });

  it("equal sizes: the seed decides the order, each fold gets the same number of groups", () => {
    const groups = Array.from({ length: 24 }, (_, i) => `g${i % 12}`);
    const seen = new Set<string>();
    for (let seed = 0; seed < 6; seed++) {
      const f = groupFolds(groups, 4, seed);
      expect(sizes(f, 4)).toEqual([6, 6, 6, 6]);
      groups.forEach((g, i) => expect(f[i]).toBe(f[groups.indexOf(g)]));
      seen.add(Array.from(f).join(""));
    }
    expect(seen.size).toBeGreaterThan(1);
    expect(Array.from(groupFolds(groups, 4, 3))).toEqual(Array.from(groupFolds([...groups], 4, 3)));
  });
});
