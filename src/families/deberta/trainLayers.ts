/**
 * The top k DeBERTa-v3 layers as the fine-tuned heads' trainable stack: forward and hand-written
 * backward from standard ONNX ops (plus com.microsoft FusedMatMul through LayerOps).
 *
 *   R = LN_rel(rel)                      relative embeddings [2S,H] (S = span), LayerNorm'd if the config says so
 *   q, k, v = x·W{q,k,v} + b;  posQ = R·Wq' + bq', posK = R·Wk' + bk'   (' = the layer's own q/k when share_att_key)
 *   Σ[i,j] = c·(q_i·k_j + q_i·posK[ρ(i,j)] + k_j·posQ[ρ(i,j)])   c = 1/√(dh·(1 + #terms)), ρ the clamped log buckets
 *   P = softmax(Σ, padding keys replaced by −1e9); a = LN1(P·v·Wo + bo + x); out = LN2(GELU(a·W1 + b1)·W2 + b2 + a)
 *
 * The relative embeddings and their LayerNorm belong to the whole encoder in the checkpoint; the
 * stack trains its own copy (`rel.emb`, `rel.g`, `rel.b`, at the layers' base rate), shared by
 * its k layers, while the frozen layers below keep the checkpoint's. The backward pass of the
 * relative gathers scatters with ScatterElements(reduction "add") over the [T,T] row map.
 */
import { DT } from "../../onnx/graphBuilder.js";
import type { LayerOps } from "../../onnx/trainOps.js";
import type { Tensor } from "../../io/safetensors.js";
import type { EncoderConfig, TrainableStack } from "../types.js";
import { debertaSettings, type DebertaSettings } from "./config.js";
import { relativeRowTable } from "./relativePositions.js";
import { outputBlockBackward, outputBlockForward, pretrainedLayer, softmaxAttentionBackward, type OutputBlockCache } from "../bertLike/trainLayers.js";
import { transpose2d } from "../bertLike/frozenLayers.js";

interface Dims {
  H: number;
  nh: number;
  I: number;
  /** rows of the relative table used (2 × span) */
  S2: number;
  scale: number;
  s: DebertaSettings;
}

/** Parameters of layer l, in input order, with shapes. */
function layerParams(l: number, d: Dims): [string, number[]][] {
  const { H, I } = d;
  const pos: [string, number[]][] = d.s.shareAttKey ? [] : [
    ...(d.s.p2c ? ([[`l${l}.wpq`, [H, H]], [`l${l}.bpq`, [H]]] as [string, number[]][]) : []),
    ...(d.s.c2p ? ([[`l${l}.wpk`, [H, H]], [`l${l}.bpk`, [H]]] as [string, number[]][]) : []),
  ];
  return [
    [`l${l}.wqkv`, [H, 3 * H]], [`l${l}.bqkv`, [3 * H]], ...pos, [`l${l}.wo`, [H, H]], [`l${l}.bo`, [H]], [`l${l}.ln1g`, [H]], [`l${l}.ln1b`, [H]],
    [`l${l}.w1`, [H, I]], [`l${l}.b1`, [I]], [`l${l}.w2`, [I, H]], [`l${l}.b2`, [H]], [`l${l}.ln2g`, [H]], [`l${l}.ln2b`, [H]],
  ];
}

function sharedParams(d: Dims): [string, number[]][] {
  return [["rel.emb", [d.S2, d.H]], ...(d.s.normRelEmbeddings ? ([["rel.g", [d.H]], ["rel.b", [d.H]]] as [string, number[]][]) : [])];
}

/** Per-T constants: the row map ρ [T,T], and flat indices into [T·2S] for the c2p (by i) and p2c (by j) gathers. */
function relativeMaps(o: LayerOps, d: Dims, x: string): { rho: string; rhoT: string; c2p: string; p2c: string } {
  const g = o.g;
  const { rows, maxDistance: D } = relativeRowTable(d.s);
  const T = g.op("Squeeze", [g.op("Gather", [g.op("Shape", [x]), g.intList([1])], { axis: 0 }), g.intList([0])]);
  const r = g.op("Range", [g.ints("ft.zero_i64", [], [0]), T, g.ints("ft.one_i64", [], [1])]);
  const col = g.op("Unsqueeze", [r, g.intList([1])]), row = g.op("Unsqueeze", [r, g.intList([0])]);
  const clipped = g.op("Add", [g.op("Clip", [g.op("Sub", [col, row]), g.ints("ft.minus_d", [], [-D]), g.ints("ft.d", [], [D])]), g.ints("ft.d", [], [D])]);
  const rho = g.op("Gather", [g.ints("ft.relative_rows", [rows.length], rows), clipped]);
  const width = g.ints("ft.two_span", [], [d.S2]);
  return { rho, rhoT: g.op("Transpose", [rho], { perm: [1, 0] }), c2p: g.op("Add", [g.op("Mul", [col, width]), rho]), p2c: g.op("Add", [g.op("Mul", [row, width]), rho]) };
}

