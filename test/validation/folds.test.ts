import { describe, it, expect } from "vitest";
import { stratifiedFolds, groupFolds, quantileBins } from "../../src/folds/kfold.js";

describe("folds", () => {
  it("stratified: every fold holds each class in proportion, deterministic per seed", () => {
    const y = Int32Array.from({ length: 1000 }, (_, i) => (i % 10 < 3 ? 1 : 0));
    const f = stratifiedFolds(y, 5, 42);
    for (let k = 0; k < 5; k++) {
      const rows = [...f.keys()].filter((i) => f[i] === k);
      expect(rows.length).toBe(200);
      expect(rows.filter((i) => y[i] === 1).length).toBe(60);
    }
    expect(stratifiedFolds(y, 5, 42)).toEqual(f);
    expect(stratifiedFolds(y, 5, 43)).not.toEqual(f);
  });

  it("group: no group is split and folds are balanced", () => {
    const groups = Array.from({ length: 500 }, (_, i) => `g${Math.floor(i / (1 + (i % 7)))}`);
    const f = groupFolds(groups, 4, 1);
    const foldOf = new Map<string, number>();
    groups.forEach((g, i) => {
      if (foldOf.has(g)) expect(f[i]).toBe(foldOf.get(g));
      foldOf.set(g, f[i]);
    });
    const sizes = [0, 1, 2, 3].map((k) => f.filter((x) => x === k).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThan(40);
  });

  it("quantile bins split a continuous target evenly", () => {
    const b = quantileBins(Float64Array.from({ length: 100 }, (_, i) => Math.sin(i) * 10), 5);
    for (let k = 0; k < 5; k++) expect(b.filter((x) => x === k).length).toBe(20);
  });
});
