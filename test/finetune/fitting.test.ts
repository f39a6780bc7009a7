/**
 * The fine-tuning trainer's training loop on real sentences, the real model and its cached layer
 * 5 (`finetune.topLayers` 1): what each step is fed (every fit row once per epoch, in batches
 * within the row and token caps, with its label), the learning-rate multiplier of every step
 * against the linear warm-up / decay reference, early stopping that returns the best epoch's
 * weights bit for bit, train() producing exactly what these pieces produce, and that after
 * training the layers have moved and the fine-tuned head beats its frozen twin on held-out rows.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { sentimentFeatures, foldTask, type FinetuneData } from "../helpers/finetuneData.js";
import { fitAdamW, openJob, train, type FinetuneJob } from "../../src/finetune/train.js";
import { AdamW } from "../../src/optim/adam.js";
import { carveValidation } from "../../src/heads/earlyStopping.js";
import { modelTargets } from "../../src/heads/modelTargets.js";
import { train as trainFrozenMean } from "../../src/heads/mean.js";
import { auc } from "../../src/validation/metrics.js";
import type { FoldTask } from "../../src/heads/types.js";
import type { FinetuneModelOptions } from "../../src/finetune/options.js";
import { referenceLinearSchedule } from "../reference/optimizerReference.js";

const N_TRAIN = 800, N_TEST = 20;
let data: FinetuneData;

beforeAll(async () => {
  data = await sentimentFeatures(N_TRAIN, N_TEST);
}, 300_000);

const range = (a: number, b: number): Int32Array => Int32Array.from({ length: b - a }, (_, i) => a + i);

/** What one epoch fed the model, and the model after it. */
interface EpochLog {
  batches: Int32Array[];
  targets: Float32Array[];
  factors: number[];
  stopLogits?: Float64Array;
  params?: Float32Array[];
}

/**
 * The trainer's own pieces, composed as train() composes them, with the model's calls and the
 * optimiser's steps recorded on the way through (every call goes on to the real one).
 */
async function observedFit(t: FoldTask<FinetuneModelOptions>): Promise<{ job: FinetuneJob; start: Float32Array[]; fit: Int32Array; stop: Int32Array; log: EpochLog[]; result: Awaited<ReturnType<typeof fitAdamW>> }> {
  const job = await openJob(data.sources, t);
  const o = t.options.finetune, m = job.model;
  const start = m.params.map((p) => Float32Array.from(p));
  const { fit, stop } = carveValidation(t.trainIdx, t.strata, t.seed);
  const log: EpochLog[] = [{ batches: [], targets: [], factors: [] }];
  const current = (): EpochLog => log[log.length - 1];
  const gradients = m.gradients.bind(m), logits = m.logits.bind(m);
  m.gradients = async (src, rows, y) => {
    current().batches.push(Int32Array.from(rows));
    current().targets.push(Float32Array.from(y));
    return gradients(src, rows, y);
  };
  m.logits = async (src, rows, budget) => {
    const z = await logits(src, rows, budget);
    if (rows === stop) {
      Object.assign(current(), { stopLogits: Float64Array.from(z), params: m.params.map((p) => Float32Array.from(p)) });
      log.push({ batches: [], targets: [], factors: [] });
    }
    return z;
  };
  const adamw = new AdamW(m.params, job.groups, o.clip);
  const step = (grads: readonly Float32Array[], factor: number): number => {
    current().factors.push(factor);
    return adamw.step(grads, factor);
  };
  const lengths = Int32Array.from({ length: data.sources.train.rows }, (_, i) => job.trainIn.hidden.length(i));
  const result = await fitAdamW(m, job.trainIn, fit, stop, { step }, { ...o, seed: t.seed, lengths, task: t, target: modelTargets(t).target });
  log.pop();
  return { job, start, fit, stop, log, result };
}