interface Shared {
  /** the (normalised) relative embeddings [1,2S,H] */
  R: string;
  maps: ReturnType<typeof relativeMaps>;
}

interface Cache extends OutputBlockCache {
  x: string;
  qs: string;
  k: string;
  v: string;
  P: string;
  posK?: string;
  posQs?: string;
}

/** [1,2S,H] → [1,nh,2S,dh] */
const relHeads = (o: LayerOps, t: string): string => o.splitHeads(t);

function layerForward(o: LayerOps, d: Dims, sh: Shared, l: number, x: string): { out: string; cache: Cache } {
  const g = o.g;
  const { H } = d;
  const p = (n: string): string => `l${l}.${n}`;
  const qkv = o.dense(x, p("wqkv"), p("bqkv"));
  const [qf, kf, vf] = ["q", "k", "v"].map((n) => `${p(n)}_flat`);
  g.ops("Split", [qkv, g.intList([H, H, H])], [qf, kf, vf], { axis: 2 });
  const c = g.scalar(d.scale);
  const qs = g.op("Mul", [o.splitHeads(qf), c]), k = o.splitHeads(kf), v = o.splitHeads(vf);
  let S = g.op("MatMul", [qs, g.op("Transpose", [k], { perm: [0, 1, 3, 2] })]);
  const flatGather = (prod: string, idx: string): string => g.op("Gather", [g.op("Reshape", [prod, g.intList([0, 0, -1])]), idx], { axis: 2 });
  const wSlice = (from: number): string => g.op("Slice", [p("wqkv"), g.intList([from]), g.intList([from + H]), g.intList([1])]);
  const bSlice = (from: number): string => g.op("Slice", [p("bqkv"), g.intList([from]), g.intList([from + H]), g.intList([0])]);
  let posK: string | undefined, posQs: string | undefined;
  if (d.s.c2p) {
    posK = relHeads(o, d.s.shareAttKey ? o.dense(sh.R, wSlice(H), bSlice(H)) : o.dense(sh.R, p("wpk"), p("bpk")));
    S = g.op("Add", [S, flatGather(g.op("MatMul", [qs, g.op("Transpose", [posK], { perm: [0, 1, 3, 2] })]), sh.maps.c2p)]);
  }
  if (d.s.p2c) {
    const posQ = relHeads(o, d.s.shareAttKey ? o.dense(sh.R, wSlice(0), bSlice(0)) : o.dense(sh.R, p("wpq"), p("bpq")));
    posQs = g.op("Mul", [posQ, c]);
    S = g.op("Add", [S, flatGather(g.op("MatMul", [k, g.op("Transpose", [posQs], { perm: [0, 1, 3, 2] })]), sh.maps.p2c)]);
  }
  // replaced, not added: a row with no valid key attends uniformly instead of producing NaN
  const P = g.op("Softmax", [g.op("Where", [o.keyValid, S, g.scalar(-1e9)])], { axis: -1 });
  const block = outputBlockForward(o, l, o.mergeHeads(g.op("MatMul", [P, v])), x);
  return { out: block.out, cache: { ...block.cache, x, qs, k, v, P, posK, posQs } };
}

/** Σ_j of dΣ into the [T·2S]-flattened product's rows: ScatterElements(add) of dΣ [B,nh,T,T] by the row map. */
function scatterRows(o: LayerOps, d: Dims, dS: string, map: string): string {
  const g = o.g;
  const shape = g.op("Shape", [dS]);
  const zeros = g.op("ConstantOfShape", [g.op("Concat", [g.op("Slice", [shape, g.intList([0]), g.intList([3])]), g.intList([d.S2])], { axis: 0 })], { value: { tensor: { dataType: DT.FLOAT, dims: [1], floatData: [0] } } });
  return g.op("ScatterElements", [zeros, g.op("Expand", [map, shape]), dS], { axis: 3, reduction: "add" });
}

