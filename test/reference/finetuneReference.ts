/**
 * An independent float64 reference of "train above the cache": the top k BERT layers applied to
 * the cached hidden state of layer L−k, one pooling head, a linear output and the weighted loss.
 * Written from the written spec alone (not from src/finetune/), in plain loops, float64
 * throughout, so that central finite differences of `referenceLoss` can prove the hand-written
 * backward graph. Matrices are row-major and multiply as x·W.
 */
import type { Tensor } from "../../src/io/safetensors.js";

export type FinetuneTask = "binary" | "multiclass" | "regression";
export type FinetunePooling = "mean" | "max" | "min" | "attention" | "weightedLayer";

/** What the reference needs of the spec (a subset of the graph's FinetuneSpec). */
export interface ReferenceSpec {
  /** hidden size */
  H: number;
  numHeads: number;
  /** intermediate (FFN) size */
  inter: number;
  /** k: trained layers on top of the cache */
  layers: number;
  /** LayerNorm epsilon of the transformer layers (MiniLM: 1e-12) */
  eps: number;
  /** outputs */
  C: number;
  task: FinetuneTask;
  pooling: FinetunePooling;
  /** F: frozen per-layer vectors (weightedLayer only, else 0) */
  frozenLayers: number;
  /** weightedLayer: which vector each trained layer contributes */
  layerSource: "cls" | "mean";
}

/** Inputs of one batch, as float64 values (the graph's float16 `hidden` decoded exactly). */
export interface ReferenceInputs {
  B: number;
  T: number;
  /** [B,T,H]; padding positions are 0 by contract */
  hidden: ArrayLike<number>;
  /** [B,T]: 1 valid token, 0 padding */
  mask: ArrayLike<number>;
  /** [B,F,H], weightedLayer only */
  frozen?: ArrayLike<number>;
  /** [H] standardisation of the pooled vector (of the tokens, for attention) */
  pmu: ArrayLike<number>;
  psd: ArrayLike<number>;
  /** [B,C] targets (loss only) */
  y?: ArrayLike<number>;
  /** [B] per-row loss weight (loss only) */
  rw?: ArrayLike<number>;
}

export const LAYER_PARAM_NAMES = ["wqkv", "bqkv", "wo", "bo", "ln1g", "ln1b", "w1", "b1", "w2", "b2", "ln2g", "ln2b"] as const;
export type LayerParamName = (typeof LAYER_PARAM_NAMES)[number];
export type LayerParams = Record<LayerParamName, ArrayLike<number>>;

export interface LayerDims {
  H: number;
  numHeads: number;
  inter: number;
  eps: number;
}

/** LayerNorm epsilon of the attention pooling head's scorer. */
export const ATTENTION_LN_EPS = 1e-5;
/** What a masked key's score is replaced by. */
export const MASKED_SCORE = -1e9;

