/**
 * DeBERTa-v3 for the inference graph, from the checkpoint's tensors: embeddings (words, LayerNorm,
 * padding zeroed; no absolute positions unless the config asks) and layers with disentangled
 * attention (transformers' `DisentangledSelfAttention`):
 *
 *   S = (q·kᵀ + c2p + p2c) / √(dh·(1 + #terms)),  c2p[i,j] = q_i · posK[row(i−j)],  p2c[i,j] = k_j · posQ[row(i−j)]
 *
 * with posK/posQ the (LayerNorm'd) relative embeddings through the key/query projections (the
 * layer's own when share_att_key) and row() the clamped, log-bucketed table of
 * relativePositions.ts. The [T,T] gathers are plain ONNX Gathers over the flattened [T·2span]
 * products, so no [B,nh,T,T] index tensor is materialised. No ONNX Runtime kernel fuses this
 * attention; with `fused`, the dense + residual + LayerNorm and dense + GELU steps use
 * SkipLayerNormalization and BiasGelu.
 */
import { DT } from "../../onnx/graphBuilder.js";
import type { EncoderInputs, GraphContext, GraphInputs } from "../types.js";
import { layerNorm, linear, transpose2d } from "../bertLike/frozenLayers.js";
import { debertaSettings, type DebertaSettings } from "./config.js";
import { relativeRowTable } from "./relativePositions.js";

const FLT_LOWEST = -3.4028234663852886e38;
const MS = "com.microsoft";

/** word (+ position, + type) embeddings → embed_proj when narrower → LayerNorm → × mask */
export function debertaEmbeddings(c: GraphContext, inputs: GraphInputs): string {
  const { g, cfg } = c;
  const s = debertaSettings(cfg);
  let x = g.op("Gather", [c.init("embeddings.word_embeddings.weight"), inputs.ids]);
  if (s.positionBiasedInput) {
    const T = g.op("Squeeze", [g.op("Gather", [g.op("Shape", [inputs.ids]), g.intList([1])], { axis: 0 }), g.intList([0])]);
    const positions = g.op("Range", [g.ints("zero_i64", [], [0]), T, g.ints("one_i64", [], [1])]);
    x = g.op("Add", [x, g.op("Gather", [c.init("embeddings.position_embeddings.weight"), positions])]);
  }
  if (cfg.typeVocabSize > 1 && inputs.types) x = g.op("Add", [x, g.op("Gather", [c.init("embeddings.token_type_embeddings.weight"), inputs.types])]);
  else if (cfg.typeVocabSize === 1) x = g.op("Add", [x, c.init("embeddings.token_type_embeddings.weight")]);
  if (s.embeddingSize !== cfg.hiddenSize) {
    const t = c.tensor("embeddings.embed_proj.weight");
    x = g.op("MatMul", [x, g.floats("embeddings.embed_proj.weight_t", [t.shape[1], t.shape[0]], transpose2d(t))]);
  }
  const normed = layerNorm(c, x, "embeddings.LayerNorm");
  const mask3 = g.op("Unsqueeze", [g.op("Cast", [inputs.mask], { to: DT.FLOAT }), g.intList([2])]);
  return g.op("Mul", [normed, mask3]);
}

/**
 * The rows of the relative table a sequence of T tokens reaches, [lo, hi] (the rows of distances
 * ±(T − 1); the map is monotone), and flat indices into the [T·(hi − lo + 1)] products for c2p
 * (row i) and p2c (row j), both [T,T]. Short rows use only part of the table: for T ≤ buckets / 2,
 * 2T − 1 of its 2·buckets rows, so the position products shrink with T.
 */