/** Layer l's backward pass from dout: writes `grad.l{l}.*`, adds the relative embeddings' gradient to `dR`, returns dx. */
function layerBackward(o: LayerOps, d: Dims, sh: Shared, c: Cache, dout: string, dR: string[]): string {
  const g = o.g;
  const { H } = d;
  const p = (n: string): string => `l${c.l}.${n}`;
  const gr = (n: string): string => `grad.l${c.l}.${n}`;
  const T = (t: string): string => g.op("Transpose", [t], { perm: [0, 1, 3, 2] });
  const { dz1, dctx } = outputBlockBackward(o, c, dout);
  const soft = softmaxAttentionBackward(o, c.P, c.v, dctx);
  const dv = soft.dv;
  // padding keys' scores are constants (replaced by −1e9): no gradient reaches them
  const dS = g.op("Mul", [soft.dS, g.op("Cast", [o.keyValid], { to: DT.FLOAT })]);
  let dqs = g.op("MatMul", [dS, c.k]);
  let dk = g.op("MatMul", [T(dS), c.qs]);
  /** a position projection R·W + b from its per-head gradient [1,nh,2S,dh]: R's share goes to dR; returns dW, db */
  const posBack = (dPos: string, w: string): { dW: string; dB: string } => {
    const m = o.mergeHeads(dPos);
    dR.push(g.op("FusedMatMul", [m, w], { transB: 1 }, undefined, "com.microsoft"));
    return { dW: o.backWeight(sh.R, m, H, H), dB: o.sum01(m) };
  };
  const named = (r: { dW: string; dB: string }, w: string, b: string): void => {
    g.op("Identity", [r.dW], {}, gr(w));
    g.op("Identity", [r.dB], {}, gr(b));
  };
  const wSlice = (from: number): string => g.op("Slice", [p("wqkv"), g.intList([from]), g.intList([from + H]), g.intList([1])]);
  const extraW: (string | undefined)[] = [undefined, undefined];
  const extraB: (string | undefined)[] = [undefined, undefined];
  if (d.s.c2p && c.posK) {
    const dM = scatterRows(o, d, dS, sh.maps.rho);
    dqs = g.op("Add", [dqs, g.op("MatMul", [dM, c.posK])]);
    const dPosK = g.op("ReduceSum", [g.op("MatMul", [T(dM), c.qs]), g.intList([0])], { keepdims: 1 });
    const r = posBack(dPosK, d.s.shareAttKey ? wSlice(H) : p("wpk"));
    if (d.s.shareAttKey) [extraW[1], extraB[1]] = [r.dW, r.dB];
    else named(r, "wpk", "bpk");
  }
  if (d.s.p2c && c.posQs) {
    const dN = scatterRows(o, d, T(dS), sh.maps.rhoT);
    dk = g.op("Add", [dk, g.op("MatMul", [dN, c.posQs])]);
    const dPosQ = g.op("Mul", [g.op("ReduceSum", [g.op("MatMul", [T(dN), c.k]), g.intList([0])], { keepdims: 1 }), g.scalar(d.scale)]);
    const r = posBack(dPosQ, d.s.shareAttKey ? wSlice(0) : p("wpq"));
    if (d.s.shareAttKey) [extraW[0], extraB[0]] = [r.dW, r.dB];
    else named(r, "wpq", "bpq");
  }
  const dq = g.op("Mul", [dqs, g.scalar(d.scale)]);
  const dqkv = g.op("Concat", [o.mergeHeads(dq), o.mergeHeads(dk), o.mergeHeads(dv)], { axis: 2 });
  const wq = o.backWeight(c.x, dqkv, H, 3 * H), bq = o.sum01(dqkv);
  if (extraW[0] || extraW[1]) {
    // the position projections' share of the packed q/k columns; v has none
    const zW = g.floats(`ft.l${c.l}.zero_w`, [H, H], new Float32Array(H * H)), zB = g.floats(`ft.l${c.l}.zero_b`, [H], new Float32Array(H));
    g.op("Add", [wq, g.op("Concat", [extraW[0] ?? zW, extraW[1] ?? zW, zW], { axis: 1 })], {}, gr("wqkv"));
    g.op("Add", [bq, g.op("Concat", [extraB[0] ?? zB, extraB[1] ?? zB, zB], { axis: 0 })], {}, gr("bqkv"));
  } else {
    g.op("Identity", [wq], {}, gr("wqkv"));
    g.op("Identity", [bq], {}, gr("bqkv"));
  }
  return g.op("Add", [dz1, o.backData(dqkv, p("wqkv"), 3 * H, H)]);
}