/** Mean binary cross-entropy of logits z against 0/1 labels, written out: −y·log σ(z) − (1 − y)·log(1 − σ(z)). */
function bce(z: Float64Array, y: number[]): number {
  let s = 0;
  z.forEach((zi, i) => {
    const p = 1 / (1 + Math.exp(-zi));
    s -= y[i] ? Math.log(p) : Math.log(1 - p);
  });
  return s / z.length;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** ‖a − b‖ / ‖b‖ */
function relChange(a: Float32Array, b: Float32Array): number {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d / n);
}

describe("fine-tuning loop (mean-ft, topLayers 1, real data)", () => {
  // a high learning rate on 300 rows: the early-stopping loss gets worse after an early epoch
  const hot = (): FoldTask<FinetuneModelOptions> => foldTask("mean-ft", data.labels, range(0, 300), range(300, 400), { topLayers: 1, epochs: 6, lr: 1e-3, headLr: 1e-2, patience: 2, warmup: 0.1, batchRows: 16, batchTokens: 512 });
  let run: Awaited<ReturnType<typeof observedFit>>;
  beforeAll(async () => {
    run = await observedFit(hot());
  }, 300_000);
  afterAll(async () => {
    await run?.job.release();
  });

  it("every epoch feeds each fit row exactly once (never an early-stopping or held-out row), in batches of ≤ batchRows rows and ≤ batchTokens padded tokens, each row with its label", () => {
    const { fit, stop, log } = run;
    // the early-stopping rows: 10% of the training rows, none of them fitted
    expect(fit.length + stop.length).toBe(300);
    expect(stop.length).toBe(30);
    for (const r of stop) {
      expect(r).toBeLessThan(300);
      expect(fit).not.toContain(r);
    }
    const fitSorted = Array.from(fit).sort((a, b) => a - b);
    for (const e of log) {
      expect(Array.from(e.batches.flatMap((b) => Array.from(b))).sort((a, b) => a - b)).toEqual(fitSorted);
      e.batches.forEach((b, i) => {
        expect(b.length).toBeLessThanOrEqual(16);
        expect(Math.max(...Array.from(b, (r) => run.job.trainIn.hidden.length(r))) * b.length).toBeLessThanOrEqual(512);
        expect(Array.from(e.targets[i])).toEqual(Array.from(b, (r) => data.labels[r]));
      });
    }
    // a new order each epoch
    expect(Array.from(log[1].batches[0])).not.toEqual(Array.from(log[0].batches[0]));
  });

  it("the learning-rate multiplier of every step is the linear warm-up (10% of all epochs' steps) then linear decay reference, step by step", () => {
    const { log, result } = run;
    const factors = log.flatMap((e) => e.factors);
    const total = log[0].batches.length * 6, warmup = Math.round(total * 0.1);
    expect(result.steps).toBe(factors.length);
    expect(warmup).toBeGreaterThan(1);
    factors.forEach((f, s) => expect(f, `step ${s + 1}`).toBeCloseTo(referenceLinearSchedule(s + 1, total, warmup), 14));
    expect(factors[warmup - 1]).toBe(1);
    console.log(`schedule: ${total} steps planned, ${warmup} of warm-up, ${factors.length} run; factors ${factors.slice(0, warmup + 2).map((f) => f.toFixed(3)).join(" ")} …`);
  });

  it("early stopping: stops `patience` epochs after the best early-stopping loss (recomputed here from the logits) and returns that epoch's weights bit for bit", () => {
    const { log, result, job, stop } = run;
    const y = Array.from(stop, (r) => data.labels[r]);
    const losses = log.map((e) => bce(e.stopLogits!, y));
    const best = losses.indexOf(Math.min(...losses));
    console.log(`early-stopping loss by epoch: ${losses.map((l) => l.toFixed(4)).join(" ")}; best epoch ${best + 1}, ran ${log.length}`);
    expect(result.epochs).toBe(log.length);
    expect(result.bestEpoch).toBe(best + 1);
    expect(Math.abs(result.stopLoss - losses[best])).toBeLessThan(1e-12 * losses[best]);
    // the run is one where it matters: the loss got worse after the best epoch, and training stopped early
    expect(log.length).toBe(best + 1 + 2);
    expect(log.length).toBeLessThan(6);
    for (const l of losses.slice(best + 1)) expect(l).toBeGreaterThan(losses[best]);
    job.model.params.forEach((p, i) => expect(sameBits(p, log[best].params![i]), job.model.names[i]).toBe(true));
    expect(job.model.params.some((p, i) => !sameBits(p, log[log.length - 1].params![i]))).toBe(true);
  });

  it("train() on the same fold gives byte-identical predictions and the same epochs: the pieces above are the trainer", async () => {
    const t = hot();
    const r = await train(data.sources, t);
    const { job, result } = run;
    const budget = t.options.finetune.batchTokens * 2;
    const oof = modelTargets(t).toOutput(await job.model.logits(job.trainIn, t.validIdx, budget));
    const test = modelTargets(t).toOutput(await job.model.logits(job.testIn, range(0, N_TEST), budget));
    expect(Buffer.from(r.oof.buffer).equals(Buffer.from(oof.buffer))).toBe(true);
    expect(Buffer.from(r.test.buffer).equals(Buffer.from(test.buffer))).toBe(true);
    expect({ epochs: r.info.epochs, bestEpoch: r.info.bestEpoch, stopLoss: r.info.stopLoss, steps: r.info.steps }).toEqual({ epochs: result.epochs, bestEpoch: result.bestEpoch, stopLoss: result.stopLoss, steps: result.steps });
  }, 300_000);
});

