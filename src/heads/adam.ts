/** Mini-batch Adam for the gradient-trained heads (weightedLayer, attention), with early stopping and an optional warm-up schedule. */
import type { Task } from "../models/names.js";
import { shuffledSlices } from "./batches.js";
import { earlyStopping, taskLoss } from "./earlyStopping.js";
import { Adam } from "../optim/adam.js";
import { lrFactor } from "../optim/schedule.js";

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
  const adam = new Adam(model.params, (pi) => model.decay.get(pi) ?? 0);
  const batches = o.batches ?? ((rows: Int32Array, e: number): Int32Array[] => shuffledSlices(rows, o.batchSize, o.seed * 7919 + e));
  const total = batches(fit, 1).length * o.maxEpochs;
  const schedule = o.warmup === undefined ? undefined : { totalSteps: total, warmupSteps: Math.round(total * o.warmup) };
  let step = 0;
  const epoch = async (e: number): Promise<void> => {
    for (const batch of batches(fit, e)) {
      const grads = await model.gradients(batch);
      step++;
      adam.step(grads, schedule ? o.lr * lrFactor(step, schedule) : o.lr);
    }
  };
  return earlyStopping(model.params, o.maxEpochs, o.patience, epoch, async () => taskLoss(o.task, await model.logits(stop), stop, o.c, o.target));
}
