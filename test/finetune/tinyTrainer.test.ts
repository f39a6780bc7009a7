/**
 * The fine-tuning trainer's decisions on a tiny world (test/helpers/tinyFinetune.ts: a 3-layer,
 * hidden-8 BERT checkpoint with random weights and random feature exports), fast enough to run for
 * every change mutation testing makes: which checkpoint tensors become which layer parameters
 * (read independently from the safetensors bytes), the standardisation each head reads from the
 * feature export (recomputed from the rows as written), the starting values and parameter groups
 * of every parameter, the job's logits and loss against the independent float64 forward, and the
 * training loop (batches, schedule, early stopping, best epoch restored, train() = its pieces),
 * the parameter groups of deeper and DeBERTa stacks, multi-output logits, and that no file is left open.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { join } from "node:path";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { tinyWorld, writeTinyCheckpoint, TINY, type TinyWorld, type TinySplit } from "../helpers/tinyFinetune.js";
import { loadTopLayers } from "../../src/finetune/weights.js";
import { pooledStats } from "../../src/finetune/inputs.js";
import { fitAdamW, openJob, paramGroups, train, type FinetuneJob } from "../../src/finetune/train.js";
import { AdamW } from "../../src/optim/adam.js";
import { WEIGHTS_FILE } from "../../src/backbone/prepareModel.js";
import { carveValidation } from "../../src/heads/earlyStopping.js";
import { modelTargets } from "../../src/heads/modelTargets.js";
import { shuffledLengthBatches } from "../../src/heads/batches.js";
import { uniformInit } from "../../src/util/random.js";
import { tokenBudgetBatches } from "../../src/backbone/batching.js";
import { bertLikeStack } from "../../src/families/bertLike/trainLayers.js";
import { debertaStack } from "../../src/families/deberta/trainLayers.js";
import type { EncoderConfig } from "../../src/families/types.js";
import { FINETUNE_DEFAULTS, type FinetuneModelOptions, type FinetuneOptions } from "../../src/finetune/options.js";
import type { ModelName } from "../../src/config.js";
import type { FoldTask } from "../../src/heads/types.js";
import { UserError } from "../../src/util/errors.js";
import { thrown } from "../helpers/thrown.js";
import { layerInGraphLayout, readCheckpoint, half } from "../reference/checkpointReader.js";
import { finetuneForward, referenceParamShapes, rowLoss, type FinetunePooling, type ReferenceSpec } from "../reference/finetuneReference.js";
import { referenceLinearSchedule } from "../reference/optimizerReference.js";

const { H, numLayers: L } = TINY;
let w: TinyWorld;

beforeAll(() => {
  w = tinyWorld(60, 7);
});

const range = (a: number, b: number): Int32Array => Int32Array.from({ length: b - a }, (_, i) => a + i);
const bitsEqual = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Options where every learning rate and decay is distinct, so no two groups can be confused. */
const OPTS: Partial<FinetuneOptions> = { lr: 2e-3, headLr: 3e-2, llrd: 0.5, weightDecay: 0.05, batchRows: 8, batchTokens: 24, epochs: 3, warmup: 0.25, patience: 1, clip: 1 };

function task(head: ModelName, finetune: Partial<FinetuneOptions>, wl: { layerStart: number; source: "cls" | "mean" } = { layerStart: 1, source: "cls" }, seed = 5): FoldTask<FinetuneModelOptions> {
  return {
    head, fold: 2, task: "binary", c: 1, y: Float64Array.from(w.labels), strata: Int32Array.from(w.labels), trainIdx: range(0, 48), validIdx: range(48, 60), seed,
    options: { weightedLayer: wl, finetune: { ...FINETUNE_DEFAULTS, ...OPTS, ...finetune }, modelDir: w.modelDir },
  };
}