/** Every parameter the spec defines, with its dims: layers bottom to top, then the pooling head, then the output layer. */
export function referenceParamShapes(spec: ReferenceSpec): [string, number[]][] {
  const { H, inter: I, C } = spec;
  const out: [string, number[]][] = [];
  for (let l = 0; l < spec.layers; l++) {
    const dims: Record<LayerParamName, number[]> = {
      wqkv: [H, 3 * H], bqkv: [3 * H], wo: [H, H], bo: [H], ln1g: [H], ln1b: [H],
      w1: [H, I], b1: [I], w2: [I, H], b2: [H], ln2g: [H], ln2b: [H],
    };
    for (const n of LAYER_PARAM_NAMES) out.push([`l${l}.${n}`, dims[n]]);
  }
  if (spec.pooling === "attention") out.push(["att.w1", [H, H]], ["att.b1", [H]], ["att.g", [H]], ["att.beta", [H]], ["att.w2", [H, 1]]);
  if (spec.pooling === "weightedLayer") out.push(["wl.w", [spec.frozenLayers + spec.layers]]);
  out.push(["out.w", [H, C]], ["out.b", [C]]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// scalar functions

/** erf to ~1e-15: Maclaurin series for |x| < 2.5, continued fraction of erfc beyond. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf(x) = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
    let term = ax, sum = ax;
    for (let n = 1; n < 100; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
  let f = 0;
  for (let n = 80; n >= 1; n--) f = n / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}

/** Exact GELU: x·Φ(x). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

// ---------------------------------------------------------------------------------------------
// dense building blocks, all [rows × cols] row-major

/** y = x·W + b for x [N × inD], W [inD × outD]. */
function affine(x: ArrayLike<number>, N: number, inD: number, W: ArrayLike<number>, b: ArrayLike<number>, outD: number): Float64Array {
  const y = new Float64Array(N * outD);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < outD; o++) {
      let s = b[o];
      for (let i = 0; i < inD; i++) s += x[n * inD + i] * W[i * outD + o];
      y[n * outD + o] = s;
    }
  return y;
}

/** LayerNorm over the last axis, biased variance. */
export function layerNorm(x: ArrayLike<number>, N: number, D: number, g: ArrayLike<number>, b: ArrayLike<number>, eps: number): Float64Array {
  const y = new Float64Array(N * D);
  for (let n = 0; n < N; n++) {
    let mu = 0;
    for (let i = 0; i < D; i++) mu += x[n * D + i];
    mu /= D;
    let v = 0;
    for (let i = 0; i < D; i++) v += (x[n * D + i] - mu) ** 2;
    v /= D;
    const sd = Math.sqrt(v + eps);
    for (let i = 0; i < D; i++) y[n * D + i] = ((x[n * D + i] - mu) / sd) * g[i] + b[i];
  }
  return y;
}

// ---------------------------------------------------------------------------------------------
// one transformer layer

/** The named parameters of trained layer l (`l{l}.wqkv`, …). */
export function layerParams(params: ReadonlyMap<string, ArrayLike<number>>, l: number): LayerParams {
  const get = (n: LayerParamName): ArrayLike<number> => {
    const v = params.get(`l${l}.${n}`);
    if (!v) throw new Error(`missing parameter l${l}.${n}`);
    return v;
  };
  return Object.fromEntries(LAYER_PARAM_NAMES.map((n) => [n, get(n)])) as LayerParams;
}

/**
 * One BERT layer on x [B,T,H] with the key mask [B,T]; every position (padding too) is
 * computed. Masked keys' scores are replaced by −1e9, so a row without a valid key attends
 * uniformly. Returns [B,T,H].
 */
export function referenceLayer(x: ArrayLike<number>, mask: ArrayLike<number>, B: number, T: number, p: LayerParams, d: LayerDims): Float64Array {
  const { H, numHeads: nh, inter: I, eps } = d;
  if (H % nh !== 0) throw new Error(`H=${H} not divisible by ${nh} heads`);
  const dh = H / nh, N = B * T, H3 = 3 * H;
  // 1. attention
  const qkv = affine(x, N, H, p.wqkv, p.bqkv, H3); // columns [q | k | v]
  const ctx = new Float64Array(N * H);
  const s = new Float64Array(T);
  for (let b = 0; b < B; b++)
    for (let j = 0; j < nh; j++)
      for (let t = 0; t < T; t++) {
        const qRow = (b * T + t) * H3 + j * dh;
        let mx = -Infinity;
        for (let u = 0; u < T; u++) {
          if (mask[b * T + u] === 0) s[u] = MASKED_SCORE;
          else {
            const kRow = (b * T + u) * H3 + H + j * dh;
            let dot = 0;
            for (let e = 0; e < dh; e++) dot += qkv[qRow + e] * qkv[kRow + e];
            s[u] = dot / Math.sqrt(dh);
          }
          mx = Math.max(mx, s[u]);
        }
        let Z = 0;
        for (let u = 0; u < T; u++) Z += s[u] = Math.exp(s[u] - mx);
        for (let e = 0; e < dh; e++) {
          let acc = 0;
          for (let u = 0; u < T; u++) acc += (s[u] / Z) * qkv[(b * T + u) * H3 + 2 * H + j * dh + e];
          ctx[(b * T + t) * H + j * dh + e] = acc;
        }
      }
  // 2. a = LN1(ctx·wo + bo + x)
  const pre1 = affine(ctx, N, H, p.wo, p.bo, H);
  for (let i = 0; i < N * H; i++) pre1[i] += x[i];
  const a = layerNorm(pre1, N, H, p.ln1g, p.ln1b, eps);
  // 3. out = LN2(GELU(a·w1 + b1)·w2 + b2 + a)
  const f = affine(a, N, H, p.w1, p.b1, I);
  for (let i = 0; i < f.length; i++) f[i] = gelu(f[i]);
  const pre2 = affine(f, N, I, p.w2, p.b2, H);
  for (let i = 0; i < N * H; i++) pre2[i] += a[i];
  return layerNorm(pre2, N, H, p.ln2g, p.ln2b, eps);
}

// ---------------------------------------------------------------------------------------------
// pooling: each returns [B,H]

function validCount(mask: ArrayLike<number>, b: number, T: number): number {
  let n = 0;
  for (let t = 0; t < T; t++) if (mask[b * T + t] !== 0) n++;
  return n;
}

/** Σ_t mask·h_t / max(Σ_t mask, 1). */
export function maskedMean(h: ArrayLike<number>, mask: ArrayLike<number>, B: number, T: number, H: number): Float64Array {
  const out = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let t = 0; t < T; t++) n += mask[b * T + t];
    const denom = Math.max(n, 1);
    for (let t = 0; t < T; t++) {
      const m = mask[b * T + t];
      if (m === 0) continue;
      for (let j = 0; j < H; j++) out[b * H + j] += (m * h[(b * T + t) * H + j]) / denom;
    }
  }
  return out;
}