function relativeIndices(c: GraphContext, ids: string, s: DebertaSettings): { c2p: string; p2c: string; lo: string; end: string } {
  const g = c.g;
  const { rows, maxDistance: D } = relativeRowTable(s);
  const table = g.ints("deberta.relative_rows", [rows.length], rows);
  const T = g.op("Squeeze", [g.op("Gather", [g.op("Shape", [ids]), g.intList([1])], { axis: 0 }), g.intList([0])]);
  const r = g.op("Range", [g.ints("zero_i64", [], [0]), T, g.ints("one_i64", [], [1])]);
  const col = g.op("Unsqueeze", [r, g.intList([1])]);
  const row = g.op("Unsqueeze", [r, g.intList([0])]);
  const rowOf = (dist: string): string =>
    g.op("Gather", [table, g.op("Add", [g.op("Min", [g.op("Max", [dist, g.ints("deberta.minus_d", [], [-D])]), g.ints("deberta.plus_d", [], [D])]), g.ints("deberta.d", [], [D])])]);
  const last = g.op("Sub", [T, g.ints("one_i64", [], [1])]);
  const lo = rowOf(g.op("Neg", [last])), hi = rowOf(last);
  const width = g.op("Add", [g.op("Sub", [hi, lo]), g.ints("one_i64", [], [1])]);
  const rel = g.op("Sub", [rowOf(g.op("Sub", [col, row])), lo]); // row of i − j, from lo
  return { c2p: g.op("Add", [g.op("Mul", [col, width]), rel]), p2c: g.op("Add", [g.op("Mul", [row, width]), rel]), lo: g.op("Unsqueeze", [lo, g.intList([0])]), end: g.op("Unsqueeze", [g.op("Add", [hi, g.ints("one_i64", [], [1])]), g.intList([0])]) };
}

/** The (LayerNorm'd) relative embeddings, the rows this sequence reaches. */
function relativeEmbeddings(c: GraphContext, s: DebertaSettings, idx: { lo: string; end: string }): string {
  const t = c.tensor("encoder.rel_embeddings.weight");
  const H = t.shape[1];
  const rel = c.g.floats("encoder.rel_embeddings.used", [2 * s.span, H], t.data.subarray(0, 2 * s.span * H));
  const normed = s.normRelEmbeddings ? layerNorm(c, rel, "encoder.LayerNorm") : rel;
  return c.g.op("Slice", [normed, idx.lo, idx.end, c.g.intList([0])]);
}

interface Shared {
  s: DebertaSettings;
  bias: string;
  idx: ReturnType<typeof relativeIndices>;
  rel: string;
  headsShape: string;
  mergeShape: string;
  scale: number;
  /** int32 attention mask for MultiHeadAttention (fused only) */
  maskI32: string;
}

/** Emits the layers over hidden state 0; returns hidden states 0 … L. */
export function debertaEncoder(c: GraphContext, x0: string, inputs: EncoderInputs): string[] {
  const { g, cfg } = c;
  const s = debertaSettings(cfg);
  const nh = cfg.numHeads, dh = cfg.hiddenSize / nh;
  const idx = relativeIndices(c, inputs.ids, s);
  const shared: Shared = {
    s,
    // additive key bias: 0 on valid keys, the lowest float on padding (exp underflows to exactly 0)
    bias: g.op("Unsqueeze", [g.op("Mul", [g.op("Sub", [g.scalar(1), inputs.maskFloat]), g.scalar(FLT_LOWEST)]), g.intList([1, 2])]),
    idx,
    rel: relativeEmbeddings(c, s, idx),
    headsShape: g.intList([0, 0, nh, dh]),
    mergeShape: g.intList([0, 0, cfg.hiddenSize]),
    scale: 1 / Math.sqrt(dh * (1 + Number(s.c2p) + Number(s.p2c))),
    maskI32: c.opts.fused ? g.op("Cast", [inputs.mask], { to: DT.INT32 }) : "",
  };
  const hidden = [x0];
  for (let l = 0; l < cfg.numLayers; l++) hidden.push(layer(c, `encoder.layer.${l}`, hidden[l], shared));
  return hidden;
}

/** The relative table through a projection, per head and transposed for the product: [nh, dh, 2span]. */
function positionProjection(c: GraphContext, k: Shared, name: string, scale?: number): string {
  const g = c.g;
  const proj = linear(c, k.rel, name);
  const scaled = scale === undefined ? proj : g.op("Mul", [proj, g.scalar(scale)]);
  const heads = g.op("Reshape", [scaled, g.intList([0, c.cfg.numHeads, c.cfg.hiddenSize / c.cfg.numHeads])]);
  return g.op("Transpose", [heads], { perm: [1, 2, 0] });
}

