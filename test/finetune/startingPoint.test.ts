/**
 * Where a fine-tuning job starts, on the real default model and real cached states: its layers are
 * the checkpoint's top layers L−k…L−1, bit for bit (read independently from weights.safetensors),
 * they sit on the cached states of layer L−k (run over them, they reproduce the exported last-layer
 * tokens; the layers or the cached layer one off do not), and its parameter groups give weight
 * decay to weight matrices only and the layer-wise decayed learning rates.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { sentimentFeatures, foldTask, type FinetuneData } from "../helpers/finetuneData.js";
import { ensureModel } from "../helpers/model.js";
import { openJob, type FinetuneJob } from "../../src/finetune/train.js";
import { buildFinetuneGraph } from "../../src/finetune/graph.js";
import type { FinetuneSpec } from "../../src/finetune/spec.js";
import { OrtSession, float16, float32, f32, type Feeds } from "../../src/backends/ort.js";
import { TokenSource } from "../../src/heads/tokenSource.js";
import type { ModelName } from "../../src/config.js";
import type { FinetuneOptions } from "../../src/finetune/options.js";
import { LAYER_PARAM_NAMES, referenceParamShapes } from "../reference/finetuneReference.js";
import { half, layerInGraphLayout, readCheckpoint, type CheckpointTensor } from "../reference/checkpointReader.js";
import { bertLikeStack } from "../../src/families/bertLike/trainLayers.js";

const N_TRAIN = 48, N_TEST = 8;
let data: FinetuneData;
let ckpt: Map<string, CheckpointTensor>;
/** config.json of the default model, read as written */
let cfg: { num_hidden_layers: number; hidden_size: number; num_attention_heads: number; intermediate_size: number; layer_norm_eps: number };

beforeAll(async () => {
  const dir = ensureModel();
  cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as typeof cfg;
  ckpt = readCheckpoint(join(dir, "weights.safetensors"), (n) => /encoder\.layer\.[345]\./.test(n));
  data = await sentimentFeatures(N_TRAIN, N_TEST);
}, 300_000);

const range = (a: number, b: number): Int32Array => Int32Array.from({ length: b - a }, (_, i) => a + i);
const job = (head: ModelName, finetune: Partial<FinetuneOptions>): Promise<FinetuneJob> => openJob(data.sources, foldTask(head, data.labels, range(0, 40), range(40, N_TRAIN), finetune));
const param = (j: FinetuneJob, name: string): Float32Array => j.model.params[j.model.names.indexOf(name)];

/** Entries whose float32 bit patterns differ. */
function bitsDiffer(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let n = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) n++;
  return n;
}

