/**
 * Builds a BERT encoder ONNX graph from safetensors weights, with the pooling reductions of
 * every head computed inside the graph: only [B,H] / [B,L+1,H] summaries and one fp16 copy of
 * the last layer leave ORT, instead of a float32 [B,T,H] tensor per layer.
 */
import { GraphBuilder, DT } from "../onnx/graphBuilder.js";
import type { BertConfig } from "./bertConfig.js";
import type { Tensor } from "./safetensors.js";

/** Names of the pooled outputs, in the order of contract section 4. */
export const POOLED_OUTPUTS = ["mean", "max", "min", "layers_cls", "layers_mean", "tokens"] as const;
export type PooledOutput = (typeof POOLED_OUTPUTS)[number];

export interface BuildOptions {
  /**
   * "pooled": the poolblend outputs; "lastHidden": only `last_hidden_state` (the transformers.js
   * layout); "hiddenStates": `hidden_states.0..L`, like an export with output_hidden_states.
   */
  outputs: "pooled" | "lastHidden" | "hiddenStates";
  /**
   * Emit ONNX Runtime's fused transformer ops (com.microsoft Attention, SkipLayerNormalization,
   * BiasGelu) instead of the plain-op pattern, which ORT's online optimiser does not fuse.
   */
  fused?: boolean;
  /**
   * "int8": the dense layers (attention output, FFN) as com.microsoft DynamicQuantizeMatMul with
   * per-column symmetric int8 weights. Lossy; needs `fused`. Off by default.
   */
  quantize?: "int8";
}

/** Per-column symmetric int8 quantisation of a [K × N] row-major matrix. */
export function quantizeColumns(w: Float32Array, K: number, N: number): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) scale[n] = Math.max(scale[n], Math.abs(w[k * N + n]));
  for (let n = 0; n < N; n++) scale[n] = scale[n] / 127 || 1;
  const q = Int8Array.from(w, (v, i) => Math.max(-127, Math.min(127, Math.round(v / scale[i % N]))));
  return { q, scale };
}

function transpose2d(t: Tensor): Float32Array {
  const [r, c] = t.shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return out;
}

const FLT_LOWEST = -3.4028234663852886e38;

