/**
 * Proves the float64 fine-tuning reference (finetuneReference.ts) before it is used to prove the
 * hand-written backward graph: its layer against the real MiniLM layers 4 and 5 run by ONNX
 * Runtime, its pooling against the prepared model folder's own pooled outputs, and its loss /
 * finite-difference machinery against closed forms.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { join } from "node:path";
import { halfToFloat, readSafetensors, type Tensor } from "../../src/io/safetensors.js";
import { readModelConfig } from "../../src/families/registry.js";
import { bert } from "../../src/families/bert.js";
import type { EncoderConfig } from "../../src/families/types.js";
import { buildEncoderGraph } from "../../src/backbone/encoderGraph.js";
import { EncoderTokenizer, type Batch } from "../../src/backbone/tokenizer.js";
import { OrtSession, int64, f32 } from "../../src/backends/ort.js";
import { attentionPool } from "../../src/heads/attention.js";
import { weightsDir, ensureModel } from "../helpers/model.js";
import {
  attentionPooling, bertLayerAsParams, erf, exactHalfBits, finetuneForward, firstPosition, layerParams, maskedExtreme, maskedMean, randomCase,
  referenceLayer, referenceLoss, halfExact, type FinetunePooling, type FinetuneTask, type ReferenceSpec,
} from "./finetuneReference.js";

const SENTENCES: string[][] = [
  ["The mic is great."],
  ["I have to jiggle the plug to get it to line up right to get decent volume."],
  ["Is this a question?", "Yes, it is a pair."],
  ["Fine."],
];

let weights: Map<string, Tensor>;
let cfg: EncoderConfig;
let batch: Batch;
let mask: Float64Array;
/** hidden_states.0..6 of the real graph, float32 [B,T,H] */
let hs: Float32Array[];
/** the prepared model folder's pooled outputs for the same batch */
let pooled: Record<string, Float32Array>;
let sessions: OrtSession[] = [];

beforeAll(async () => {
  const dir = weightsDir();
  weights = readSafetensors(join(dir, "model/model.fp16.safetensors"));
  cfg = readModelConfig(join(dir, "model/config.json")).cfg;
  const tok = new EncoderTokenizer(join(dir, "model/tokenizer.json"), 128);
  batch = tok.padBatch(SENTENCES.map((s) => tok.encode(s)));
  mask = Float64Array.from(batch.attentionMask, Number);
  const dims = [batch.size, batch.seqLen];
  const feeds = { input_ids: int64(batch.inputIds, dims), attention_mask: int64(batch.attentionMask, dims), token_type_ids: int64(batch.tokenTypeIds, dims) };
  const graph = await OrtSession.load(buildEncoderGraph(bert, weights, cfg, { outputs: "hiddenStates" }), { threads: 1 });
  const pooledModel = await OrtSession.load(join(ensureModel(), "model.onnx"), { threads: 1 });
  sessions = [graph, pooledModel];
  const out = await graph.run(feeds);
  hs = Array.from({ length: cfg.numLayers + 1 }, (_, i) => f32(out[`hidden_states.${i}`]));
  const po = await pooledModel.run(feeds);
  pooled = Object.fromEntries(["mean", "max", "min", "layers_cls", "layers_mean"].map((n) => [n, f32(po[n])]));
});

afterAll(async () => {
  await Promise.all(sessions.map((s) => s.release()));
});

/** Largest |a − b| over the valid positions of [B,T,H] arrays. */
function validMaxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const H = cfg.hiddenSize, T = batch.seqLen;
  let worst = 0;
  for (let r = 0; r < batch.size; r++)
    for (let t = 0; t < batch.lengths[r]; t++)
      for (let j = 0; j < H; j++) worst = Math.max(worst, Math.abs(a[(r * T + t) * H + j] - b[(r * T + t) * H + j]));
  return worst;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Slice [B,L1,H] → layer l as [B,H]. */
function layerOf(x: Float32Array, l: number): Float64Array {
  const H = cfg.hiddenSize, L1 = cfg.numLayers + 1;
  const out = new Float64Array(batch.size * H);
  for (let b = 0; b < batch.size; b++) for (let j = 0; j < H; j++) out[b * H + j] = x[(b * L1 + l) * H + j];
  return out;
}

