/**
 * The metrics at their edges: ranks with ties, clipping, renormalised multiclass log loss,
 * thresholds and arg-max ties, which direction is better. Expected values are worked by hand
 * (formulas in the comments) or with scikit-learn's definitions.
 */
import { describe, it, expect } from "vitest";
import { auc, averageRanks, accuracy, better, logloss, mcrmse, rmse, score, METRICS } from "../../src/validation/metrics.js";

describe("average ranks", () => {
  it("1-based, ties share the mean of their positions", () => {
    expect(Array.from(averageRanks([3, 1, 3, 2, 3, 0]))).toEqual([5, 2, 5, 3, 5, 1]);
    expect(Array.from(averageRanks([7, 7]))).toEqual([1.5, 1.5]);
    expect(Array.from(averageRanks([2, 1]))).toEqual([2, 1]);
    expect(Array.from(averageRanks([]))).toEqual([]);
  });
});

describe("auc", () => {
  it("perfect, reversed, and one misordered pair of six", () => {
    expect(auc([0, 0, 1, 1], [1, 2, 3, 4])).toBe(1);
    expect(auc([0, 0, 1, 1], [4, 3, 2, 1])).toBe(0);
    // pairs (pos, neg): 6; only (0.35 vs 0.4) is misordered → 5/6
    expect(auc([0, 1, 0, 1, 0], [0.1, 0.35, 0.4, 0.9, 0.2])).toBeCloseTo(5 / 6, 14);
  });

  it("labels other than 1 count as negative; no negatives is NaN", () => {
    expect(auc([2, 1, 0], [0.1, 0.9, 0.5])).toBe(1);
    expect(auc([0, 0], [0.1, 0.2])).toBeNaN();
  });
});

describe("log loss", () => {
  it("binary: each row's −ln of the probability of its label", () => {
    expect(logloss([1, 0, 1], [0.9, 0.2, 0.5], 1)).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.5)) / 3, 14);
  });

  it("binary clipping at 1e−15 on both sides", () => {
    // 1 − (1 − 1e−15) in doubles is 9.992e−16, as scikit-learn computes it
    expect(logloss([0], [1], 1)).toBeCloseTo(-Math.log(1 - (1 - 1e-15)), 12);
    expect(logloss([1], [1], 1)).toBeCloseTo(-Math.log(1 - 1e-15), 20);
    expect(logloss([0], [0], 1)).toBeCloseTo(-Math.log(1 - 1e-15), 20);
    expect(logloss([1], [-3], 1)).toBeCloseTo(-Math.log(1e-15), 12);
  });

  it("multiclass renormalises each row after clipping", () => {
    // row [0.2, 0.2, 0.4] sums to 0.8: class 2 → 0.4 / 0.8 ; row [0.5, 0.5, 0.5], class 0 → 1/3
    expect(logloss([2, 0], [0.2, 0.2, 0.4, 0.5, 0.5, 0.5], 3)).toBeCloseTo(-(Math.log(0.5) + Math.log(1 / 3)) / 2, 14);
    // a zero probability on the true class is clipped to 1e−15, the row sum barely changes
    expect(logloss([1], [1, 0], 2)).toBeCloseTo(-Math.log(1e-15 / (1 - 1e-15 + 1e-15)), 6);
    // a probability above one is clipped to 1 − 1e−15 before the sum
    expect(logloss([0], [3, 1], 2)).toBeCloseTo(-Math.log((1 - 1e-15) / (2 - 2e-15)), 12);
  });
});

describe("accuracy", () => {
  it("binary threshold: 0.5 is class 1", () => {
    expect(accuracy([1, 0, 0, 1], [0.5, 0.4999, 0.5, 0.51], 1)).toBe(0.75);
  });

  it("multiclass arg-max, the first class on ties", () => {
    expect(accuracy([0, 1, 2], [0.4, 0.4, 0.2, 0.3, 0.3, 0.4, 0.1, 0.5, 0.5], 3)).toBeCloseTo(1 / 3, 14);
    expect(accuracy([2, 2], [0.1, 0.2, 0.7, 0.2, 0.3, 0.5], 3)).toBe(1);
  });
});

describe("rmse, mcrmse, score, better", () => {
  it("rmse of unequal errors; mcrmse averages per-column rmse", () => {
    expect(rmse([0, 0, 0, 0], [1, -1, 2, 0])).toBeCloseTo(Math.sqrt(6 / 4), 14);
    // 3 rows × 2 columns: col 0 errors 0, 3, 0 → √3 ; col 1 errors 1, 1, 1 → 1
    expect(mcrmse([0, 0, 0, 0, 0, 0], [0, 1, 3, 1, 0, -1], 2)).toBeCloseTo((Math.sqrt(3) + 1) / 2, 14);
    expect(mcrmse([1, 2, 3], [2, 2, 5], 1)).toBeCloseTo(rmse([1, 2, 3], [2, 2, 5]), 14);
  });

  it("score dispatches to each metric", () => {
    const y = [1, 0, 1, 0], p = [0.8, 0.3, 0.4, 0.6];
    expect(score("auc", y, p, 1)).toBe(auc(y, p));
    expect(score("logloss", y, p, 1)).toBe(logloss(y, p, 1));
    expect(score("accuracy", y, p, 1)).toBe(0.5);
    expect(score("rmse", y, p, 1)).toBe(rmse(y, p));
    expect(score("mcrmse", y, p, 2)).toBe(mcrmse(y, p, 2));
  });

  it("larger is better for auc and accuracy, smaller for the losses; ties are not better", () => {
    expect(Object.entries(METRICS).map(([k, m]) => [k, m.name, m.greater])).toEqual([
      ["auc", "auc", true], ["logloss", "logloss", false], ["accuracy", "accuracy", true], ["rmse", "rmse", false], ["mcrmse", "mcrmse", false],
    ]);
    expect([better("auc", 0.8, 0.7), better("auc", 0.7, 0.8), better("auc", 0.7, 0.7)]).toEqual([true, false, false]);
    expect([better("rmse", 0.8, 0.7), better("rmse", 0.7, 0.8), better("rmse", 0.7, 0.7)]).toEqual([false, true, false]);
  });
});