describe("a fine-tuning job's starting point", () => {
  it.each([1, 2])("topLayers %i: layers l0…l(k−1) are bit-equal to the checkpoint's encoder layers L−k…L−1; the output layer starts at zero", async (k) => {
    const L = cfg.num_hidden_layers;
    const j = await job("mean-ft", { topLayers: k });
    try {
      const layerNames = j.model.names.filter((n) => /^l\d+\./.test(n));
      expect(layerNames).toEqual(Array.from({ length: k }, (_, l) => LAYER_PARAM_NAMES.map((n) => `l${l}.${n}`)).flat());
      for (let l = 0; l < k; l++) {
        const want = layerInGraphLayout(ckpt, L - k + l);
        for (const [n, w] of want) expect(bitsDiffer(param(j, `l${l}.${n}`), w), `l${l}.${n} vs encoder.layer.${L - k + l}`).toBe(0);
        // the layer below differs almost everywhere: the comparison tells layers apart
        const below = layerInGraphLayout(ckpt, L - k + l - 1).get("w1")!;
        expect(bitsDiffer(param(j, `l${l}.w1`), below)).toBeGreaterThan(0.99 * below.length);
      }
      expect(param(j, "out.w").every((v) => v === 0)).toBe(true);
      expect(param(j, "out.b").every((v) => v === 0)).toBe(true);
    } finally {
      await j.release();
    }
  });

  it.each([1, 2])("topLayers %i: the starting layers over the job's cached states reproduce the exported last-layer tokens (per-row mean, max, min of every channel) within float16 rounding; the layers one below, or the other cached layer, miss by >50×", async (k) => {
    const L = cfg.num_hidden_layers, H = cfg.hidden_size;
    const rows = range(0, N_TRAIN);
    const j = await job("mean-ft", { topLayers: k });
    try {
      const own = await j.trainIn.hidden.batch(rows);
      const expected = exportedPools(rows, own.T);
      const start = new Map(Array.from({ length: k }, (_, l) => LAYER_PARAM_NAMES.map((n): [string, Float32Array] => [`l${l}.${n}`, param(j, `l${l}.${n}`)])).flat());
      const err = await poolError(k, start, own, expected);
      const below = new Map(Array.from({ length: k }, (_, l) => [...layerInGraphLayout(ckpt, L - k + l - 1)].map(([n, w]): [string, Float32Array] => [`l${l}.${n}`, w])).flat());
      const errBelow = await poolError(k, below, own, expected);
      const other = new TokenSource(data.sources.train, k === 1 ? "hidden_4" : "hidden_5");
      const errOther = await poolError(k, start, other.batch(rows), expected);
      other.close();
      console.log(`topLayers ${k}: |pooled − exported| / (1 + |exported|) worst ${err.toExponential(2)}; layers one below ${errBelow.toExponential(2)}; cached layer ${k === 1 ? 4 : 5} instead of ${L - k} ${errOther.toExponential(2)}`);
      expect(own.T).toBeGreaterThan(1);
      expect(own.tokens.length).toBe(rows.length * own.T * H);
      expect(err).toBeLessThan(POOL_TOL);
      expect(errBelow).toBeGreaterThan(50 * POOL_TOL);
      expect(errOther).toBeGreaterThan(50 * POOL_TOL);
    } finally {
      await j.release();
    }
  });

  it.each(["attention-ft", "weightedLayer-ft"] as const)("%s, topLayers 2: weight matrices (2-D) decay by weightDecay, biases, LayerNorm and attention gains do not (wl.w: next test); layer l trains at lr·llrd^(k−1−l), the head at headLr", async (head) => {
    const o = { topLayers: 2, lr: 2e-4, headLr: 3e-3, llrd: 0.8, weightDecay: 0.05 };
    const j = await job(head, o);
    try {
      const pooling = head === "attention-ft" ? "attention" : "weightedLayer";
      const shapes = new Map(referenceParamShapes({ H: cfg.hidden_size, numHeads: cfg.num_attention_heads, inter: cfg.intermediate_size, layers: 2, eps: cfg.layer_norm_eps, C: 1, task: "binary", pooling, frozenLayers: 1, layerSource: "cls" }));
      expect(j.model.names).toEqual([...shapes.keys()]);
      expect(j.groups).toHaveLength(j.model.names.length);
      const want = j.model.names.map((name) => {
        const layer = /^l(\d)\./.exec(name);
        return { lr: layer ? o.lr * o.llrd ** (o.topLayers - 1 - Number(layer[1])) : o.headLr, decay: shapes.get(name)!.length === 2 ? o.weightDecay : 0 };
      });
      j.groups.forEach((g, i) => {
        // wl.w: see the next test
        if (j.model.names[i] !== "wl.w") expect(g.decay, j.model.names[i]).toBe(want[i].decay);
        expect(g.lr, j.model.names[i]).toBeCloseTo(want[i].lr, 15);
      });
      const decayed = j.model.names.filter((_, i) => j.groups[i].decay > 0);
      console.log(`${head}: decayed ${decayed.join(" ")}`);
      expect(decayed).toEqual(expect.arrayContaining(["l0.wqkv", "l1.w2", "out.w", ...(head === "attention-ft" ? ["att.w1", "att.w2"] : [])]));
      for (const n of ["l0.bqkv", "l1.ln2g", "l1.ln1b", "out.b", ...(head === "attention-ft" ? ["att.g", "att.beta", "att.b1"] : [])]) expect(decayed).not.toContain(n);
    } finally {
      await j.release();
    }
  });

  // The decayed-name pattern's `.w` (meant for out.w) also matches wl.w, a vector. Decay scales all
  // of wl.w alike, so the normalised mix is unchanged by it; only Adam's step relative to the
  // shrinking weights differs. Excluding it would move weightedLayer-ft's predictions, so the README
  // says what the code does (README "Fine-tuned heads": "and on weightedLayer-ft's layer weights").
  it("weightedLayer-ft's layer weights wl.w get weight decay, as the README says", async () => {
    const j = await job("weightedLayer-ft", { topLayers: 2, weightDecay: 0.05 });
    try {
      expect(j.groups[j.model.names.indexOf("wl.w")].decay).toBe(0.05);
    } finally {
      await j.release();
    }
  });
});