/** Builds the model bytes. Weight names follow Hugging Face `BertModel` (with or without a `bert.` prefix). */
export function buildBertGraph(weights: Map<string, Tensor>, cfg: BertConfig, opts: BuildOptions): Uint8Array {
  const H = cfg.hiddenSize;
  const nh = cfg.numHeads;
  const dh = H / nh;
  const g = new GraphBuilder(17);
  const prefix = weights.has("bert.embeddings.word_embeddings.weight") ? "bert." : "";
  const w = (name: string): Tensor => {
    const t = weights.get(prefix + name);
    if (!t) throw new Error(`weights: tensor ${prefix + name} missing`);
    return t;
  };
  const init = (name: string): string => g.floats(name, w(name).shape, w(name).data);
  const linear = (x: string, name: string): string => {
    const t = w(`${name}.weight`);
    const wt = g.floats(`${name}.weight_t`, [t.shape[1], t.shape[0]], transpose2d(t));
    return g.op("Add", [g.op("MatMul", [x, wt]), init(`${name}.bias`)]);
  };
  const layerNorm = (x: string, name: string): string =>
    g.op("LayerNormalization", [x, init(`${name}.weight`), init(`${name}.bias`)], { axis: -1, epsilon: { float: cfg.layerNormEps } });

  const ids = g.input({ name: "input_ids", type: DT.INT64, dims: ["batch", "seq"] });
  const mask = g.input({ name: "attention_mask", type: DT.INT64, dims: ["batch", "seq"] });
  const types = g.input({ name: "token_type_ids", type: DT.INT64, dims: ["batch", "seq"] });

  // embeddings
  const seqLen = g.op("Gather", [g.op("Shape", [ids]), g.intList([1])], { axis: 0 });
  const seqScalar = g.op("Squeeze", [seqLen, g.intList([0])]);
  const zero = g.ints("zero_i64", [], [0]);
  const one = g.ints("one_i64", [], [1]);
  const positions = g.op("Range", [zero, seqScalar, one]);
  const emb = g.op("Add", [
    g.op("Add", [g.op("Gather", [init("embeddings.word_embeddings.weight"), ids]), g.op("Gather", [init("embeddings.position_embeddings.weight"), positions])]),
    g.op("Gather", [init("embeddings.token_type_embeddings.weight"), types]),
  ]);
  let x = layerNorm(emb, "embeddings.LayerNorm");
  const hidden: string[] = [x];

  // additive attention bias: 0 on valid keys, the lowest float on padding (exp underflows to exactly 0)
  const maskF = g.op("Cast", [mask], { to: DT.FLOAT });
  const bias = g.op("Unsqueeze", [g.op("Mul", [g.op("Sub", [g.scalar(1), maskF]), g.scalar(FLT_LOWEST)]), g.intList([1, 2])]);
  const headsShape = g.intList([0, 0, nh, dh]);
  const mergeShape = g.intList([0, 0, H]);
  const scale = g.scalar(1 / Math.sqrt(dh));

  const maskI32 = opts.fused ? g.op("Cast", [mask], { to: DT.INT32 }) : "";
  const MS = "com.microsoft";
  const skipLayerNorm = (input: string, skip: string, name: string, biasName: string): string =>
    g.op("SkipLayerNormalization", [input, skip, init(`${name}.weight`), init(`${name}.bias`), init(biasName)], { epsilon: { float: cfg.layerNormEps } }, undefined, MS);
  const matmulT = (inp: string, name: string): string => {
    const t = w(`${name}.weight`);
    const [N, K] = t.shape;
    if (opts.quantize === "int8") {
      const { q, scale } = quantizeColumns(transpose2d(t), K, N);
      return g.op("DynamicQuantizeMatMul", [inp, g.int8s(`${name}.weight_q`, [K, N], q), g.floats(`${name}.weight_scale`, [N], scale), g.int8s(`${name}.weight_zp`, [N], new Int8Array(N))], {}, undefined, MS);
    }
    return g.op("MatMul", [inp, g.floats(`${name}.weight_t`, [K, N], transpose2d(t))]);
  };

  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `encoder.layer.${l}`;
    if (opts.fused) {
      // packed QKV: weights [H, 3H] = [Wqᵀ | Wkᵀ | Wvᵀ], bias [3H]
      const qkv = ["query", "key", "value"].map((n) => transpose2d(w(`${p}.attention.self.${n}.weight`)));
      const packed = new Float32Array(H * 3 * H);
      for (let i = 0; i < H; i++) for (let k = 0; k < 3; k++) packed.set(qkv[k].subarray(i * H, (i + 1) * H), i * 3 * H + k * H);
      const bias = new Float32Array(3 * H);
      ["query", "key", "value"].forEach((n, k) => bias.set(w(`${p}.attention.self.${n}.bias`).data, k * H));
      const ctx = g.op("Attention", [x, g.floats(`${p}.qkv_w`, [H, 3 * H], packed), g.floats(`${p}.qkv_b`, [3 * H], bias), maskI32], { num_heads: nh }, undefined, MS);
      const attnOut = skipLayerNorm(matmulT(ctx, `${p}.attention.output.dense`), x, `${p}.attention.output.LayerNorm`, `${p}.attention.output.dense.bias`);
      const gelu = g.op("BiasGelu", [matmulT(attnOut, `${p}.intermediate.dense`), init(`${p}.intermediate.dense.bias`)], {}, undefined, MS);
      x = skipLayerNorm(matmulT(gelu, `${p}.output.dense`), attnOut, `${p}.output.LayerNorm`, `${p}.output.dense.bias`);
      hidden.push(x);
      continue;
    }
    const split = (name: string, perm: number[]): string => g.op("Transpose", [g.op("Reshape", [linear(x, `${p}.attention.self.${name}`), headsShape])], { perm });
    const q = split("query", [0, 2, 1, 3]);
    const kT = split("key", [0, 2, 3, 1]);
    const v = split("value", [0, 2, 1, 3]);
    const scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, kT]), scale]), bias]);
    const probs = g.op("Softmax", [scores], { axis: -1 });
    const ctx = g.op("Reshape", [g.op("Transpose", [g.op("MatMul", [probs, v])], { perm: [0, 2, 1, 3] }), mergeShape]);
    const attnOut = layerNorm(g.op("Add", [linear(ctx, `${p}.attention.output.dense`), x]), `${p}.attention.output.LayerNorm`);
    const inter = linear(attnOut, `${p}.intermediate.dense`);
    // exact (erf) GELU as in BERT; ORT fuses this pattern into one Gelu kernel
    const gelu = g.op("Mul", [g.op("Mul", [inter, g.scalar(0.5)]), g.op("Add", [g.op("Erf", [g.op("Mul", [inter, g.scalar(Math.SQRT1_2)])]), g.scalar(1)])]);
    x = layerNorm(g.op("Add", [linear(gelu, `${p}.output.dense`), attnOut]), `${p}.output.LayerNorm`);
    hidden.push(x);
  }

  if (opts.outputs === "hiddenStates") {
    hidden.forEach((h, i) => {
      g.op("Identity", [h], {}, `hidden_states.${i}`);
      g.output({ name: `hidden_states.${i}`, type: DT.FLOAT, dims: ["batch", "seq", H] });
    });
    return g.toBytes("bert_hidden_states");
  }
  if (opts.outputs === "lastHidden") {
    g.op("Identity", [x], {}, "last_hidden_state");
    g.output({ name: "last_hidden_state", type: DT.FLOAT, dims: ["batch", "seq", H] });
    return g.toBytes("bert_last_hidden");
  }

  addPooledOutputs(g, hidden, maskF, H);
  return g.toBytes("bert_pooled");
}

