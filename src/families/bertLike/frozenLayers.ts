/**
 * The post-LayerNorm transformer layers of BERT, RoBERTa and ELECTRA for the inference graph,
 * from the checkpoint's `encoder.layer.N.*` tensors: as plain ops, or as ONNX Runtime's fused
 * ops (com.microsoft Attention, SkipLayerNormalization, BiasGelu; optionally int8
 * DynamicQuantizeMatMul), which ORT's online optimiser does not produce from the plain pattern.
 */
import { DT } from "../../onnx/graphBuilder.js";
import type { Tensor } from "../../io/safetensors.js";
import type { EncoderInputs, GraphContext } from "../types.js";

const FLT_LOWEST = -3.4028234663852886e38;

/** Per-column symmetric int8 quantisation of a [K × N] row-major matrix. */
export function quantizeColumns(w: Float32Array, K: number, N: number): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) scale[n] = Math.max(scale[n], Math.abs(w[k * N + n]));
  for (let n = 0; n < N; n++) scale[n] = scale[n] / 127 || 1;
  const q = Int8Array.from(w, (v, i) => Math.max(-127, Math.min(127, Math.round(v / scale[i % N]))));
  return { q, scale };
}

/** [out, in] (PyTorch Linear) → [in, out] */
export function transpose2d(t: Tensor): Float32Array {
  const [r, c] = t.shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return out;
}

/** x·Wᵀ + b for the PyTorch Linear `name`. */
export function linear(c: GraphContext, x: string, name: string): string {
  const t = c.tensor(`${name}.weight`);
  const wt = c.g.floats(`${name}.weight_t`, [t.shape[1], t.shape[0]], transpose2d(t));
  return c.g.op("Add", [c.g.op("MatMul", [x, wt]), c.init(`${name}.bias`)]);
}

export function layerNorm(c: GraphContext, x: string, name: string): string {
  return c.g.op("LayerNormalization", [x, c.init(`${name}.weight`), c.init(`${name}.bias`)], { axis: -1, epsilon: { float: c.cfg.layerNormEps } });
}

/** Emits `cfg.numLayers` layers over x0; returns hidden states 0 … L. */
export function bertLikeEncoder(c: GraphContext, x0: string, inputs: EncoderInputs): string[] {
  const { g, cfg, opts } = c;
  const H = cfg.hiddenSize, nh = cfg.numHeads, dh = H / nh;
  let x = x0;
  const hidden: string[] = [x];
  // additive attention bias: 0 on valid keys, the lowest float on padding (exp underflows to exactly 0)
  const bias = g.op("Unsqueeze", [g.op("Mul", [g.op("Sub", [g.scalar(1), inputs.maskFloat]), g.scalar(FLT_LOWEST)]), g.intList([1, 2])]);
  const headsShape = g.intList([0, 0, nh, dh]);
  const mergeShape = g.intList([0, 0, H]);
  const scale = g.scalar(1 / Math.sqrt(dh));
  const maskI32 = opts.fused ? g.op("Cast", [inputs.mask], { to: DT.INT32 }) : "";
  for (let l = 0; l < cfg.numLayers; l++) {
    x = opts.fused ? fusedLayer(c, `encoder.layer.${l}`, x, maskI32) : plainLayer(c, `encoder.layer.${l}`, x, { bias, headsShape, mergeShape, scale });
    hidden.push(x);
  }
  return hidden;
}

