/**
 * The fine-tuned heads' DeBERTa-v3 layers (src/families/deberta/trainLayers.ts): the hand-written
 * backward graph's gradient of every parameter — both layers, the shared relative embeddings and
 * their LayerNorm, shared and separate position projections — against central finite differences
 * of the independent float64 stack (test/reference/debertaReference.ts), on a full row, a padded
 * row and a row without valid tokens; and the stack with the checkpoint's weights reproducing
 * transformers' top layers over the layer below them.
 */
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GraphBuilder, DT } from "../../src/onnx/graphBuilder.js";
import { LayerOps } from "../../src/onnx/trainOps.js";
import { debertaStack } from "../../src/families/deberta/trainLayers.js";
import { debertaSettings } from "../../src/families/deberta/config.js";
import { relativePosition } from "../../src/families/deberta/relativePositions.js";
import { readModelConfig } from "../../src/families/registry.js";
import { encoderTensors } from "../../src/families/weights.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import type { EncoderConfig } from "../../src/families/types.js";
import { OrtSession, float32, f32, type Feeds } from "../../src/backends/ort.js";
import { readNpy } from "../../src/io/npy.js";
import { normals } from "../reference/finetuneReference.js";
import { debertaStackForward, refBucket, type DebertaRefSpec } from "../reference/debertaReference.js";
import { compareGradients } from "../reference/gradientCheck.js";

const H = 8, NH = 2, INTER = 16, K = 2, B = 3, T = 6, EPS = 1e-7;
/** row 0 full, row 1 padded, row 2 without any valid token */
const LENGTHS = [6, 4, 0];

const CASES: { name: string; raw: Record<string, unknown> }[] = [
  // v3 layout: shared keys, LayerNorm'd relative embeddings, 4 log buckets over 8 positions (distances ≥ 2 bucketed)
  { name: "shared keys, log buckets, normalised relative embeddings", raw: { relative_attention: true, pos_att_type: ["p2c", "c2p"], share_att_key: true, norm_rel_ebd: "layer_norm", position_buckets: 4, max_relative_positions: 8 } },
  // separate position projections, plain distances clipped at ±3, no LayerNorm on them
  { name: "separate position projections, clipped distances", raw: { relative_attention: true, pos_att_type: "c2p|p2c", share_att_key: false, position_buckets: -1, max_relative_positions: 3 } },
];

function configOf(raw: Record<string, unknown>): EncoderConfig {
  return { modelType: "deberta-v2", hiddenSize: H, numLayers: 4, numHeads: NH, intermediateSize: INTER, layerNormEps: EPS, maxPositions: 512, vocabSize: 10, typeVocabSize: 0, padTokenId: 0, raw };
}

function refSpecOf(cfg: EncoderConfig, layers: number): DebertaRefSpec {
  const raw = cfg.raw;
  const att = Array.isArray(raw.pos_att_type) ? raw.pos_att_type.map(String) : String(raw.pos_att_type).split("|");
  const buckets = Number(raw.position_buckets);
  return {
    H: cfg.hiddenSize, numHeads: cfg.numHeads, inter: cfg.intermediateSize, layers, eps: cfg.layerNormEps, c2p: att.includes("c2p"), p2c: att.includes("p2c"),
    shareAttKey: raw.share_att_key === true, normRel: raw.norm_rel_ebd === "layer_norm", positionBuckets: buckets > 0 ? buckets : 0,
    maxRelativePositions: Number(raw.max_relative_positions) > 0 ? Number(raw.max_relative_positions) : cfg.maxPositions,
  };
}