/**
 * Appends the pooled outputs of contract section 4 to a graph whose hidden states (index 0 =
 * embedding output, last = final layer, each [B,T,H] float32) and float mask [B,T] are named.
 * Masked reductions: a row with no valid token yields zeros, never NaN or ±FLT_MAX.
 */
export function addPooledOutputs(g: GraphBuilder, hidden: readonly string[], maskF: string, H: number): void {
  const x = hidden[hidden.length - 1];
  const m3 = g.op("Unsqueeze", [maskF, g.intList([2])]);
  const mBool = g.op("Cast", [m3], { to: DT.BOOL });
  const count = g.op("ReduceSum", [maskF, g.intList([1])], { keepdims: 1 });
  const hasTokens = g.op("Greater", [count, g.scalar(0)]);
  const denom = g.op("Max", [count, g.scalar(1)]);
  // masked mean as one batched product: (mask / count) [B,1,T] × h [B,T,H] — no [B,T,H] temporary
  const meanWeights = g.op("Unsqueeze", [g.op("Div", [maskF, denom]), g.intList([1])]);
  const maskedMean = (h: string): string => g.op("Squeeze", [g.op("MatMul", [meanWeights, h]), g.intList([1])]);
  const guarded = (v: string): string => g.op("Where", [hasTokens, v, g.scalar(0)]);

  g.op("Identity", [maskedMean(x)], {}, "mean");
  g.op("Identity", [guarded(g.op("ReduceMax", [g.op("Where", [mBool, x, g.scalar(FLT_LOWEST)])], { axes: [1], keepdims: 0 }))], {}, "max");
  g.op("Identity", [guarded(g.op("ReduceMin", [g.op("Where", [mBool, x, g.scalar(-FLT_LOWEST)])], { axes: [1], keepdims: 0 }))], {}, "min");
  const axis1 = g.intList([1]);
  const cls = hidden.map((h) => g.op("Unsqueeze", [g.op("Gather", [h, g.intScalar(0)], { axis: 1 }), axis1]));
  g.op("Concat", cls, { axis: 1 }, "layers_cls");
  const means = hidden.map((h) => g.op("Unsqueeze", [maskedMean(h), axis1]));
  g.op("Concat", means, { axis: 1 }, "layers_mean");
  g.op("Cast", [x], { to: DT.FLOAT16 }, "tokens");
  // every lower layer's states too, for the fine-tuned heads' cache; the feature pass asks only for the one it stores
  hidden.slice(0, -1).forEach((h, i) => g.op("Cast", [h], { to: DT.FLOAT16 }, hiddenOutput(i)));

  const L1 = hidden.length;
  g.output({ name: "mean", type: DT.FLOAT, dims: ["batch", H] });
  g.output({ name: "max", type: DT.FLOAT, dims: ["batch", H] });
  g.output({ name: "min", type: DT.FLOAT, dims: ["batch", H] });
  g.output({ name: "layers_cls", type: DT.FLOAT, dims: ["batch", L1, H] });
  g.output({ name: "layers_mean", type: DT.FLOAT, dims: ["batch", L1, H] });
  g.output({ name: "tokens", type: DT.FLOAT16, dims: ["batch", "seq", H] });
  hidden.slice(0, -1).forEach((_, i) => g.output({ name: hiddenOutput(i), type: DT.FLOAT16, dims: ["batch", "seq", H] }));
}

/** Name of the float16 output (and of the feature array) holding hidden state `layer` (0 = embedding output). */
export function hiddenOutput(layer: number): string {
  return `hidden_${layer}`;
}