function plainLayer(c: GraphContext, p: string, x: string, k: { bias: string; headsShape: string; mergeShape: string; scale: string }): string {
  const g = c.g;
  const split = (name: string, perm: number[]): string => g.op("Transpose", [g.op("Reshape", [linear(c, x, `${p}.attention.self.${name}`), k.headsShape])], { perm });
  const q = split("query", [0, 2, 1, 3]);
  const kT = split("key", [0, 2, 3, 1]);
  const v = split("value", [0, 2, 1, 3]);
  const scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, kT]), k.scale]), k.bias]);
  const probs = g.op("Softmax", [scores], { axis: -1 });
  const ctx = g.op("Reshape", [g.op("Transpose", [g.op("MatMul", [probs, v])], { perm: [0, 2, 1, 3] }), k.mergeShape]);
  const attnOut = layerNorm(c, g.op("Add", [linear(c, ctx, `${p}.attention.output.dense`), x]), `${p}.attention.output.LayerNorm`);
  const inter = linear(c, attnOut, `${p}.intermediate.dense`);
  // exact (erf) GELU as in BERT; ORT fuses this pattern into one Gelu kernel
  const gelu = g.op("Mul", [g.op("Mul", [inter, g.scalar(0.5)]), g.op("Add", [g.op("Erf", [g.op("Mul", [inter, g.scalar(Math.SQRT1_2)])]), g.scalar(1)])]);
  return layerNorm(c, g.op("Add", [linear(c, gelu, `${p}.output.dense`), attnOut]), `${p}.output.LayerNorm`);
}

const MS = "com.microsoft";

function fusedLayer(c: GraphContext, p: string, x: string, maskI32: string): string {
  const { g, cfg } = c;
  const H = cfg.hiddenSize;
  const skipLayerNorm = (input: string, skip: string, name: string, biasName: string): string =>
    g.op("SkipLayerNormalization", [input, skip, c.init(`${name}.weight`), c.init(`${name}.bias`), c.init(biasName)], { epsilon: { float: cfg.layerNormEps } }, undefined, MS);
  // packed QKV: weights [H, 3H] = [Wqᵀ | Wkᵀ | Wvᵀ], bias [3H]
  const qkv = ["query", "key", "value"].map((n) => transpose2d(c.tensor(`${p}.attention.self.${n}.weight`)));
  const packed = new Float32Array(H * 3 * H);
  for (let i = 0; i < H; i++) for (let k = 0; k < 3; k++) packed.set(qkv[k].subarray(i * H, (i + 1) * H), i * 3 * H + k * H);
  const bias = new Float32Array(3 * H);
  ["query", "key", "value"].forEach((n, k) => bias.set(c.tensor(`${p}.attention.self.${n}.bias`).data, k * H));
  const ctx = g.op("Attention", [x, g.floats(`${p}.qkv_w`, [H, 3 * H], packed), g.floats(`${p}.qkv_b`, [3 * H], bias), maskI32], { num_heads: cfg.numHeads }, undefined, MS);
  const attnOut = skipLayerNorm(matmulT(c, ctx, `${p}.attention.output.dense`), x, `${p}.attention.output.LayerNorm`, `${p}.attention.output.dense.bias`);
  const gelu = g.op("BiasGelu", [matmulT(c, attnOut, `${p}.intermediate.dense`), c.init(`${p}.intermediate.dense.bias`)], {}, undefined, MS);
  return skipLayerNorm(matmulT(c, gelu, `${p}.output.dense`), attnOut, `${p}.output.LayerNorm`, `${p}.output.dense.bias`);
}

/** x·Wᵀ without the bias (the fused op that follows adds it), int8 when asked. */
function matmulT(c: GraphContext, inp: string, name: string): string {
  const g = c.g;
  const t = c.tensor(`${name}.weight`);
  const [N, K] = t.shape;
  if (c.opts.quantize === "int8") {
    const { q, scale } = quantizeColumns(transpose2d(t), K, N);
    return g.op("DynamicQuantizeMatMul", [inp, g.int8s(`${name}.weight_q`, [K, N], q), g.floats(`${name}.weight_scale`, [N], scale), g.int8s(`${name}.weight_zp`, [N], new Int8Array(N))], {}, undefined, MS);
  }
  return g.op("MatMul", [inp, g.floats(`${name}.weight_t`, [K, N], transpose2d(t))]);
}