describe("loadTopLayers: the checkpoint's top k layers in the graph's layout", () => {
  it.each([1, 2, 3])("k = %i: layer l of the job is checkpoint layer L − k + l, every tensor bit for bit (read independently); no other parameter", (k) => {
    const { cfg, params } = loadTopLayers(w.modelDir, k);
    expect([cfg.hiddenSize, cfg.numLayers, cfg.numHeads, cfg.intermediateSize]).toEqual([H, L, TINY.numHeads, TINY.inter]);
    const ckpt = readCheckpoint(join(w.modelDir, WEIGHTS_FILE));
    const expected = new Map<string, Float32Array>();
    for (let l = 0; l < k; l++) for (const [n, v] of layerInGraphLayout(ckpt, L - k + l)) expected.set(`l${l}.${n}`, v);
    expect([...params.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [n, v] of expected) expect(bitsEqual(params.get(n)!, v), n).toBe(true);
  });

  it("reads a checkpoint whose names carry the family's prefix (bert.) the same way", () => {
    const dir = join(w.root, "prefixed");
    writeTinyCheckpoint(dir, 3, "bert.");
    const a = loadTopLayers(w.modelDir, 2).params, b = loadTopLayers(dir, 2).params;
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [n, v] of a) expect(bitsEqual(b.get(n)!, v), n).toBe(true);
  });

  it("k above the model's layers, a missing weights file or config.json: a UserError naming it", () => {
    expect(thrown(() => loadTopLayers(w.modelDir, L + 1))).toBe(`"finetune.topLayers" ${L + 1} exceeds the model's ${L} layers`);
    for (const missing of [WEIGHTS_FILE, "config.json"]) {
      const dir = join(w.root, `no-${missing}`);
      writeTinyCheckpoint(dir, 3);
      rmSync(join(dir, missing));
      expect(thrown(() => loadTopLayers(dir, 1))).toMatch(new RegExp(`^${join(dir, missing).replace(/[.\\]/g, "\\$&")}: not found; the fine-tuned heads need the model's weights`));
    }
  });
});

/** Float64 mean and population sd (0 → 1) of vectors of length H. */
function meanSd(vectors: ArrayLike<number>[]): { mu: number[]; sd: number[] } {
  const mu = Array.from({ length: H }, (_, j) => vectors.reduce((s, v) => s + v[j], 0) / vectors.length);
  const sd = mu.map((m, j) => Math.sqrt(vectors.reduce((s, v) => s + (v[j] - m) ** 2, 0) / vectors.length) || 1);
  return { mu, sd };
}