/** Max / min over the valid positions; 0 for a row without one. */
export function maskedExtreme(h: ArrayLike<number>, mask: ArrayLike<number>, B: number, T: number, H: number, kind: "max" | "min"): Float64Array {
  const out = new Float64Array(B * H);
  const better = kind === "max" ? (a: number, c: number) => a > c : (a: number, c: number) => a < c;
  for (let b = 0; b < B; b++) {
    if (validCount(mask, b, T) === 0) continue;
    for (let j = 0; j < H; j++) {
      let best = kind === "max" ? -Infinity : Infinity;
      for (let t = 0; t < T; t++) if (mask[b * T + t] !== 0 && better(h[(b * T + t) * H + j], best)) best = h[(b * T + t) * H + j];
      out[b * H + j] = best;
    }
  }
  return out;
}

/** Position 0 of every row, whatever the mask. */
export function firstPosition(h: ArrayLike<number>, B: number, T: number, H: number): Float64Array {
  const out = new Float64Array(B * H);
  for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) out[b * H + j] = h[b * T * H + j];
  return out;
}

export interface AttentionHeadParams {
  /** [H,H] */ w1: ArrayLike<number>;
  /** [H] */ b1: ArrayLike<number>;
  /** [H] */ g: ArrayLike<number>;
  /** [H] */ beta: ArrayLike<number>;
  /** [H,1] */ w2: ArrayLike<number>;
}

/**
 * Attention pooling over the standardised tokens X_t = (h_t − pmu)/psd·mask_t:
 * s_t = GELU(LN_{1e-5}(X_t·w1 + b1)·g + beta)·w2, softmax over the valid t only, pooled = Σ p_t X_t.
 * Returns the pooled (already standardised) [B,H] and the weights [B,T] (0 on padding).
 */
export function attentionPooling(h: ArrayLike<number>, mask: ArrayLike<number>, B: number, T: number, H: number, pmu: ArrayLike<number>, psd: ArrayLike<number>, p: AttentionHeadParams): { pooled: Float64Array; weights: Float64Array } {
  const pooled = new Float64Array(B * H), weights = new Float64Array(B * T);
  const X = new Float64Array(T * H), s = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const m = mask[b * T + t];
      for (let j = 0; j < H; j++) X[t * H + j] = ((h[(b * T + t) * H + j] - pmu[j]) / psd[j]) * m;
    }
    let mx = -Infinity;
    for (let t = 0; t < T; t++) {
      if (mask[b * T + t] === 0) continue;
      const z = layerNorm(affine(X.subarray(t * H, (t + 1) * H), 1, H, p.w1, p.b1, H), 1, H, p.g, p.beta, ATTENTION_LN_EPS);
      let score = 0;
      for (let o = 0; o < H; o++) score += gelu(z[o]) * p.w2[o];
      s[t] = score;
      mx = Math.max(mx, score);
    }
    if (mx === -Infinity) continue; // no valid token: weights 0, pooled 0
    let Z = 0;
    for (let t = 0; t < T; t++) if (mask[b * T + t] !== 0) Z += Math.exp(s[t] - mx);
    for (let t = 0; t < T; t++) {
      if (mask[b * T + t] === 0) continue;
      const w = Math.exp(s[t] - mx) / Z;
      weights[b * T + t] = w;
      for (let j = 0; j < H; j++) pooled[b * H + j] += w * X[t * H + j];
    }
  }
  return { pooled, weights };
}