/** Per-row mean, max and min of each channel of the exported last-layer tokens (tokens.npy, float16), [rows × 3H]. */
function exportedPools(rows: Int32Array, T: number): Float64Array {
  const src = new TokenSource(data.sources.train, "tokens");
  try {
    const b = src.batch(rows);
    expect(b.T).toBe(T);
    return pools(Float64Array.from(b.tokens, half), b.mask, rows.length, T, cfg.hidden_size);
  } finally {
    src.close();
  }
}

function pools(x: ArrayLike<number>, mask: ArrayLike<number>, B: number, T: number, H: number): Float64Array {
  const out = new Float64Array(B * 3 * H);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      let s = 0, n = 0, mx = -Infinity, mn = Infinity;
      for (let t = 0; t < T; t++) {
        if (!mask[b * T + t]) continue;
        const v = x[(b * T + t) * H + h];
        s += v;
        n++;
        mx = Math.max(mx, v);
        mn = Math.min(mn, v);
      }
      out.set([s / n, mx, mn], b * 3 * H + 3 * h);
    }
  return out;
}

/**
 * The cached states are float16 and so are the exported tokens: both round at ~5e-4 relative, and
 * the cache's rounding passes through the layers. Measured worst: 6.5e-4 of (1 + |value|) for k = 1
 * and 2; a layer off by one (measured ≥5) or a cached layer off by one (≥0.67) moves values by O(1).
 */
const POOL_TOL = 5e-3;

/** Worst |pooled − expected| / (1 + |expected|) of the graph's mean / max / min pooling of layers `params` over `batch`. */
async function poolError(k: number, params: Map<string, Float32Array>, batch: { tokens: Uint16Array; mask: Float32Array; T: number }, expected: Float64Array): Promise<number> {
  const H = cfg.hidden_size, B = batch.mask.length / batch.T;
  const got = new Float64Array(B * 3 * H);
  for (const [p, pooling] of (["mean", "max", "min"] as const).entries()) {
    // C = H, identity output, no standardisation: the logits are the pooled top-layer vector
    const dims = { H, numHeads: cfg.num_attention_heads, inter: cfg.intermediate_size, eps: cfg.layer_norm_eps };
    const spec: FinetuneSpec = { ...dims, stack: bertLikeStack(dims), layers: k, C: H, task: "regression", pooling, frozenLayers: 0, layerSource: "cls", training: false };
    const sess = await OrtSession.load(buildFinetuneGraph(spec), { threads: 1 });
    try {
      const eye = new Float32Array(H * H);
      for (let i = 0; i < H; i++) eye[i * H + i] = 1;
      const feeds: Feeds = { hidden: float16(batch.tokens, [B, batch.T, H]), mask: float32(batch.mask, [B, batch.T]), pmu: float32(new Float32Array(H), [H]), psd: float32(new Float32Array(H).fill(1), [H]), "out.w": float32(eye, [H, H]), "out.b": float32(new Float32Array(H), [H]) };
      const shapes = new Map(referenceParamShapes(spec));
      for (const [name, w] of params) feeds[name] = float32(w, shapes.get(name)!);
      const logits = f32((await sess.run(feeds)).logits);
      for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) got[b * 3 * H + 3 * h + p] = logits[b * H + h];
    } finally {
      await sess.release();
    }
  }
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]) / (1 + Math.abs(expected[i])));
  return worst;
}
