/** Targets in the space the gradient-trained heads learn in, and the way back to output space. */
import type { Task } from "../models/names.js";
import { link } from "./linear.js";
import { targetScale } from "./pooledLinear.js";
import type { FoldTask } from "./types.js";

/**
 * Targets in model space and the way back: class indices as they are, regression targets
 * standardised per column on the fold's training rows; `toOutput` applies the link and undoes
 * the scaling in place (probabilities or target units).
 */
export function modelTargets(t: FoldTask): { target: (row: number, k: number) => number; toOutput: (logits: Float64Array) => Float64Array } {
  const ts = t.task === "regression" ? targetScale(t.y, t.trainIdx, t.c) : undefined;
  return {
    target: (r, k) => (ts ? (t.y[r * t.c + k] - ts.mu[k]) / ts.sd[k] : t.y[r]),
    toOutput: (z) => {
      link(t.task, z, t.c);
      if (ts) for (let i = 0; i < z.length; i++) z[i] = z[i] * ts.sd[i % t.c] + ts.mu[i % t.c];
      return z;
    },
  };
}

/** Targets of `rows` as the training graphs want them, [rows × c]: 0/1, one-hot or standardised values. */
export function targetMatrix(rows: Int32Array, task: Task, c: number, target: (row: number, k: number) => number): Float32Array {
  const y = new Float32Array(rows.length * c);
  rows.forEach((r, i) => {
    if (task === "regression") for (let k = 0; k < c; k++) y[i * c + k] = target(r, k);
    else if (c === 1) y[i] = target(r, 0);
    else y[i * c + target(r, 0)] = 1;
  });
  return y;
}