describe("erf / GELU", () => {
  it("erf matches tabulated values to 1e-15, continuous across the series / continued-fraction switch", () => {
    const table: [number, number][] = [
      [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527],
      [2.5, 0.999593047982555], [3, 0.9999779095030014], [4, 0.9999999845827421],
    ];
    for (const [x, v] of table) {
      expect(Math.abs(erf(x) - v)).toBeLessThan(1e-15);
      expect(erf(-x)).toBe(-erf(x));
    }
    // the series just below the switch loses a few digits to cancellation: still ~1e-15
    expect(Math.abs(erf(2.5 - 1e-13) - erf(2.5))).toBeLessThan(1e-14);
  });
});

describe("finetune reference vs the real MiniLM (layers 4 and 5 of 6)", () => {
  it("the batch mixes lengths, and the graph's padding positions hold nonzero states (the reference must mask them out)", () => {
    expect(new Set(batch.lengths).size).toBe(SENTENCES.length);
    expect(cfg.numLayers).toBe(6);
    const H = cfg.hiddenSize, T = batch.seqLen, r = batch.lengths.indexOf(Math.min(...batch.lengths));
    expect(Math.abs(hs[4][(r * T + T - 1) * H])).toBeGreaterThan(0);
  });

  it("referenceLayer reproduces hidden_states.5 and .6 from hidden_states.4 at every valid position", () => {
    const H = cfg.hiddenSize, B = batch.size, T = batch.seqLen;
    const dims = { H, numHeads: cfg.numHeads, inter: cfg.intermediateSize, eps: cfg.layerNormEps };
    const p4 = layerParams(bertLayerAsParams(weights, 4, 0), 0), p5 = layerParams(bertLayerAsParams(weights, 5, 0), 0);
    const r5 = referenceLayer(hs[4], mask, B, T, p4, dims);
    const r6 = referenceLayer(r5, mask, B, T, p5, dims); // chained, as the trained stack runs
    const r6b = referenceLayer(hs[5], mask, B, T, p5, dims); // one layer from the graph's own .5
    const e5 = validMaxDiff(r5, hs[5]), e6 = validMaxDiff(r6, hs[6]), e6b = validMaxDiff(r6b, hs[6]);
    const scale = validMaxDiff(hs[6], new Float64Array(hs[6].length));
    console.log(`reference layer vs ORT float32 graph, max |diff| at valid positions: .5 ${e5.toExponential(2)}, .6 chained ${e6.toExponential(2)}, .6 from graph .5 ${e6b.toExponential(2)} (largest |entry| ${scale.toFixed(2)})`);
    // float32 graph vs float64: measured ~1e-6 (hidden-state entries are O(1)–O(10))
    expect(e5).toBeLessThan(2e-5);
    expect(e6).toBeLessThan(2e-5);
    expect(e6b).toBeLessThan(2e-5);
  });

  it("pooling and per-layer vectors of the reference match the model folder's mean/max/min/layers_cls/layers_mean", () => {
    const H = cfg.hiddenSize, B = batch.size, T = batch.seqLen;
    const params = new Map([...bertLayerAsParams(weights, 4, 0), ...bertLayerAsParams(weights, 5, 1)]);
    const base = { H, numHeads: cfg.numHeads, inter: cfg.intermediateSize, layers: 2, eps: cfg.layerNormEps, C: 1, task: "regression" as const };
    const zeros = new Float64Array(H), ones = new Float64Array(H).fill(1);
    // identity standardisation and a zero output layer expose the pooled vector itself
    const run = (pooling: FinetunePooling, extra: Partial<ReferenceSpec> = {}, frozen?: Float64Array) => {
      const spec: ReferenceSpec = { ...base, pooling, frozenLayers: 0, layerSource: "cls", ...extra };
      const ps = new Map<string, Float64Array>(params);
      ps.set("out.w", new Float64Array(H)).set("out.b", new Float64Array(1));
      if (pooling === "weightedLayer") ps.set("wl.w", Float64Array.from({ length: spec.frozenLayers + 2 }, (_, i) => 1 + i));
      return finetuneForward(spec, ps, { B, T, hidden: hs[4], mask, frozen, pmu: zeros, psd: ones });
    };
    const fwd = run("mean");
    const [r5, r6] = fwd.layerOutputs;
    const errs: Record<string, number> = {
      mean: maxDiff(fwd.pooled, pooled.mean),
      max: maxDiff(maskedExtreme(r6, mask, B, T, H, "max"), pooled.max),
      min: maxDiff(maskedExtreme(r6, mask, B, T, H, "min"), pooled.min),
      // the per-layer vectors a weightedLayer head reads from the trained layers
      cls: Math.max(maxDiff(firstPosition(r5, B, T, H), layerOf(pooled.layers_cls, 5)), maxDiff(firstPosition(r6, B, T, H), layerOf(pooled.layers_cls, 6))),
      layerMean: Math.max(maxDiff(maskedMean(r5, mask, B, T, H), layerOf(pooled.layers_mean, 5)), maxDiff(maskedMean(r6, mask, B, T, H), layerOf(pooled.layers_mean, 6))),
    };
    // weightedLayer with weights 1..7: F = 5 frozen vectors (layers 0..4 from the model), then the trained layers 5 and 6
    for (const src of ["cls", "mean"] as const) {
      const all = src === "cls" ? pooled.layers_cls : pooled.layers_mean;
      const frozen = new Float64Array(B * 5 * H);
      for (let b = 0; b < B; b++) for (let i = 0; i < 5; i++) for (let j = 0; j < H; j++) frozen[(b * 5 + i) * H + j] = all[(b * 7 + i) * H + j];
      const expected = new Float64Array(B * H);
      for (let i = 0; i < 7; i++) layerOf(all, i).forEach((v, k) => (expected[k] += ((1 + i) * v) / 28));
      errs[`weightedLayer/${src}`] = maxDiff(run("weightedLayer", { frozenLayers: 5, layerSource: src }, frozen).pooled, expected);
    }
    console.log(`reference pooling vs the model folder's outputs, max |diff|: ${Object.entries(errs).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(", ")}`);
    for (const v of Object.values(errs)) expect(v).toBeLessThan(2e-5);
  });
});