describe("fine-tuning learns (mean-ft, topLayers 1, two epochs, 600 training sentences)", () => {
  it("every layer tensor moves away from the checkpoint, and the held-out AUC beats the frozen mean head's on the same split", async () => {
    const trainIdx = range(0, 600), validIdx = range(600, N_TRAIN);
    const t = foldTask("mean-ft", data.labels, trainIdx, validIdx, { topLayers: 1, epochs: 2 });
    const job = await openJob(data.sources, t);
    try {
      const o = t.options.finetune, m = job.model;
      const start = m.params.map((p) => Float32Array.from(p));
      const { fit, stop } = carveValidation(trainIdx, t.strata, t.seed);
      const lengths = Int32Array.from({ length: data.sources.train.rows }, (_, i) => job.trainIn.hidden.length(i));
      const r = await fitAdamW(m, job.trainIn, fit, stop, new AdamW(m.params, job.groups, o.clip), { ...o, seed: t.seed, lengths, task: t, target: modelTargets(t).target });
      const moved = m.names.map((n, i): [string, number] => [n, relChange(m.params[i], start[i])]).filter(([n]) => n.startsWith("l0."));
      console.log(`after ${r.epochs} epochs (best ${r.bestEpoch}): ‖ΔW‖/‖W‖ ${moved.map(([n, d]) => `${n} ${d.toExponential(1)}`).join(", ")}`);
      expect(moved).toHaveLength(12);
      for (const [n, d] of moved) {
        expect(d, n).toBeGreaterThan(1e-4);
        // still near the checkpoint: fine-tuning, not training from scratch
        expect(d, n).toBeLessThan(0.2);
      }
      const y = Array.from(validIdx, (i) => data.labels[i]);
      const ft = auc(y, modelTargets(t).toOutput(await m.logits(job.trainIn, validIdx, o.batchTokens * 2)));
      const frozen = auc(y, (await trainFrozenMean(data.sources, foldTask("mean", data.labels, trainIdx, validIdx, {}))).oof);
      console.log(`held-out AUC on ${validIdx.length} sentences: mean-ft ${ft.toFixed(4)}, frozen mean ${frozen.toFixed(4)}`);
      expect(ft).toBeGreaterThan(frozen);
    } finally {
      await job.release();
    }
  }, 300_000);
});