/** The stack's training graph with loss = Σ_l ⟨out_l, r_l⟩ over every position. */
function buildGraph(cfg: EncoderConfig, k: number): { bytes: Uint8Array; params: [string, number[]][] } {
  const stack = debertaStack(cfg);
  const g = new GraphBuilder(17);
  const x = g.input({ name: "x", type: DT.FLOAT, dims: ["B", "T", cfg.hiddenSize] });
  const mask = g.input({ name: "mask", type: DT.FLOAT, dims: ["B", "T"] });
  const params = stack.params(k);
  for (const [name, dims] of params) g.input({ name, type: DT.FLOAT, dims });
  const r = Array.from({ length: k }, (_, l) => g.input({ name: `r${l}`, type: DT.FLOAT, dims: ["B", "T", cfg.hiddenSize] }));
  const o = new LayerOps(g, { H: cfg.hiddenSize, numHeads: cfg.numHeads, inter: cfg.intermediateSize, eps: cfg.layerNormEps }, mask);
  const { outputs, backward } = stack.forward(o, x, k);
  const terms = outputs.map((out, l) => g.op("ReduceSum", [g.op("Mul", [out, r[l]])], { keepdims: 0 }));
  g.op("Identity", [terms.reduce((a, b) => g.op("Add", [a, b]))], {}, "loss");
  g.output({ name: "loss", type: DT.FLOAT, dims: [] });
  outputs.forEach((out, l) => {
    g.op("Identity", [out], {}, `out${l}`);
    g.output({ name: `out${l}`, type: DT.FLOAT, dims: ["B", "T", cfg.hiddenSize] });
  });
  backward(r);
  for (const [name, dims] of params) g.output({ name: `grad.${name}`, type: DT.FLOAT, dims });
  return { bytes: g.toBytes("deberta_stack_grad"), params };
}

const f32exact = (v: number): number => Math.fround(v);

describe("DeBERTa-v3 fine-tuned layers: gradients against finite differences of a float64 reference", () => {
  it("the reference's float64 buckets agree with the graph's float32 emulation on the test settings", () => {
    for (const c of CASES) {
      const s = debertaSettings(configOf(c.raw));
      for (let d = -T; d <= T; d++) expect(relativePosition(d, s)).toBe(s.positionBuckets > 0 ? refBucket(d, s.positionBuckets, s.maxRelativePositions) : d);
    }
  });

  for (const c of CASES) {
    it(`${c.name}: loss, every layer output and every gradient entry`, async () => {
      const cfg = configOf(c.raw);
      const spec = refSpecOf(cfg, K);
      const { bytes, params: shapes } = buildGraph(cfg, K);
      const rnd = normals(7);
      const params = new Map<string, Float64Array>();
      for (const [name, dims] of shapes) {
        const n = dims.reduce((a, b) => a * b, 1);
        const isGain = /(ln\dg|rel\.g)$/.test(name), isBias = /\.(b\w*|ln\db)$/.test(name);
        const fan = dims.length === 2 ? dims[0] : 1;
        params.set(name, Float64Array.from({ length: n }, () => f32exact(isGain ? 1 + 0.2 * rnd() : isBias ? 0.1 * rnd() : name === "rel.emb" ? rnd() : rnd() / Math.sqrt(fan))));
      }
      const mask = Float64Array.from({ length: B * T }, (_, i) => (i % T < LENGTHS[Math.floor(i / T)] ? 1 : 0));
      const x = Float64Array.from({ length: B * T * H }, () => f32exact(rnd()));
      const r = Array.from({ length: K }, () => Float64Array.from({ length: B * T * H }, () => f32exact(rnd())));
      const refLoss = (p: ReadonlyMap<string, ArrayLike<number>>): number =>
        debertaStackForward(spec, p, x, mask, B, T).reduce((a, out, l) => a + out.reduce((u, v, i) => u + v * r[l][i], 0), 0);

      const sess = await OrtSession.load(bytes, { threads: 1 });
      const feeds: Feeds = { x: float32(Float32Array.from(x), [B, T, H]), mask: float32(Float32Array.from(mask), [B, T]) };
      for (const [name, dims] of shapes) feeds[name] = float32(Float32Array.from(params.get(name)!), dims);
      r.forEach((rl, l) => (feeds[`r${l}`] = float32(Float32Array.from(rl), [B, T, H])));
      const res = await sess.run(feeds);
      await sess.release();

      const ref = debertaStackForward(spec, params, x, mask, B, T);
      ref.forEach((out, l) => {
        const got = f32(res[`out${l}`]);
        let worst = 0;
        out.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - got[i]))));
        expect(worst, `out${l}`).toBeLessThan(2e-5);
      });
      const L = refLoss(params);
      expect(Math.abs(f32(res.loss)[0] - L)).toBeLessThan(1e-5 * (1 + Math.abs(L)));

      const names = shapes.map(([n]) => n);
      const g = compareGradients(names, (n) => f32(res[`grad.${n}`]), params, () => refLoss(params), 11);
      console.log(`${c.name}: ${names.length} gradient tensors (${shapes.reduce((a, [, d]) => a + d.reduce((x, y) => x * y, 1), 0)} entries), worst entry ${(g.worstRatio * 100).toFixed(1)}% of tolerance (${g.worstName}), worst tensor norm ${(g.worstNorm * 100).toFixed(1)}%`);
      expect(g.bad.slice(0, 20)).toEqual([]);

      // as the pooling heads hand it down, no gradient at padding: then the padding content (the empty row's included) must not matter
      const rValid = r.map((rl) => Float32Array.from(rl, (v, i) => (mask[Math.floor(i / H)] > 0 ? v : 0)));
      const xNoisy = Float32Array.from(x, (v, i) => (mask[Math.floor(i / H)] > 0 ? v : 3 * Math.sin(i)));
      const runWith = async (xs: Float32Array): Promise<Record<string, Float32Array>> => {
        const s2 = await OrtSession.load(bytes, { threads: 1 });
        const f2: Feeds = { ...feeds, x: float32(xs, [B, T, H]) };
        rValid.forEach((rl, l) => (f2[`r${l}`] = float32(rl, [B, T, H])));
        const o2 = await s2.run(f2);
        await s2.release();
        return Object.fromEntries(Object.entries(o2).map(([k2, v2]) => [k2, f32(v2)]));
      };
      const clean = await runWith(Float32Array.from(x)), noisy = await runWith(xNoisy);
      expect(noisy.loss[0]).toBe(clean.loss[0]);
      for (const n of names) {
        const a = clean[`grad.${n}`], b2 = noisy[`grad.${n}`];
        const scale = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(a.reduce((m, v, i) => Math.max(m, Math.abs(v - b2[i])), 0), `${n} changed with the padding content`).toBeLessThanOrEqual(1e-6 * (1 + scale));
      }
    });
  }
});