describe("finetune reference on small random cases", () => {
  const base = { H: 8, numHeads: 2, inter: 16, layers: 2, eps: 1e-12, frozenLayers: 2 };
  const B = 3, T = 5, lengths = [5, 3, 0];
  const configs: [FinetunePooling, "cls" | "mean"][] = [["mean", "cls"], ["max", "cls"], ["min", "cls"], ["attention", "cls"], ["weightedLayer", "cls"], ["weightedLayer", "mean"]];
  const tasks: [FinetuneTask, number][] = [["binary", 1], ["multiclass", 3], ["regression", 2]];
  const specOf = (pooling: FinetunePooling, layerSource: "cls" | "mean", task: FinetuneTask, C: number): ReferenceSpec => ({
    ...base, pooling, layerSource, task, C, frozenLayers: pooling === "weightedLayer" ? base.frozenLayers : 0,
  });

  it.each(configs)("%s (%s): padding content never changes the loss; an empty row pools to 0 and stays finite", (pooling, src) => {
    const spec = specOf(pooling, src, "multiclass", 3);
    const c = randomCase(spec, B, T, lengths, 7);
    const { loss, rows } = referenceLoss(spec, c.params, c.inputs);
    expect(Number.isFinite(loss)).toBe(true);
    expect(rows.every(Number.isFinite)).toBe(true);
    const fwd = finetuneForward(spec, c.params, c.inputs);
    if (pooling !== "weightedLayer") expect(Array.from(fwd.pooled.subarray(2 * 8, 3 * 8))).toEqual(new Array(8).fill(0));
    // perturb every padding position (the empty row too, except for cls vectors, which by spec read position 0 whatever the mask)
    const hidden = Float64Array.from(c.inputs.hidden);
    let k = 0;
    for (let b = 0; b < B; b++) {
      if (lengths[b] === 0 && pooling === "weightedLayer" && src === "cls") continue;
      for (let t = lengths[b]; t < T; t++) for (let j = 0; j < 8; j++) hidden[(b * T + t) * 8 + j] = halfExact(((k++ % 13) - 6) * 0.7);
    }
    expect(k).toBeGreaterThan(0);
    expect(referenceLoss(spec, c.params, { ...c.inputs, hidden }).loss).toBe(loss);
  });

  it("attention pooling equals the attention head's attentionPool on the standardised valid tokens", () => {
    const spec = specOf("attention", "cls", "regression", 2);
    const c = randomCase(spec, B, T, lengths, 3);
    const hL = finetuneForward(spec, c.params, c.inputs).layerOutputs[1];
    const P = (n: string): Float64Array => c.params.get(n)!;
    const { pooled, weights } = attentionPooling(hL, c.inputs.mask, B, T, 8, c.inputs.pmu, c.inputs.psd, { w1: P("att.w1"), b1: P("att.b1"), g: P("att.g"), beta: P("att.beta"), w2: P("att.w2") });
    for (let b = 0; b < B; b++) {
      const n = lengths[b];
      const X = Float64Array.from({ length: n * 8 }, (_, i) => (hL[b * T * 8 + i] - c.inputs.pmu[i % 8]) / c.inputs.psd[i % 8]);
      const ref = attentionPool(X, n, 8, { W1: P("att.w1"), b1: P("att.b1"), g: P("att.g"), beta: P("att.beta"), w2: P("att.w2") });
      expect(maxDiff(pooled.subarray(b * 8, (b + 1) * 8), ref.pooled)).toBeLessThan(1e-13);
      expect(maxDiff(weights.subarray(b * T, b * T + n), ref.weights)).toBeLessThan(1e-13);
      for (let t = n; t < T; t++) expect(weights[b * T + t]).toBe(0);
    }
  });

  it.each(tasks)("%s: central differences of the loss reproduce the closed-form output-layer gradient to 1e-8", (task, C) => {
    for (const [pooling, src] of configs) {
      const spec = specOf(pooling, src, task, C);
      const c = randomCase(spec, B, T, lengths, 5 + C);
      const { features, logits } = finetuneForward(spec, c.params, c.inputs);
      const { y, rw } = c.inputs;
      // dL/dlogit_bk: rw·(σ(z) − y), rw·(softmax(z) − y), rw·(z − y)
      const dz = new Float64Array(B * C);
      for (let b = 0; b < B; b++) {
        const z = logits.subarray(b * C, (b + 1) * C);
        const mx = Math.max(...z), se = z.reduce((a, v) => a + Math.exp(v - mx), 0);
        for (let k = 0; k < C; k++) {
          const p = task === "binary" ? 1 / (1 + Math.exp(-z[k])) : task === "multiclass" ? Math.exp(z[k] - mx) / se : z[k];
          dz[b * C + k] = rw[b] * (p - y[b * C + k]);
        }
      }
      let worst = 0;
      for (const name of ["out.w", "out.b"]) {
        const w = c.params.get(name)!;
        for (let i = 0; i < w.length; i++) {
          let exact = 0;
          for (let b = 0; b < B; b++) exact += name === "out.b" ? dz[b * C + i] : features[b * 8 + Math.floor(i / C)] * dz[b * C + (i % C)];
          const keep = w[i], h = 1e-5;
          w[i] = keep + h;
          const up = referenceLoss(spec, c.params, c.inputs).loss;
          w[i] = keep - h;
          const down = referenceLoss(spec, c.params, c.inputs).loss;
          w[i] = keep;
          worst = Math.max(worst, Math.abs((up - down) / (2 * h) - exact));
        }
      }
      expect(worst).toBeLessThan(1e-8);
    }
  });

  it("random cases hold float16-exact hidden states whose bits decode to the reference's values", () => {
    const c = randomCase(specOf("mean", "cls", "binary", 1), B, T, lengths, 1);
    expect(Array.from(c.hiddenBits, halfToFloat)).toEqual(Array.from(c.inputs.hidden));
    expect(Array.from(c.hiddenBits, halfToFloat).some((v) => v !== 0 && Math.abs(v) < 0.25)).toBe(true);
    expect(() => exactHalfBits(1 / 3)).toThrow();
    expect(exactHalfBits(-2.5)).toBe(0xc100);
  });

  it("max / min pool over valid positions only, and an empty row gives exactly 0", () => {
    const h = Float64Array.from({ length: 2 * 3 * 2 }, (_, i) => i - 5); // B=2, T=3, H=2
    const m = Float64Array.from([1, 1, 0, 0, 0, 0]);
    expect(Array.from(maskedExtreme(h, m, 2, 3, 2, "max"))).toEqual([-3, -2, 0, 0]);
    expect(Array.from(maskedExtreme(h, m, 2, 3, 2, "min"))).toEqual([-5, -4, 0, 0]);
    expect(Array.from(maskedMean(h, m, 2, 3, 2))).toEqual([-4, -3, 0, 0]);
  });
});