// ---------------------------------------------------------------------------------------------
// the whole model

export interface ReferenceForward {
  /** output of each trained layer, bottom to top, [B,T,H] each (the last is h_L) */
  layerOutputs: Float64Array[];
  /** the pooled vector before standardisation [B,H]; for attention, the (standardised) attention pool */
  pooled: Float64Array;
  /** the standardised features fed to the output layer [B,H] */
  features: Float64Array;
  /** [B,C] */
  logits: Float64Array;
}

function param(params: ReadonlyMap<string, ArrayLike<number>>, name: string, size: number): ArrayLike<number> {
  const v = params.get(name);
  if (!v) throw new Error(`missing parameter ${name}`);
  if (v.length !== size) throw new Error(`parameter ${name}: ${v.length} values, expected ${size}`);
  return v;
}

/** The forward pass: k layers, pooling, standardisation, output layer. */
export function finetuneForward(spec: ReferenceSpec, params: ReadonlyMap<string, ArrayLike<number>>, inp: ReferenceInputs): ReferenceForward {
  const { H, C } = spec;
  const { B, T, mask, pmu, psd } = inp;
  for (const [name, dims] of referenceParamShapes(spec)) param(params, name, dims.reduce((a, d) => a * d, 1));
  if (inp.hidden.length !== B * T * H || mask.length !== B * T || pmu.length !== H || psd.length !== H) throw new Error("inputs: wrong sizes");
  const dims: LayerDims = { H, numHeads: spec.numHeads, inter: spec.inter, eps: spec.eps };
  const layerOutputs: Float64Array[] = [];
  let x: ArrayLike<number> = inp.hidden;
  for (let l = 0; l < spec.layers; l++) {
    x = referenceLayer(x, mask, B, T, layerParams(params, l), dims);
    layerOutputs.push(x as Float64Array);
  }
  const hL = x;
  const standardise = (v: Float64Array): Float64Array => v.map((val, i) => (val - pmu[i % H]) / psd[i % H]);
  let pooled: Float64Array, features: Float64Array;
  switch (spec.pooling) {
    case "mean":
      pooled = maskedMean(hL, mask, B, T, H);
      features = standardise(pooled);
      break;
    case "max":
    case "min":
      pooled = maskedExtreme(hL, mask, B, T, H, spec.pooling);
      features = standardise(pooled);
      break;
    case "attention": {
      const att: AttentionHeadParams = {
        w1: param(params, "att.w1", H * H), b1: param(params, "att.b1", H), g: param(params, "att.g", H), beta: param(params, "att.beta", H), w2: param(params, "att.w2", H),
      };
      pooled = attentionPooling(hL, mask, B, T, H, pmu, psd, att).pooled;
      features = pooled;
      break;
    }
    case "weightedLayer": {
      const F = spec.frozenLayers, k = spec.layers;
      const w = param(params, "wl.w", F + k);
      if (F > 0 && (!inp.frozen || inp.frozen.length !== B * F * H)) throw new Error("weightedLayer: frozen [B,F,H] missing or wrong size");
      const trained = layerOutputs.map((o) => (spec.layerSource === "cls" ? firstPosition(o, B, T, H) : maskedMean(o, mask, B, T, H)));
      let wsum = 0;
      for (let i = 0; i < F + k; i++) wsum += w[i];
      pooled = new Float64Array(B * H);
      for (let b = 0; b < B; b++)
        for (let j = 0; j < H; j++) {
          let acc = 0;
          for (let i = 0; i < F; i++) acc += w[i] * inp.frozen![(b * F + i) * H + j];
          for (let i = 0; i < k; i++) acc += w[F + i] * trained[i][b * H + j];
          pooled[b * H + j] = acc / wsum;
        }
      features = standardise(pooled);
      break;
    }
  }
  const logits = affine(features, B, H, param(params, "out.w", H * C), param(params, "out.b", C), C);
  return { layerOutputs, pooled, features, logits };
}

