/**
 * Mini-batch training shared by the gradient-trained heads (weightedLayer, attention): Adam,
 * seeded shuffles, early stopping on a validation split carved from the training folds (never
 * the OOF fold), best epoch kept.
 */
import type { Task } from "../config.js";
import { mulberry32, shuffled } from "../util/random.js";
import { stratifiedFolds } from "../folds/kfold.js";
import { link } from "./linear.js";
import { targetScale } from "./pooledLinear.js";
import type { FoldTask } from "./types.js";

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

export interface Schedule {
  totalSteps: number;
  warmupSteps: number;
}

/** Learning-rate multiplier at step (1-based): linear warm-up, then linear decay to zero. */
export function lrFactor(step: number, s: Schedule): number {
  if (step <= s.warmupSteps) return step / Math.max(1, s.warmupSteps);
  return Math.max(0, (s.totalSteps - step) / Math.max(1, s.totalSteps - s.warmupSteps));
}

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

/** Splits training rows into fit / early-stopping rows (10%, stratified, seeded). */
export function carveValidation(trainIdx: Int32Array, strata: Int32Array, seed: number): { fit: Int32Array; stop: Int32Array } {
  const f = stratifiedFolds(Int32Array.from(trainIdx, (i) => strata[i]), 10, seed + 17);
  return { fit: trainIdx.filter((_, j) => f[j] !== 0), stop: trainIdx.filter((_, j) => f[j] === 0) };
}

/** Mean task loss of logits against targets. */
export function taskLoss(task: Task, logits: Float64Array, rows: Int32Array, c: number, target: (row: number, k: number) => number): number {
  let s = 0;
  rows.forEach((r, i) => {
    if (task === "regression") for (let k = 0; k < c; k++) s += 0.5 * (logits[i * c + k] - target(r, k)) ** 2;
    else if (c === 1) {
      const z = logits[i], y = target(r, 0);
      s += Math.max(z, 0) - y * z + Math.log1p(Math.exp(-Math.abs(z)));
    } else {
      let mx = -Infinity;
      for (let k = 0; k < c; k++) mx = Math.max(mx, logits[i * c + k]);
      let z = 0;
      for (let k = 0; k < c; k++) z += Math.exp(logits[i * c + k] - mx);
      s += mx + Math.log(z) - logits[i * c + target(r, 0)];
    }
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

/** Trains with Adam (L2 in the gradient) and early stopping; leaves the best parameters in the model. */
export async function trainAdam(model: GradModel, fit: Int32Array, stop: Int32Array, o: SgdOptions): Promise<{ epochs: number; bestEpoch: number; stopLoss: number }> {
  const m = model.params.map((p) => new Float32Array(p.length));
  const v = model.params.map((p) => new Float32Array(p.length));
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  let step = 0;
  const plain = (rows: Int32Array, e: number): Int32Array[] => {
    const order = Int32Array.from(shuffled(Array.from(rows), o.seed * 7919 + e));
    const out: Int32Array[] = [];
    for (let i = 0; i < order.length; i += o.batchSize) out.push(order.subarray(i, i + o.batchSize));
    return out;
  };
  const batches = o.batches ?? plain;
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

/** Uniform(-a, a) initialisation from a seeded PRNG (PyTorch's default for Linear is a = 1/√fan_in). */
export function uniformInit(n: number, a: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (2 * r() - 1) * a);
}

/**
 * One epoch's batches of similar lengths in a random order: the rows shuffled (seeded by epoch),
 * cut into pools of `poolRows`, each pool sorted by length and split by `split` into batches, the
 * batches shuffled — little padding, yet no fixed order of lengths over the epoch.
 */
export function shuffledLengthBatches(rows: ArrayLike<number>, length: (row: number) => number, poolRows: number, split: (sorted: number[]) => number[][], seed: number, epoch: number): Int32Array[] {
  const order = shuffled(Array.from(rows), seed * 104729 + epoch);
  const out: Int32Array[] = [];
  for (let i = 0; i < order.length; i += poolRows) {
    const pool = order.slice(i, i + poolRows).sort((a, b) => length(a) - length(b) || a - b);
    for (const b of split(pool)) out.push(Int32Array.from(b));
  }
  return shuffled(out, seed * 31 + epoch);
}