const tokensOf = (s: TinySplit, r: number, bits: Uint16Array): Float64Array[] => Array.from({ length: s.lengths[r] }, (_, t) => Float64Array.from(bits.subarray(t * H, (t + 1) * H), half));

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i]), `entry ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(expected[i])));
}

describe("pooledStats: the standardisation each fine-tuned head reads, from the fold's training rows", () => {
  const rows = Int32Array.from([3, 0, 7, 12, 5, 30, 21]);

  it.each(["mean", "max", "min"] as const)("%s: per-feature mean and sd of the frozen pooled vectors of those rows", (head) => {
    const s = pooledStats(head, w.sources.train, rows, { array: "layers_cls", from: 1 });
    const e = meanSd(Array.from(rows, (r) => w.train.rows[r][head]));
    expectClose(s.mu, e.mu, 1e-6);
    expectClose(s.sd, e.sd, 1e-6);
  });

  it("attention: per-feature mean and sd over every last-layer token of those rows", () => {
    const s = pooledStats("attention", w.sources.train, rows, { array: "layers_cls", from: 1 });
    const e = meanSd(Array.from(rows).flatMap((r) => tokensOf(w.train, r, w.train.rows[r].tokens)));
    expectClose(s.mu, e.mu, 1e-5);
    expectClose(s.sd, e.sd, 1e-5);
  });

  it.each([["layers_cls", "layersCls", 1], ["layers_mean", "layersMean", 2]] as const)("weightedLayer (%s from layer %s): per-feature mean over layers from..L, one global sd", (array, key, from) => {
    const s = pooledStats("weightedLayer", w.sources.train, rows, { array, from });
    const vecs = Array.from(rows).flatMap((r) => Array.from({ length: L + 1 - from }, (_, l) => w.train.rows[r][key].subarray((from + l) * H, (from + l + 1) * H)));
    const { mu } = meanSd(vecs);
    const scale = Math.sqrt(vecs.reduce((t, v) => t + mu.reduce((u, m, j) => u + (v[j] - m) ** 2, 0), 0) / (vecs.length * H));
    expectClose(s.mu, mu, 1e-6);
    expectClose(s.sd, new Array<number>(H).fill(scale), 1e-6);
  });
});

/** What a job of head `pooling` should have made of the tiny world, computed without src/finetune. */
interface Expected {
  spec: ReferenceSpec;
  cached: number;
  from: number;
}

function expectedJob(pooling: FinetunePooling, k: number, source: "cls" | "mean", layerStart: number): Expected {
  const cached = L - k;
  const from = Math.min(layerStart, cached + 1);
  const F = pooling === "weightedLayer" ? cached + 1 - from : 0;
  return { spec: { H, numHeads: TINY.numHeads, inter: TINY.inter, layers: k, eps: TINY.eps, C: 1, task: "binary", pooling, frozenLayers: F, layerSource: source }, cached, from };
}

/** The reference's inputs for `rows` of a split: the cached layer's tokens padded to the longest, the frozen layers' vectors. */
function referenceInputs(s: TinySplit, rows: readonly number[], e: Expected, stats: { mu: ArrayLike<number>; sd: ArrayLike<number> }) {
  const T = Math.max(...rows.map((r) => s.lengths[r]));
  const B = rows.length;
  const hidden = new Float64Array(B * T * H), mask = new Float64Array(B * T);
  const F = e.spec.frozenLayers, key = e.spec.layerSource === "mean" ? "layersMean" : "layersCls";
  const frozen = new Float64Array(B * F * H);
  rows.forEach((r, b) => {
    tokensOf(s, r, s.rows[r].hidden[TINY.hiddenLayers.indexOf(e.cached as 1 | 2)]).forEach((v, t) => {
      hidden.set(v, (b * T + t) * H);
      mask[b * T + t] = 1;
    });
    frozen.set(s.rows[r][key].subarray(e.from * H, (e.from + F) * H), b * F * H);
  });
  return { B, T, hidden, mask, frozen: F > 0 ? frozen : undefined, pmu: stats.mu, psd: stats.sd };
}

const paramMap = (j: FinetuneJob): Map<string, Float32Array> => new Map(j.model.names.map((n, i) => [n, j.model.params[i]]));

/** Random values for the head's parameters (which start at zero or one), so that the logits depend on every input. */
function randomiseHead(j: FinetuneJob, seed: number): void {
  j.model.names.forEach((n, i) => {
    if (n.startsWith("l")) return;
    const u = uniformInit(j.model.params[i].length, 0.5, seed + i);
    j.model.params[i].set(n === "wl.w" ? u.map((x) => 1 + x) : u);
  });
}

const JOBS: [FinetunePooling, number, "cls" | "mean", number][] = [
  ["mean", 1, "cls", 1], ["max", 2, "cls", 1], ["min", 1, "cls", 1], ["attention", 2, "cls", 1],
  ["weightedLayer", 1, "cls", 1], ["weightedLayer", 2, "mean", 0], ["weightedLayer", 2, "cls", 3],
];

describe("openJob: the starting point, parameter groups, logits and loss of a job", () => {
  it.each(JOBS)("%s-ft, topLayers %i (layer source %s, layerStart %i)", async (pooling, k, source, layerStart) => {
    const t = task(`${pooling}-ft` as ModelName, { topLayers: k }, { layerStart, source });
    const e = expectedJob(pooling, k, source, layerStart);
    const j = await openJob(w.sources, t);
    try {
      const shapes = referenceParamShapes(e.spec);
      expect(j.model.names).toEqual(shapes.map(([n]) => n));
      // the layers: the checkpoint's top k; the head: its documented starting values
      const ckpt = readCheckpoint(join(w.modelDir, WEIGHTS_FILE));
      const a = 1 / Math.sqrt(H);
      for (const [n, dims] of shapes) {
        const got = paramMap(j).get(n)!, size = dims.reduce((x, y) => x * y, 1);
        const layer = /^l(\d+)\.(.+)$/.exec(n);
        const want = layer ? layerInGraphLayout(ckpt, L - k + Number(layer[1])).get(layer[2])!
          : n === "att.w1" ? uniformInit(size, a, t.seed) : n === "att.w2" ? uniformInit(size, a, t.seed + 1)
          : n === "att.g" || n === "wl.w" ? new Float32Array(size).fill(1) : new Float32Array(size);
        expect(bitsEqual(got, want), n).toBe(true);
      }
      // learning rate: lr·llrd^(k−1−l) for layer l, headLr for the head; decay for weight matrices (and wl.w, see startingPoint.test.ts)
      const o = t.options.finetune;
      j.groups.forEach((gr, i) => {
        const n = j.model.names[i];
        const layer = /^l(\d+)\.(.+)$/.exec(n);
        const lr = layer ? o.lr * o.llrd ** (k - 1 - Number(layer[1])) : o.headLr;
        const decayed = layer ? ["wqkv", "wo", "w1", "w2"].includes(layer[2]) : ["att.w1", "att.w2", "out.w", "wl.w"].includes(n);
        expect(gr, n).toEqual({ lr, decay: decayed ? o.weightDecay : 0 });
      });
      expect(j.provider).toBe("cpu");
      // only weightedLayer with cached layers in its mix reads the frozen layers' vectors
      for (const split of [j.trainIn, j.testIn]) expect(split.frozen?.count).toBe(e.spec.frozenLayers > 0 ? e.spec.frozenLayers : undefined);
      // logits over the test rows (batched by length, returned in row order) and the loss of a batch, against the float64 forward
      randomiseHead(j, 40);
      const stats = pooledStats(pooling, w.sources.train, t.trainIdx, { array: source === "mean" ? "layers_mean" : "layers_cls", from: e.from });
      const testRows = [...range(0, 7)];
      const logits = await j.model.logits(j.testIn, Int32Array.from(testRows), 20);
      expectClose(logits, finetuneForward(e.spec, paramMap(j), referenceInputs(w.test, testRows, e, stats)).logits, 2e-5);
      const batch = [9, 2, 31, 17];
      const y = Float32Array.from(batch, (r) => w.labels[r]);
      const { loss, grads } = await j.model.gradients(j.trainIn, Int32Array.from(batch), y);
      const ref = finetuneForward(e.spec, paramMap(j), referenceInputs(w.train, batch, e, stats)).logits;
      const meanLoss = batch.reduce((s, _, b) => s + rowLoss("binary", [ref[b]], [y[b]]), 0) / batch.length;
      expect(Math.abs(loss - meanLoss)).toBeLessThanOrEqual(1e-5 * (1 + meanLoss));
      expect(grads.map((g) => g.length)).toEqual(shapes.map(([, d]) => d.reduce((x, z) => x * z, 1)));
    } finally {
      await j.release();
    }
  });

  it("release() closes both splits' cached states and frozen-layer readers, and both sessions", async () => {
    const j = await openJob(w.sources, task("weightedLayer-ft", { topLayers: 1 }));
    const readers = [j.trainIn, j.testIn];
    for (const s of readers) {
      expect(s.hidden.batch([0])).toBeDefined();
      expect(s.frozen!.read([0]).length).toBe(s.frozen!.count * H);
    }
    await j.release();
    for (const s of readers) {
      expect(() => s.hidden.batch([0])).toThrow();
      expect(() => s.frozen!.read([0])).toThrow();
    }
    // the released model's sessions refuse to run, on inputs that are still open
    const open = await openJob(w.sources, task("weightedLayer-ft", { topLayers: 1 }));
    try {
      expect((await open.model.logits(open.trainIn, Int32Array.from([0]), 48)).length).toBe(1);
      await expect(j.model.logits(open.trainIn, Int32Array.from([0]), 48)).rejects.toThrow();
      await expect(j.model.gradients(open.trainIn, Int32Array.from([0]), new Float32Array(1))).rejects.toThrow();
    } finally {
      await open.release();
    }
  });

  it("an error while setting up (the pooled vectors unreadable) rejects openJob with that error", async () => {
    const other = tinyWorld(12, 2, 9);
    rmSync(join(other.sources.train.dir, "mean.npy"));
    const t = { ...task("mean-ft", { topLayers: 1 }), trainIdx: range(0, 12), validIdx: range(0, 2), options: { ...task("mean-ft", {}).options, modelDir: other.modelDir, finetune: { ...task("mean-ft", {}).options.finetune, topLayers: 1 } } };
    await expect(openJob(other.sources, t)).rejects.toThrow(/mean\.npy/);
  });

  it("a head that is not fine-tuned, and a topLayers whose cached layer the export lacks, are refused", async () => {
    await expect(openJob(w.sources, task("mean", {}))).rejects.toThrow("mean is not a fine-tuned head");
    const err = await openJob(w.sources, task("mean-ft", { topLayers: 3 })).then(() => undefined, (x: unknown) => x as Error);
    expect(err).toBeInstanceOf(UserError);
    expect(err?.message).toBe(`${w.sources.train.dir}: holds no states of layer 0, which finetune.topLayers needs; rerun npm run features (or npm run oof, which runs it)`);
  });
});

interface Trace {
  batches: Int32Array[];
  factors: number[];
  /** the parameters after every step */
  after: Float32Array[][];
}

/** fitAdamW as train() calls it, with every gradient call and optimiser step recorded on the way to the real ones. */
async function tracedFit(t: FoldTask<FinetuneModelOptions>) {
  const j = await openJob(w.sources, t);
  const trace: Trace = { batches: [], factors: [], after: [] };
  const gradients = j.model.gradients.bind(j.model);
  j.model.gradients = (src, rows, y) => {
    trace.batches.push(Int32Array.from(rows));
    return gradients(src, rows, y);
  };
  const adam = new AdamW(j.model.params, j.groups, t.options.finetune.clip);
  const opt = {
    step: (g: readonly Float32Array[], factor: number): number => {
      trace.factors.push(factor);
      const n = adam.step(g, factor);
      trace.after.push(j.model.params.map((p) => Float32Array.from(p)));
      return n;
    },
  };
  const o = t.options.finetune;
  const { target } = modelTargets(t);
  const { fit, stop } = carveValidation(t.trainIdx, t.strata, t.seed);
  const lengths = Int32Array.from(w.train.lengths);
  const r = await fitAdamW(j.model, j.trainIn, fit, stop, opt, { ...o, seed: t.seed, lengths, task: t, target });
  return { j, trace, r, fit, stop };
}

describe("fitAdamW and train on the tiny world", () => {
  it.each([
    ["mean-ft", { epochs: 3, patience: 3 }],
    ["attention-ft", { epochs: 6, patience: 1, headLr: 0.3, lr: 0.05 }],
  ] as const)("%s %o: every fit row once per epoch in capped batches, the linear schedule, early stopping on the stop rows' loss, the best epoch's parameters kept", async (head, fo) => {
    const t = task(head, { topLayers: 1, ...fo });
    const o = t.options.finetune;
    const { j, trace, r, fit, stop } = await tracedFit(t);
    try {
      const perEpoch = trace.batches.length / r.epochs;
      expect(Number.isInteger(perEpoch)).toBe(true);
      expect(r.steps).toBe(trace.batches.length);
      expect(r.epochSeconds.length).toBe(r.epochs);
      for (let e = 0; e < r.epochs; e++) {
        const epoch = trace.batches.slice(e * perEpoch, (e + 1) * perEpoch);
        expect(epoch.flatMap((b) => [...b]).sort((a, b) => a - b)).toEqual([...fit].sort((a, b) => a - b));
        for (const b of epoch) {
          expect(b.length).toBeLessThanOrEqual(o.batchRows);
          expect(b.length * Math.max(...Array.from(b, (x) => w.train.lengths[x]))).toBeLessThanOrEqual(o.batchTokens);
        }
        if (e > 0) expect(epoch.map((b) => b.join())).not.toEqual(trace.batches.slice(0, perEpoch).map((b) => b.join()));
        // the documented composition: pools of 16 batches' rows sorted by length, cut by the token and row caps, shuffled per epoch
        const lengths = w.train.lengths;
        expect(epoch).toEqual(shuffledLengthBatches(fit, (x) => lengths[x], o.batchRows * 16, (sorted) => tokenBudgetBatches(sorted, lengths, o.batchTokens, o.batchRows), t.seed, e + 1));
      }
      const total = perEpoch * o.epochs, warm = Math.round(total * o.warmup);
      trace.factors.forEach((f, s) => expect(Math.abs(f - referenceLinearSchedule(s + 1, total, warm)), `step ${s + 1}`).toBeLessThan(1e-12));
      // the stop rows' loss after each epoch, by the float64 forward; the same early-stopping rule
      const e = expectedJob(head === "mean-ft" ? "mean" : "attention", 1, "cls", 1);
      const stats = pooledStats(e.spec.pooling, w.sources.train, t.trainIdx, { array: "layers_cls", from: e.from });
      const inp = referenceInputs(w.train, [...stop], e, stats);
      const losses = Array.from({ length: r.epochs }, (_, ep) => {
        const p = new Map(j.model.names.map((n, i) => [n, trace.after[(ep + 1) * perEpoch - 1][i]]));
        const z = finetuneForward(e.spec, p, inp).logits;
        return [...stop].reduce((s, row, b) => s + rowLoss("binary", [z[b]], [w.labels[row]]), 0) / stop.length;
      });
      let best = Infinity, bestEpoch = 0, ran = 0;
      for (let ep = 1; ep <= o.epochs; ep++) {
        ran = ep;
        if (losses[ep - 1] < best - 1e-6) [best, bestEpoch] = [losses[ep - 1], ep];
        else if (ep - bestEpoch >= o.patience) break;
      }
      console.log(`${head}: stop losses ${losses.map((x) => x.toFixed(5)).join(" ")}; best epoch ${r.bestEpoch} of ${r.epochs}`);
      expect({ epochs: r.epochs, bestEpoch: r.bestEpoch }).toEqual({ epochs: ran, bestEpoch });
      expect(Math.abs(r.stopLoss - best)).toBeLessThan(1e-5);
      const kept = trace.after[bestEpoch * perEpoch - 1];
      j.model.params.forEach((p, i) => expect(bitsEqual(p, kept[i]), j.model.names[i]).toBe(true));
      if (head === "attention-ft") expect(r.bestEpoch).toBeLessThan(r.epochs);
    } finally {
      await j.release();
    }
  });

  it("train() returns what openJob + fitAdamW + the logits of the held-out and test rows give, bit for bit", async () => {
    const t = task("weightedLayer-ft", { topLayers: 2, epochs: 2 });
    const { j, r } = await tracedFit(t);
    const { toOutput } = modelTargets(t);
    const oof = toOutput(await j.model.logits(j.trainIn, t.validIdx, 48));
    const test = toOutput(await j.model.logits(j.testIn, range(0, 7), 48));
    await j.release();
    const res = await train(w.sources, t);
    expect({ head: res.head, fold: res.fold }).toEqual({ head: "weightedLayer-ft", fold: 2 });
    expect(Buffer.from(res.oof.buffer).equals(Buffer.from(oof.buffer))).toBe(true);
    expect(Buffer.from(res.test.buffer).equals(Buffer.from(test.buffer))).toBe(true);
    expect(res.test.length).toBe(7);
    const { epochSeconds, ...info } = res.info as typeof r & { topLayers: number; provider: string };
    expect(info).toEqual({ topLayers: 2, provider: "cpu", epochs: r.epochs, bestEpoch: r.bestEpoch, stopLoss: r.stopLoss, steps: r.steps });
    expect(epochSeconds.length).toBe(r.epochs);
    expect(res.seconds).toBeGreaterThan(0);
  });
});

describe("paramGroups for other stacks and depths", () => {
  const o = { ...FINETUNE_DEFAULTS, ...OPTS } as FinetuneOptions;
  const HEAD = ["att.w1", "att.b1", "att.g", "att.beta", "att.w2", "out.w", "out.b"];
  const HEAD_DECAYED = ["att.w1", "att.w2", "out.w"];

  it("twelve BERT layers: layer l trains at lr·llrd^(11 − l) (two-digit layer numbers too)", () => {
    const stack = bertLikeStack({ H, numHeads: 2, inter: 16, eps: 1e-12 });
    const names = [...stack.params(12).map(([n]) => n), ...HEAD];
    const groups = paramGroups(names, { ...o, topLayers: 12 }, stack);
    names.forEach((n, i) => {
      const layer = /^l(\d+)\.(.+)$/.exec(n);
      expect(groups[i], n).toEqual({ lr: layer ? o.lr * o.llrd ** (11 - Number(layer[1])) : o.headLr, decay: (layer ? ["wqkv", "wo", "w1", "w2"].includes(layer[2]) : HEAD_DECAYED.includes(n)) ? o.weightDecay : 0 });
    });
    expect(groups[names.indexOf("l11.wqkv")].lr).toBe(o.lr);
    expect(groups[names.indexOf("l10.wqkv")].lr).toBe(o.lr * o.llrd);
  });

  it("DeBERTa (no decay rule of its own): its 2-D tensors decay, shared relative embeddings train at the layers' peak rate", () => {
    const cfg: EncoderConfig = { modelType: "deberta-v2", hiddenSize: H, numLayers: 4, numHeads: 2, intermediateSize: 16, layerNormEps: 1e-7, maxPositions: 512, vocabSize: 10, typeVocabSize: 0, padTokenId: 0, raw: { relative_attention: true, pos_att_type: ["p2c", "c2p"], position_buckets: 4, max_relative_positions: 8, share_att_key: true, norm_rel_ebd: "layer_norm" } };
    const stack = debertaStack(cfg);
    const shapes = stack.params(2);
    expect(stack.decays).toBeUndefined();
    const names = [...shapes.map(([n]) => n), ...HEAD];
    const groups = paramGroups(names, { ...o, topLayers: 2 }, stack);
    names.forEach((n, i) => {
      const dims = shapes.find(([m]) => m === n)?.[1];
      const layer = /^l(\d+)\./.exec(n);
      const lr = layer ? o.lr * o.llrd ** (1 - Number(layer[1])) : dims ? o.lr : o.headLr;
      expect(groups[i], n).toEqual({ lr, decay: (dims ? dims.length === 2 : HEAD_DECAYED.includes(n)) ? o.weightDecay : 0 });
    });
    expect(groups[names.indexOf("rel.emb")]).toEqual({ lr: o.lr, decay: o.weightDecay });
  });
});

describe("multi-output tasks", () => {
  it.each([["multiclass", 3], ["regression", 2]] as const)("%s C=%i: logits [rows × C] in row order, against the float64 forward", async (kind, C) => {
    const y = kind === "multiclass" ? Float64Array.from(w.labels, (l, i) => (l + i) % 3) : Float64Array.from({ length: 60 * C }, (_, i) => Math.sin(i));
    const t: FoldTask<FinetuneModelOptions> = { ...task("max-ft", { topLayers: 1 }), task: kind, c: C, y, strata: Int32Array.from(w.labels) };
    const j = await openJob(w.sources, t);
    try {
      randomiseHead(j, 70);
      const e = expectedJob("max", 1, "cls", 1);
      const spec = { ...e.spec, C, task: kind };
      const stats = pooledStats("max", w.sources.train, t.trainIdx, { array: "layers_cls", from: e.from });
      const rows = [6, 0, 3, 1, 5, 2, 4];
      const logits = await j.model.logits(j.testIn, Int32Array.from(rows), 12);
      expectClose(logits, finetuneForward(spec, paramMap(j), referenceInputs(w.test, rows, { ...e, spec }, stats)).logits, 2e-5);
    } finally {
      await j.release();
    }
  });
});

describe.skipIf(!existsSync("/proc/self/fd"))("no file left open (Linux: /proc/self/fd)", () => {
  const openFiles = (): number => readdirSync("/proc/self/fd").length;

  it("pooledStats for attention and train() close every file they open", async () => {
    const before = openFiles();
    pooledStats("attention", w.sources.train, range(0, 20), { array: "layers_cls", from: 1 });
    expect(openFiles()).toBe(before);
    await train(w.sources, task("weightedLayer-ft", { topLayers: 1, epochs: 1 }));
    expect(openFiles()).toBe(before);
  });
});