/** ℓ of one row from its logits z [C] and targets y [C]. */
export function rowLoss(task: FinetuneTask, z: ArrayLike<number>, y: ArrayLike<number>): number {
  const C = z.length;
  let l = 0;
  if (task === "binary") {
    // per output (C = 1 in practice): softplus form of BCE with logits
    for (let k = 0; k < C; k++) l += Math.max(z[k], 0) - y[k] * z[k] + Math.log1p(Math.exp(-Math.abs(z[k])));
  } else if (task === "multiclass") {
    let mx = -Infinity;
    for (let k = 0; k < C; k++) mx = Math.max(mx, z[k]);
    let se = 0;
    for (let k = 0; k < C; k++) se += Math.exp(z[k] - mx);
    l = mx + Math.log(se);
    for (let k = 0; k < C; k++) l -= y[k] * z[k];
  } else {
    for (let k = 0; k < C; k++) l += 0.5 * (z[k] - y[k]) ** 2;
  }
  return l;
}

/** loss = Σ_b rw_b·ℓ_b, with the logits and the per-row losses. */
export function referenceLoss(spec: ReferenceSpec, params: ReadonlyMap<string, ArrayLike<number>>, inp: ReferenceInputs): { loss: number; logits: Float64Array; rows: Float64Array } {
  const { B } = inp, C = spec.C;
  if (!inp.y || inp.y.length !== B * C || !inp.rw || inp.rw.length !== B) throw new Error("referenceLoss: y [B,C] and rw [B] required");
  const { logits } = finetuneForward(spec, params, inp);
  const rows = new Float64Array(B);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    const y = inp.y;
    rows[b] = rowLoss(spec.task, logits.subarray(b * C, (b + 1) * C), Array.from({ length: C }, (_, k) => y[b * C + k]));
    loss += inp.rw[b] * rows[b];
  }
  return { loss, logits, rows };
}

// ---------------------------------------------------------------------------------------------
// real weights

function transposed(t: Tensor): Float64Array {
  const [r, c] = t.shape;
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return out;
}

/**
 * The parameters of Hugging Face BERT layer `srcLayer` (PyTorch Linear weights [out,in]) under the
 * spec's names for trained layer `l`: wqkv = [Wqᵀ | Wkᵀ | Wvᵀ], wo = Wᵀ, w1 = Wᵀ, w2 = Wᵀ.
 */
export function bertLayerAsParams(weights: ReadonlyMap<string, Tensor>, srcLayer: number, l: number): Map<string, Float64Array> {
  const get = (n: string): Tensor => {
    const t = weights.get(`encoder.layer.${srcLayer}.${n}`) ?? weights.get(`bert.encoder.layer.${srcLayer}.${n}`);
    if (!t) throw new Error(`weights: encoder.layer.${srcLayer}.${n} missing`);
    return t;
  };
  const H = get("attention.self.query.weight").shape[0];
  const wqkv = new Float64Array(H * 3 * H), bqkv = new Float64Array(3 * H);
  ["query", "key", "value"].forEach((n, c) => {
    const w = get(`attention.self.${n}.weight`), b = get(`attention.self.${n}.bias`);
    for (let o = 0; o < H; o++) {
      bqkv[c * H + o] = b.data[o];
      for (let i = 0; i < H; i++) wqkv[i * 3 * H + c * H + o] = w.data[o * H + i];
    }
  });
  const vec = (n: string): Float64Array => Float64Array.from(get(n).data);
  const out = new Map<string, Float64Array>([
    ["wqkv", wqkv], ["bqkv", bqkv],
    ["wo", transposed(get("attention.output.dense.weight"))], ["bo", vec("attention.output.dense.bias")],
    ["ln1g", vec("attention.output.LayerNorm.weight")], ["ln1b", vec("attention.output.LayerNorm.bias")],
    ["w1", transposed(get("intermediate.dense.weight"))], ["b1", vec("intermediate.dense.bias")],
    ["w2", transposed(get("output.dense.weight"))], ["b2", vec("output.dense.bias")],
    ["ln2g", vec("output.LayerNorm.weight")], ["ln2b", vec("output.LayerNorm.bias")],
  ]);
  return new Map([...out].map(([n, v]) => [`l${l}.${n}`, v]));
}

