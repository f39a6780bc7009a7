import { describe, it, expect } from "vitest";
import { syntheticSources, gaussian, type SyntheticRow } from "../helpers/synthetic.js";
import { train as trainAttention } from "../../src/heads/attention.js";
import { train as trainMean } from "../../src/heads/mean.js";
import { train as trainMax } from "../../src/heads/max.js";
import { train as trainMin } from "../../src/heads/min.js";
import { train as trainWeighted } from "../../src/heads/weightedLayer.js";
import { auc } from "../../src/validation/metrics.js";
import type { FoldTask, FeatureSources } from "../../src/heads/types.js";
import type { HeadName } from "../../src/config.js";
import type { HeadOptions } from "../../src/heads/options.js";

const H = 16, L1 = 7, N = 700, NTRAIN = 560;

function task(head: HeadName, labels: number[]): FoldTask<HeadOptions> {
  return {
    head, fold: 0, task: "binary", c: 1, y: Float64Array.from(labels), strata: Int32Array.from(labels),
    trainIdx: Int32Array.from({ length: NTRAIN }, (_, i) => i), validIdx: Int32Array.from({ length: N - NTRAIN }, (_, i) => NTRAIN + i),
    seed: 3, options: { weightedLayer: { layerStart: 4, source: "cls" }, modelDir: "" },
  };
}

/** Rows of noise; `plant` edits a row's tokens and layers given its label. */
function make(seed: number, tMin: number, tMax: number, plant: (row: SyntheticRow, label: number, T: number, rnd: () => number) => void): { src: FeatureSources; labels: number[] } {
  const rnd = gaussian(seed);
  const labels: number[] = [];
  const rows: SyntheticRow[] = [];
  for (let i = 0; i < N; i++) {
    const label = i % 2;
    const T = tMin + Math.floor(Math.abs(rnd() * 1e6) % (tMax - tMin + 1));
    const row = { tokens: Float32Array.from({ length: T * H }, () => rnd()), layers: Float32Array.from({ length: L1 * H }, () => rnd()) };
    plant(row, label, T, rnd);
    rows.push(row);
    labels.push(label);
  }
  return { src: syntheticSources(rows, rows.slice(0, 10), H, L1), labels };
}

const validAuc = (labels: number[], oof: Float64Array): number => auc(labels.slice(NTRAIN), oof);

describe("each head learns what it is built for", () => {
  it("attention finds the one labelled token among many distractors; mean cannot", async () => {
    const { src, labels } = make(1, 20, 40, (row, label, T, rnd) => {
      for (let t = 0; t < T; t++) {
        row.tokens[t * H] = Math.min(row.tokens[t * H], 1.5); // distractors never look like the needle
        row.tokens[t * H + 1] = 2 * rnd();
      }
      const k = Math.floor(Math.abs(rnd()) * 1e6) % T;
      row.tokens[k * H] = 4;
      row.tokens[k * H + 1] = label ? 2 : -2;
    });
    const att = validAuc(labels, (await trainAttention(src, task("attention", labels))).oof);
    const mean = validAuc(labels, (await trainMean(src, task("mean", labels))).oof);
    console.log(`needle: attention AUC ${att.toFixed(3)}, mean AUC ${mean.toFixed(3)}`);
    expect(att).toBeGreaterThan(0.9);
    expect(mean).toBeLessThan(0.8);
    expect(att - mean).toBeGreaterThan(0.2);
  });

  it("weightedLayer's weights move to the informative layer", async () => {
    const { src, labels } = make(2, 3, 3, (row, label) => {
      for (let j = 0; j < 4; j++) row.layers[5 * H + j] += label ? 1 : -1;
    });
    const r = await trainWeighted(src, task("weightedLayer", labels));
    const w = r.info.layerWeights as number[];
    console.log(`weightedLayer weights over layers 4..6: ${w.map((x) => x.toFixed(3)).join(", ")}; AUC ${validAuc(labels, r.oof).toFixed(3)}`);
    expect(w).toHaveLength(3);
    expect(w[1]).toBeGreaterThan(0.5);
    expect(w[1]).toBeGreaterThan(2 * Math.max(w[0], w[2]));
    expect(validAuc(labels, r.oof)).toBeGreaterThan(0.9);
  });

  it("max and min catch a rare extreme feature that mean dilutes", async () => {
    const { src, labels } = make(3, 40, 80, (row, label, T, rnd) => {
      if (!label) return;
      const k = Math.floor(Math.abs(rnd()) * 1e6) % T;
      row.tokens[k * H + 2] = 6;
      row.tokens[((k + 1) % T) * H + 3] = -6;
    });
    const mx = validAuc(labels, (await trainMax(src, task("max", labels))).oof);
    const mn = validAuc(labels, (await trainMin(src, task("min", labels))).oof);
    const mean = validAuc(labels, (await trainMean(src, task("mean", labels))).oof);
    console.log(`rare extreme: max AUC ${mx.toFixed(3)}, min AUC ${mn.toFixed(3)}, mean AUC ${mean.toFixed(3)}`);
    expect(mx).toBeGreaterThan(0.97);
    expect(mn).toBeGreaterThan(0.97);
    expect(mx - mean).toBeGreaterThan(0.1);
  });
});
