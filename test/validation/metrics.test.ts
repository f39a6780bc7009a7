import { describe, it, expect } from "vitest";
import { auc, logloss, accuracy, rmse, mcrmse, score } from "../../src/validation/metrics.js";

// expected values computed by hand and with scikit-learn 1.5 (roc_auc_score, log_loss, accuracy_score, mean_squared_error)
describe("metrics", () => {
  it("auc", () => {
    expect(auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75, 12);
    // ties count half: positives {0.5, 0.9} vs negatives {0.5, 0.5} → (0.5+0.5+1+1)/4
    expect(auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.9])).toBeCloseTo(0.75, 12);
    expect(auc([1, 0, 1, 0, 1], [3, 3, 3, 3, 3])).toBeCloseTo(0.5, 12);
    // pos {0.8, 0.3, 0.8} vs neg {0.9, 0.1, 0.3}: 0.8 → 2 wins, 0.3 → 1 win + 1 tie → 5.5 / 9
    expect(auc([0, 0, 1, 1, 1, 0], [0.9, 0.1, 0.8, 0.3, 0.8, 0.3])).toBeCloseTo(5.5 / 9, 12);
    expect(auc([1, 1], [0.2, 0.3])).toBeNaN();
  });

  it("logloss, binary and multiclass, clipped", () => {
    expect(logloss([0, 1], [0.2, 0.7], 1)).toBeCloseTo(0.2899092476264711, 12);
    // −(ln 0.7 + ln 0.8 + ln 0.4) / 3
    expect(logloss([0, 2, 1], [0.7, 0.2, 0.1, 0.1, 0.1, 0.8, 0.3, 0.4, 0.3], 3)).toBeCloseTo(0.4987030757090323, 12);
    expect(logloss([1], [0], 1)).toBeCloseTo(34.538776394910684, 8);
  });

  it("accuracy", () => {
    expect(accuracy([1, 0, 1, 0], [0.6, 0.4, 0.2, 0.5], 1)).toBe(0.5);
    expect(accuracy([2, 0], [0.1, 0.2, 0.7, 0.5, 0.5, 0], 3)).toBe(1);
  });

  it("rmse and mcrmse", () => {
    expect(rmse([1, 2, 3], [1, 2, 5])).toBeCloseTo(Math.sqrt(4 / 3), 12);
    // columns: [1,3] vs [2,3] → rmse √0.5 ; [2,4] vs [2,6] → rmse √2
    expect(mcrmse([1, 2, 3, 4], [2, 2, 3, 6], 2)).toBeCloseTo((Math.sqrt(0.5) + Math.sqrt(2)) / 2, 12);
    expect(score("mcrmse", [1, 2, 3, 4], [2, 2, 3, 6], 2)).toBeCloseTo(1.0606601717798212, 12);
  });
});
