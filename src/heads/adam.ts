/** Mini-batch Adam for the gradient-trained heads (weightedLayer, attention), with early stopping and an optional warm-up schedule. */
import type { Task } from "../models/names.js";
import { shuffledSlices } from "./batches.js";
import { earlyStopping, taskLoss } from "./earlyStopping.js";
import { lrFactor } from "./schedule.js";

/** A model whose parameters are a list of float32 tensors. */
export interface GradModel {
  params: Float32Array[];
  /** Loss-gradient of the mean loss over `rows` (targets prepared by the caller); returns the gradients. */
  gradients(rows: Int32Array): Promise<Float32Array[]>;
  /** Logits [rows × c] for train-split rows. */
  logits(rows: Int32Array): Promise<Float64Array>;
  /** L2 strength per parameter index (λ/2‖W‖² added to the loss); parameters not listed get none. */
  decay: ReadonlyMap<number, number>;
}

export interface SgdOptions {
  task: Task;
  c: number;
  /** training targets in model space: class index (classification) or standardised values (regression) */
  target: (row: number, k: number) => number;
  lr: number;
  batchSize: number;
  maxEpochs: number;
  patience: number;
  seed: number;
  /** orders rows into batches (e.g. length-bucketed); default: plain shuffled slices */
  batches?: (rows: Int32Array, epoch: number) => Int32Array[];
  /** when set: the learning rate warms up over this share of all maxEpochs' steps, then decays linearly to zero */
  warmup?: number;
}

/** Trains with Adam (L2 in the gradient) and early stopping; leaves the best parameters in the model. */
export async function trainAdam(model: GradModel, fit: Int32Array, stop: Int32Array, o: SgdOptions): Promise<{ epochs: number; bestEpoch: number; stopLoss: number }> {
  const m = model.params.map((p) => new Float32Array(p.length));
  const v = model.params.map((p) => new Float32Array(p.length));
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  let step = 0;
  const batches = o.batches ?? ((rows: Int32Array, e: number): Int32Array[] => shuffledSlices(rows, o.batchSize, o.seed * 7919 + e));
  const total = batches(fit, 1).length * o.maxEpochs;
  const schedule = o.warmup === undefined ? undefined : { totalSteps: total, warmupSteps: Math.round(total * o.warmup) };
  const epoch = async (e: number): Promise<void> => {
    for (const batch of batches(fit, e)) {
      const grads = await model.gradients(batch);
      step++;
      const lr = schedule ? o.lr * lrFactor(step, schedule) : o.lr;
      const c1 = 1 - b1 ** step, c2 = 1 - b2 ** step;
      model.params.forEach((p, pi) => {
        const g = grads[pi], mm = m[pi], vv = v[pi];
        const l2 = model.decay.get(pi) ?? 0;
        for (let j = 0; j < p.length; j++) {
          const gj = g[j] + l2 * p[j];
          mm[j] = b1 * mm[j] + (1 - b1) * gj;
          vv[j] = b2 * vv[j] + (1 - b2) * gj * gj;
          p[j] -= (lr * (mm[j] / c1)) / (Math.sqrt(vv[j] / c2) + eps);
        }
      });
    }
  };
  return earlyStopping(model.params, o.maxEpochs, o.patience, epoch, async () => taskLoss(o.task, await model.logits(stop), stop, o.c, o.target));
}