/** Checkpoint layer `first + l` as parameters `l{l}.*` (BERT's layout, q/k/v from *_proj), plus separate position projections. */
function pretrainedDebertaLayer(get: (name: string) => Tensor, d: Dims, first: number, l: number, params: Map<string, Float32Array>): void {
  pretrainedLayer(get, d.H, first, l, params, ["query_proj", "key_proj", "value_proj"]);
  if (d.s.shareAttKey) return;
  const a = `encoder.layer.${first + l}.attention.self`;
  const set = (n: string, v: Float32Array): void => void params.set(`l${l}.${n}`, v);
  if (d.s.p2c) (set("wpq", transpose2d(get(`${a}.pos_query_proj.weight`))), set("bpq", get(`${a}.pos_query_proj.bias`).data));
  if (d.s.c2p) (set("wpk", transpose2d(get(`${a}.pos_key_proj.weight`))), set("bpk", get(`${a}.pos_key_proj.bias`).data));
}

export function debertaStack(cfg: EncoderConfig): TrainableStack {
  const s = debertaSettings(cfg);
  const H = cfg.hiddenSize, nh = cfg.numHeads;
  const d: Dims = { H, nh, I: cfg.intermediateSize, S2: 2 * s.span, scale: 1 / Math.sqrt((H / nh) * (1 + Number(s.c2p) + Number(s.p2c))), s };
  const layerOf = (name: string): number => Number(/^encoder\.layer\.(\d+)\./.exec(name)?.[1] ?? -1);
  return {
    params: (k) => [...Array.from({ length: k }, (_, l) => layerParams(l, d)).flat(), ...sharedParams(d)],
    reads: (name, first) => layerOf(name) >= first || name === "encoder.rel_embeddings.weight" || name.startsWith("encoder.LayerNorm."),
    pretrained(get, first, k) {
      const params = new Map<string, Float32Array>();
      for (let l = 0; l < k; l++) pretrainedDebertaLayer(get, d, first, l, params);
      params.set("rel.emb", get("encoder.rel_embeddings.weight").data.slice(0, d.S2 * H));
      if (s.normRelEmbeddings) {
        params.set("rel.g", get("encoder.LayerNorm.weight").data);
        params.set("rel.b", get("encoder.LayerNorm.bias").data);
      }
      return params;
    },
    forward(o, x0, k) {
      const g = o.g;
      const maps = relativeMaps(o, d, x0);
      const rel = g.op("Unsqueeze", [`rel.emb`, g.intList([0])]);
      const ln = s.normRelEmbeddings ? o.layerNorm(rel, "rel.g", "rel.b") : undefined;
      const sh: Shared = { R: ln ? ln.y : rel, maps };
      const caches: Cache[] = [];
      const outputs: string[] = [];
      let x = x0;
      for (let l = 0; l < k; l++) {
        const r = layerForward(o, d, sh, l, x);
        caches.push(r.cache);
        outputs.push(r.out);
        x = r.out;
      }
      const backward = (dOut: readonly (string | undefined)[]): void => {
        const dR: string[] = [];
        let dy = dOut[k - 1]!;
        for (let l = k - 1; l >= 0; l--) {
          const dx = layerBackward(o, d, sh, caches[l], dy, dR);
          if (l > 0) dy = dOut[l - 1] ? g.op("Add", [dx, dOut[l - 1]!]) : dx;
        }
        const dRsum = dR.length === 0 ? g.op("Mul", [sh.R, g.scalar(0)]) : dR.reduce((a, b) => g.op("Add", [a, b]));
        const dRel = ln ? o.layerNormBack(dRsum, ln.xhat, ln.rstd, "rel.g", "grad.rel.g", "grad.rel.b") : dRsum;
        g.op("Squeeze", [dRel, g.intList([0])], {}, "grad.rel.emb");
      };
      return { outputs, backward };
    },
  };
}