// ---------------------------------------------------------------------------------------------
// seeded random cases for the gradient tests

/** IEEE half bits of x, which must be 0 or a normal half exactly (throws otherwise). */
export function exactHalfBits(x: number): number {
  if (x === 0) return Object.is(x, -0) ? 0x8000 : 0;
  const sign = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  const m = (a / 2 ** e - 1) * 1024;
  if (e < -14 || e > 15 || !Number.isInteger(m)) throw new Error(`${x} is not exactly a normal float16`);
  return sign | ((e + 15) << 10) | m;
}

/** Standard normal draws from a seeded mulberry32 (Box–Muller). */
export function normals(seed: number): () => number {
  let a = seed >>> 0;
  const u = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
}

export interface RandomCase {
  /** every parameter, float32-exact values held as float64 */
  params: Map<string, Float64Array>;
  /** the batch; hidden is float16-exact, everything else float32-exact */
  inputs: Required<ReferenceInputs>;
  /** raw float16 bits of inputs.hidden */
  hiddenBits: Uint16Array;
  /** valid tokens per row (a prefix of each row) */
  lengths: number[];
}

/** A multiple of 1/64 within ±7.9: exactly representable in float16 (and float32). */
export const halfExact = (x: number): number => Math.round(Math.max(-7.9, Math.min(7.9, x)) * 64) / 64;

/**
 * Random parameters and a batch for `spec`: weights ~ N(0, 1/fan_in), LayerNorm gains near 1,
 * small biases, positive layer weights; hidden states float16-exact with zeros at padding.
 */
export function randomCase(spec: ReferenceSpec, B: number, T: number, lengths: readonly number[], seed: number): RandomCase {
  const { H, C, inter: I } = spec;
  const F = spec.pooling === "weightedLayer" ? spec.frozenLayers : 0;
  const rnd = normals(seed);
  const f32 = (n: number, f: () => number): Float64Array => Float64Array.from({ length: n }, () => Math.fround(f()));
  const params = new Map<string, Float64Array>();
  for (const [name, dims] of referenceParamShapes(spec)) {
    const n = dims.reduce((a, d) => a * d, 1);
    const leaf = name.slice(name.indexOf(".") + 1);
    let f: () => number;
    if (leaf === "ln1g" || leaf === "ln2g" || name === "att.g") f = () => 1 + 0.2 * rnd();
    else if (name === "wl.w") f = () => 1 + 0.3 * rnd();
    else if (dims.length === 2) f = () => rnd() / Math.sqrt(name === "out.w" ? 4 : name.endsWith(".w2") && name !== "att.w2" ? I : H);
    else f = () => 0.1 * rnd();
    params.set(name, f32(n, f));
  }
  const hidden = new Float64Array(B * T * H), mask = new Float64Array(B * T);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < lengths[b]; t++) {
      mask[b * T + t] = 1;
      for (let j = 0; j < H; j++) hidden[(b * T + t) * H + j] = halfExact(rnd());
    }
  const hiddenBits = Uint16Array.from(hidden, exactHalfBits);
  const frozen = Float64Array.from({ length: B * F * H }, () => halfExact(rnd()));
  const pmu = f32(H, () => 0.2 * rnd()), psd = f32(H, () => 0.6 + 0.4 * Math.abs(rnd()));
  const y = new Float64Array(B * C);
  for (let b = 0; b < B; b++) {
    if (spec.task === "regression") for (let k = 0; k < C; k++) y[b * C + k] = halfExact(rnd());
    else if (spec.task === "binary") for (let k = 0; k < C; k++) y[b * C + k] = (b + k) % 2 === 0 ? 1 : 0;
    else y[b * C + ((b + 1) % C)] = 1;
  }
  const rw = Float64Array.from({ length: B }, (_, b) => Math.max(1, 4 - b) / 8); // 0.5, 0.375, 0.25, 0.125, …: distinct, exact
  return { params, inputs: { B, T, hidden, mask, frozen, pmu, psd, y, rw }, hiddenBits, lengths: [...lengths] };
}