describe("DeBERTa-v3 fine-tuned layers with the checkpoint's weights", () => {
  const DIR = join(import.meta.dirname, "../fixtures/deberta");
  const expected = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8")) as { transformersIds: number[][]; models: Record<string, { numLayers: number; hiddenSize: number; seqLen: number; rows: number[] }> };
  for (const name of ["v3-mlm", "buckets16-cls"]) {
    it(`${name}: the top two layers over transformers' hidden state below them give transformers' outputs within 1e-4`, async () => {
      const { family, cfg } = readModelConfig(join(DIR, name, "config.json"));
      const m = expected.models[name];
      const L1 = m.numLayers + 1, Tm = m.seqLen, Hm = m.hiddenSize, k = 2, first = m.numLayers - k;
      const stack = family.trainable(cfg);
      const { get } = encoderTensors(family, readSafetensors(join(DIR, name, "model.safetensors")), name);
      const pre = stack.pretrained(get, first, k);
      const { bytes, params } = buildGraph(cfg, k);
      const ref = readNpy(join(DIR, `${name}.hidden.npy`)).data as Float32Array;
      const Bm = m.rows.length;
      const lengths = m.rows.map((r) => expected.transformersIds[r].length);
      const x = new Float32Array(Bm * Tm * Hm);
      for (let b = 0; b < Bm; b++) x.set(ref.subarray(((b * L1 + first) * Tm) * Hm, ((b * L1 + first + 1) * Tm) * Hm), b * Tm * Hm);
      const mask = Float32Array.from({ length: Bm * Tm }, (_, i) => (i % Tm < lengths[Math.floor(i / Tm)] ? 1 : 0));
      const feeds: Feeds = { x: float32(x, [Bm, Tm, Hm]), mask: float32(mask, [Bm, Tm]) };
      for (const [p, dims] of params) feeds[p] = float32(pre.get(p)!, dims);
      for (let l = 0; l < k; l++) feeds[`r${l}`] = float32(new Float32Array(Bm * Tm * Hm), [Bm, Tm, Hm]);
      const sess = await OrtSession.load(bytes, { threads: 1 });
      const res = await sess.run(feeds);
      await sess.release();
      let worst = 0;
      for (let l = 0; l < k; l++) {
        const got = f32(res[`out${l}`]);
        for (let b = 0; b < Bm; b++)
          for (let t = 0; t < lengths[b]; t++)
            for (let h = 0; h < Hm; h++) worst = Math.max(worst, Math.abs(got[(b * Tm + t) * Hm + h] - ref[((b * L1 + first + 1 + l) * Tm + t) * Hm + h]));
      }
      console.log(`${name}: trained stack at its pretrained values vs transformers, max |diff| ${worst.toExponential(1)}`);
      expect(worst).toBeLessThan(1e-4);
    });
  }
});