function layer(c: GraphContext, p: string, x: string, k: Shared): string {
  const g = c.g;
  const a = `${p}.attention.self`;
  const heads = (t: string, perm: number[]): string => g.op("Transpose", [g.op("Reshape", [t, k.headsShape])], { perm });
  const gathered = (prod: string, idx: string): string => g.op("Gather", [g.op("Reshape", [prod, g.intList([0, 0, -1])]), idx], { axis: 2 });
  const qf = linear(c, x, `${a}.query_proj`), kf = linear(c, x, `${a}.key_proj`), vf = linear(c, x, `${a}.value_proj`);
  const q = heads(qf, [0, 2, 1, 3]), key = heads(kf, [0, 2, 1, 3]);
  // the relative terms, already scaled: c·q·posKᵀ (scale folded into posK) and k·(c·posQ)ᵀ
  const terms: string[] = [];
  if (k.s.c2p) terms.push(gathered(g.op("MatMul", [q, positionProjection(c, k, k.s.shareAttKey ? `${a}.key_proj` : `${a}.pos_key_proj`, k.scale)]), k.idx.c2p));
  if (k.s.p2c) terms.push(gathered(g.op("MatMul", [key, positionProjection(c, k, k.s.shareAttKey ? `${a}.query_proj` : `${a}.pos_query_proj`, k.scale)]), k.idx.p2c));
  const rel = terms.length === 0 ? undefined : terms.length === 1 ? terms[0] : g.op("Add", terms);
  if (c.opts.fused) {
    // ONNX Runtime's MultiHeadAttention: c·q·kᵀ + the relative terms as its attention bias, padding keys masked, softmax, ·v
    const ctx = g.op("MultiHeadAttention", [qf, kf, vf, "", k.maskI32, rel ?? ""], { num_heads: c.cfg.numHeads, scale: { float: k.scale } }, undefined, MS);
    return fusedOutput(c, p, ctx, x);
  }
  const content = g.op("MatMul", [g.op("Mul", [q, g.scalar(k.scale)]), g.op("Transpose", [key], { perm: [0, 1, 3, 2] })]);
  const scores = rel ? g.op("Add", [content, rel]) : content;
  const probs = g.op("Softmax", [g.op("Add", [scores, k.bias])], { axis: -1 });
  const ctx = g.op("Reshape", [g.op("Transpose", [g.op("MatMul", [probs, heads(vf, [0, 2, 1, 3])])], { perm: [0, 2, 1, 3] }), k.mergeShape]);
  return plainOutput(c, p, ctx, x);
}

function plainOutput(c: GraphContext, p: string, ctx: string, x: string): string {
  const g = c.g;
  const attnOut = layerNorm(c, g.op("Add", [linear(c, ctx, `${p}.attention.output.dense`), x]), `${p}.attention.output.LayerNorm`);
  const inter = linear(c, attnOut, `${p}.intermediate.dense`);
  const gelu = g.op("Mul", [g.op("Mul", [inter, g.scalar(0.5)]), g.op("Add", [g.op("Erf", [g.op("Mul", [inter, g.scalar(Math.SQRT1_2)])]), g.scalar(1)])]);
  return layerNorm(c, g.op("Add", [linear(c, gelu, `${p}.output.dense`), attnOut]), `${p}.output.LayerNorm`);
}

function fusedOutput(c: GraphContext, p: string, ctx: string, x: string): string {
  const g = c.g;
  const matmul = (inp: string, name: string): string => {
    const t = c.tensor(`${name}.weight`);
    return g.op("MatMul", [inp, g.floats(`${name}.weight_t`, [t.shape[1], t.shape[0]], transpose2d(t))]);
  };
  const skipLn = (inp: string, skip: string, ln: string, bias: string): string =>
    g.op("SkipLayerNormalization", [inp, skip, c.init(`${ln}.weight`), c.init(`${ln}.bias`), c.init(bias)], { epsilon: { float: c.cfg.layerNormEps } }, undefined, MS);
  const attnOut = skipLn(matmul(ctx, `${p}.attention.output.dense`), x, `${p}.attention.output.LayerNorm`, `${p}.attention.output.dense.bias`);
  const gelu = g.op("BiasGelu", [matmul(attnOut, `${p}.intermediate.dense`), c.init(`${p}.intermediate.dense.bias`)], {}, undefined, MS);
  return skipLn(matmul(gelu, `${p}.output.dense`), attnOut, `${p}.output.LayerNorm`, `${p}.output.dense.bias`);
}
