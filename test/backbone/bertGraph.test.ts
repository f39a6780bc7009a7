import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readSafetensors, type Tensor } from "../../src/io/safetensors.js";
import { readModelConfig } from "../../src/families/registry.js";
import { bert } from "../../src/families/bert.js";
import type { EncoderConfig } from "../../src/families/types.js";
import { buildEncoderGraph, POOLED_OUTPUTS } from "../../src/backbone/encoderGraph.js";
import { OrtSession, int64, f32 } from "../../src/backends/ort.js";
import { EncoderTokenizer } from "../../src/backbone/tokenizer.js";
import { Backbone } from "../../src/backbone/backbone.js";
import { referenceForward } from "../reference/bertReference.js";
import { loadBackbone, weightsDir, MODEL_DIR } from "../helpers/model.js";
import { maxAbsDiff } from "../helpers/numeric.js";

const SENTENCES: string[][] = [
  ["The mic is great."],
  ["I have to jiggle the plug to get it to line up right to get decent volume."],
  ["Is this a question?", "Yes, it is a pair."],
];

interface Fixture {
  sentences: string[][];
  ids: number[][];
  /** float64 reference: masked mean of the last hidden state, [CLS] of the last hidden state */
  mean: number[][];
  cls: number[][];
}

let weights: Map<string, Tensor>;
let cfg: EncoderConfig;
let tok: EncoderTokenizer;
let ref: Float64Array[][];
let backbone: Backbone;

beforeAll(async () => {
  const dir = weightsDir();
  weights = readSafetensors(join(dir, "model/model.fp16.safetensors"));
  cfg = readModelConfig(join(dir, "model/config.json")).cfg;
  backbone = await loadBackbone(128);
  tok = backbone.tokenizer;
  ref = SENTENCES.map((s) => {
    const e = tok.encode(s);
    return referenceForward(weights, cfg, Array.from(e.ids), Array.from(e.types));
  });
});

describe("built BERT graph vs an independent float64 forward pass", () => {
  it("the committed fixture still matches the reference implementation", () => {
    const fx = JSON.parse(readFileSync(join(import.meta.dirname, "../fixtures/reference-forward.json"), "utf8")) as Fixture;
    expect(fx.sentences).toEqual(SENTENCES);
    SENTENCES.forEach((s, i) => {
      expect(Array.from(tok.encode(s).ids)).toEqual(fx.ids[i]);
      const last = ref[i][cfg.numLayers];
      const T = fx.ids[i].length, H = cfg.hiddenSize;
      const mean = new Float64Array(H);
      for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) mean[h] += last[t * H + h] / T;
      expect(maxAbsDiff(mean, fx.mean[i])).toBeLessThan(1e-12);
      expect(maxAbsDiff(last.subarray(0, H), fx.cls[i])).toBeLessThan(1e-12);
    });
  });

  it("last hidden state of every valid token, batched with padding, differs by well under 1e-3", async () => {
    const s = await OrtSession.load(buildEncoderGraph(bert, weights, cfg, { outputs: "lastHidden" }), { threads: 2 });
    const b = tok.padBatch(SENTENCES.map((x) => tok.encode(x)));
    const dims = [b.size, b.seqLen];
    const out = f32((await s.run({ input_ids: int64(b.inputIds, dims), attention_mask: int64(b.attentionMask, dims), token_type_ids: int64(b.tokenTypeIds, dims) })).last_hidden_state);
    const H = cfg.hiddenSize;
    let worst = 0;
    SENTENCES.forEach((_, i) => {
      const T = b.lengths[i];
      worst = Math.max(worst, maxAbsDiff(out.subarray(i * b.seqLen * H, (i * b.seqLen + T) * H), ref[i][cfg.numLayers]));
    });
    console.log(`graph vs float64 reference, last hidden state: max |diff| = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
    await s.release();
  });

  it("pooled outputs equal masked mean/max/min and per-layer [CLS]/mean of the reference", async () => {
    const rows = await backbone.forward(SENTENCES.map((x) => tok.encode(x)));
    const H = cfg.hiddenSize, L1 = cfg.numLayers + 1;
    let worst = 0;
    rows.forEach((r, i) => {
      const states = ref[i];
      const T = states[0].length / H;
      const last = states[cfg.numLayers];
      const mean = new Float64Array(H), max = new Float64Array(H).fill(-Infinity), min = new Float64Array(H).fill(Infinity);
      for (let t = 0; t < T; t++)
        for (let h = 0; h < H; h++) {
          const v = last[t * H + h];
          mean[h] += v / T;
          max[h] = Math.max(max[h], v);
          min[h] = Math.min(min[h], v);
        }
      worst = Math.max(worst, maxAbsDiff(r.mean, mean), maxAbsDiff(r.max, max), maxAbsDiff(r.min, min));
      for (let l = 0; l < L1; l++) {
        const lm = new Float64Array(H);
        for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) lm[h] += states[l][t * H + h] / T;
        worst = Math.max(worst, maxAbsDiff(r.layersCls.subarray(l * H, (l + 1) * H), states[l].subarray(0, H)), maxAbsDiff(r.layersMean.subarray(l * H, (l + 1) * H), lm));
      }
      expect(r.tokens.length).toBe(T * H);
    });
    console.log(`pooled outputs vs float64 reference: max |diff| = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
  });

  it("the prepared model folder's model.onnx has every pooled output the heads read, shaped for 6 layers of 384", async () => {
    expect(backbone.info.modelDir).toBe(MODEL_DIR);
    expect(backbone.info.numLayers).toBe(6);
    expect(backbone.info.hiddenSize).toBe(384);
    const s = await OrtSession.load(join(MODEL_DIR, "model.onnx"), { threads: 1 });
    try {
      expect(s.outputNames).toEqual(expect.arrayContaining([...POOLED_OUTPUTS]));
      const b = tok.padBatch([tok.encode(SENTENCES[1])]);
      const dims = [b.size, b.seqLen];
      const out = await s.run({ input_ids: int64(b.inputIds, dims), attention_mask: int64(b.attentionMask, dims), token_type_ids: int64(b.tokenTypeIds, dims) }, [...POOLED_OUTPUTS]);
      const shapes = Object.fromEntries(POOLED_OUTPUTS.map((o) => [o, out[o].dims.map(Number)]));
      // mean, max, min: [batch, H]; per-layer [CLS] and mean over embeddings + 6 layers; token states of the valid tokens
      expect(shapes).toMatchObject({ mean: [1, 384], max: [1, 384], min: [1, 384], layers_cls: [1, 7, 384], layers_mean: [1, 7, 384] });
      expect(out.tokens.size).toBe(b.lengths[0] * 384);
    } finally {
      await s.release();
    }
  });
});

describe("optional int8 variant", () => {
  it("stays close to fp32 (lossy, so compared by cosine, not digits)", async () => {
    const { prepareDefaultModel } = await import("../../src/backbone/prepareModel.js");
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dir = join(mkdtempSync(join(tmpdir(), "pb-int8-")), "m");
    prepareDefaultModel(dir, () => {}, "int8");
    const b8 = await Backbone.load(dir, 128, 2);
    const enc = SENTENCES.map((s) => tok.encode(s));
    const [a, b] = [await backbone.forward(enc), await b8.forward(enc)];
    a.forEach((r, i) => {
      let ab = 0, aa = 0, bb = 0;
      r.mean.forEach((v, j) => {
        ab += v * b[i].mean[j];
        aa += v * v;
        bb += b[i].mean[j] ** 2;
      });
      expect(ab / Math.sqrt(aa * bb)).toBeGreaterThan(0.98);
    });
    await b8.release();
  });
});
