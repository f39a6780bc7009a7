/** How different the heads' predictions and errors are, and what blending two at a time buys. */
import type { MetricName, Task } from "../config.js";
import { better, score } from "../validation/metrics.js";

/** Pearson correlation of two equal-length vectors (0 when one is constant). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/** Per-row error: p − y (binary, regression cells), or 1 − p(true class) (multiclass). */
export function errors(task: Task, pred: Float64Array, y: Float64Array, c: number): Float64Array {
  if (task === "multiclass") return Float64Array.from({ length: y.length }, (_, i) => 1 - pred[i * c + y[i]]);
  return Float64Array.from(pred, (p, i) => p - y[i]);
}

export function correlationMatrix(vectors: readonly Float64Array[]): number[][] {
  return vectors.map((a) => vectors.map((b) => pearson(a, b)));
}

export interface PairGain {
  a: string;
  b: string;
  /** weight of a in the best a/b mix on a 0.05 grid */
  weight: number;
  score: number;
  /** improvement over the better of the two, in the metric's direction (positive = better) */
  gain: number;
}

/** For every pair, the best two-model weighted average and its gain over the better single. */
export function pairGains(names: string[], preds: readonly Float64Array[], y: Float64Array, c: number, metric: MetricName, greater: boolean): PairGain[] {
  const out: PairGain[] = [];
  const single = preds.map((p) => score(metric, y, p, c));
  for (let i = 0; i < preds.length; i++)
    for (let j = i + 1; j < preds.length; j++) {
      let best = { weight: 1, score: single[i] };
      const mix = new Float64Array(preds[i].length);
      for (let k = 0; k <= 20; k++) {
        const w = k / 20;
        for (let r = 0; r < mix.length; r++) mix[r] = w * preds[i][r] + (1 - w) * preds[j][r];
        const s = score(metric, y, mix, c);
        if (better(metric, s, best.score)) best = { weight: w, score: s };
      }
      const ref = better(metric, single[i], single[j]) ? single[i] : single[j];
      out.push({ a: names[i], b: names[j], weight: best.weight, score: best.score, gain: greater ? best.score - ref : ref - best.score });
    }
  return out;
}

/** The folklore ranking, and which of its adjacent claims hold on measured scores. */
export const FOLKLORE = ["attention", "weightedLayer", "mean", "max", "min"] as const;

export function folkloreCheck(cv: Record<string, number>, greater: boolean): { measured: string[]; claims: { better: string; worse: string; holds: boolean }[]; holdsAll: boolean } {
  const present = FOLKLORE.filter((h) => cv[h] !== undefined);
  const measured = [...present].sort((a, b) => (greater ? cv[b] - cv[a] : cv[a] - cv[b]));
  const claims = present.slice(0, -1).map((h, i) => ({ better: h, worse: present[i + 1], holds: greater ? cv[h] > cv[present[i + 1]] : cv[h] < cv[present[i + 1]] }));
  return { measured, claims, holdsAll: claims.every((c) => c.holds) };
}
