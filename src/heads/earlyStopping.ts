/**
 * Early stopping of the gradient-trained heads: a validation split carved from the training folds
 * (never the OOF fold), its task loss, and the epoch loop that keeps the best epoch.
 */
import type { Task } from "../models/names.js";
import { stratifiedFolds } from "../folds/kfold.js";
import { meanLogitLoss } from "../optim/logitLoss.js";

/** Splits training rows into fit / early-stopping rows (10%, stratified, seeded). */
export function carveValidation(trainIdx: Int32Array, strata: Int32Array, seed: number): { fit: Int32Array; stop: Int32Array } {
  const f = stratifiedFolds(Int32Array.from(trainIdx, (i) => strata[i]), 10, seed + 17);
  return { fit: trainIdx.filter((_, j) => f[j] !== 0), stop: trainIdx.filter((_, j) => f[j] === 0) };
}

/** Mean task loss of logits against targets: half squared error (regression) or the logistic / softmax loss. */
export function taskLoss(task: Task, logits: Float64Array, rows: Int32Array, c: number, target: (row: number, k: number) => number): number {
  if (task !== "regression") return meanLogitLoss(logits, Float64Array.from(rows, (r) => target(r, 0)), c);
  let s = 0;
  rows.forEach((r, i) => {
    for (let k = 0; k < c; k++) s += 0.5 * (logits[i * c + k] - target(r, k)) ** 2;
  });
  return s / rows.length;
}

/**
 * Epochs with early stopping: `train(e)` runs epoch e, `stopLoss()` scores the early-stopping rows.
 * Stops after `patience` epochs without a better loss and leaves the best epoch's parameters.
 */
export async function earlyStopping(params: Float32Array[], maxEpochs: number, patience: number, train: (epoch: number) => Promise<void>, stopLoss: () => Promise<number>): Promise<{ epochs: number; bestEpoch: number; stopLoss: number }> {
  let best = Infinity, bestEpoch = 0, epoch = 1;
  let snapshot = params.map((p) => Float32Array.from(p));
  for (; epoch <= maxEpochs; epoch++) {
    await train(epoch);
    const loss = await stopLoss();
    if (loss < best - 1e-6) {
      best = loss;
      bestEpoch = epoch;
      snapshot = params.map((p) => Float32Array.from(p));
    } else if (epoch - bestEpoch >= patience) break;
  }
  params.forEach((p, i) => p.set(snapshot[i]));
  return { epochs: Math.min(epoch, maxEpochs), bestEpoch, stopLoss: best };
}
