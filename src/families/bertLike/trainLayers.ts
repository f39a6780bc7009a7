/**
 * One BERT encoder layer as ONNX, forward and hand-written backward, from standard ops only
 * (plus com.microsoft FusedMatMul for products with a transposed weight): onnxruntime-node
 * ships no training API and no *Grad kernels, and these ops also run on ONNX Runtime's CUDA
 * provider. Shapes: activations [B,T,·], weights x·W ([in, out]).
 *
 *   qkv = x·Wqkv + bqkv → q, k, v per head; P = softmax(q·kᵀ/√dh, invalid keys replaced by −1e9)
 *   a = LN1(P·v·Wo + bo + x);  out = LN2(GELU(a·W1 + b1)·W2 + b2 + a)   (exact erf GELU)
 */
import type { LayerDims, LayerOps } from "../../onnx/trainOps.js";
import type { Tensor } from "../../io/safetensors.js";
import type { TrainableStack } from "../types.js";

/** Parameter names of layer l, in input order, with their shapes. */
export function layerParams(l: number, d: LayerDims): [string, number[]][] {
  const { H, inter: I } = d;
  return [
    [`l${l}.wqkv`, [H, 3 * H]], [`l${l}.bqkv`, [3 * H]], [`l${l}.wo`, [H, H]], [`l${l}.bo`, [H]], [`l${l}.ln1g`, [H]], [`l${l}.ln1b`, [H]],
    [`l${l}.w1`, [H, I]], [`l${l}.b1`, [I]], [`l${l}.w2`, [I, H]], [`l${l}.b2`, [H]], [`l${l}.ln2g`, [H]], [`l${l}.ln2b`, [H]],
  ];
}

/** What the output block's backward pass needs from its forward pass. */
export interface OutputBlockCache {
  l: number;
  ctx: string;
  xhat1: string;
  rstd1: string;
  a: string;
  inter: string;
  cdf: string;
  gelu: string;
  xhat2: string;
  rstd2: string;
}

/** What the backward pass needs from the forward pass of one layer. */
export interface LayerCache extends OutputBlockCache {
  x: string;
  q: string;
  k: string;
  v: string;
  P: string;
  /** keys of valid positions, pre-scaled by 1/√dh; padding keys zero */
  kScaled: string;
}

/** Emits layer l's forward pass on x [B,T,H]; returns its output and what the backward pass needs. */
export function layerForward(o: LayerOps, l: number, x: string): { out: string; cache: LayerCache } {
  const { g, d } = o;
  const p = (n: string): string => `l${l}.${n}`;
  const qkv = o.dense(x, p("wqkv"), p("bqkv"));
  const [qf, kf, vf] = ["q", "k", "v"].map((n) => `${p(n)}_flat`);
  g.ops("Split", [qkv, g.intList([d.H, d.H, d.H])], [qf, kf, vf], { axis: 2 });
  // the 1/√dh scale and the key mask go on q and k ([B,nh,T,dh]), not on the [B,nh,T,T] scores
  const scale = g.scalar(1 / Math.sqrt(d.H / d.numHeads));
  const q = g.op("Mul", [o.splitHeads(qf), scale]), k = o.splitHeads(kf), v = o.splitHeads(vf);
  const kScaled = g.op("Mul", [g.op("Mul", [k, scale]), o.keyValidPos]);
  const scores = g.op("MatMul", [q, g.op("Transpose", [k], { perm: [0, 1, 3, 2] })]);
  // replaced, not added: a row with no valid key attends uniformly instead of producing NaN
  const P = g.op("Softmax", [g.op("Where", [o.keyValid, scores, g.scalar(-1e9)])], { axis: -1 });
  const block = outputBlockForward(o, l, o.mergeHeads(g.op("MatMul", [P, v])), x);
  return { out: block.out, cache: { ...block.cache, x, q, k, v, P, kScaled } };
}

/** The layer after its attention context: a = LN1(ctx·Wo + bo + x); out = LN2(GELU(a·W1 + b1)·W2 + b2 + a). */
export function outputBlockForward(o: LayerOps, l: number, ctx: string, x: string): { out: string; cache: OutputBlockCache } {
  const g = o.g;
  const p = (n: string): string => `l${l}.${n}`;
  const ln1 = o.layerNorm(g.op("Add", [o.dense(ctx, p("wo"), p("bo")), x]), p("ln1g"), p("ln1b"));
  const inter = o.dense(ln1.y, p("w1"), p("b1"));
  const cdf = o.cdf(inter);
  const gelu = g.op("Mul", [inter, cdf]);
  const ln2 = o.layerNorm(g.op("Add", [o.dense(gelu, p("w2"), p("b2")), ln1.y]), p("ln2g"), p("ln2b"));
  return { out: ln2.y, cache: { l, ctx, xhat1: ln1.xhat, rstd1: ln1.rstd, a: ln1.y, inter, cdf, gelu, xhat2: ln2.xhat, rstd2: ln2.rstd } };
}

/**
 * Emits layer l's backward pass from dout [B,T,H]: writes `grad.l{l}.*` outputs and returns dx,
 * the gradient of the layer's input.
 */
export function layerBackward(o: LayerOps, c: LayerCache, dout: string): string {
  const { g, d } = o;
  const { H } = d;
  const p = (n: string): string => `l${c.l}.${n}`;
  const gr = (n: string): string => `grad.l${c.l}.${n}`;
  const { dz1, dctx } = outputBlockBackward(o, c, dout);
  // attention: ctx = P·v, P = softmax(S), S = (q/√dh)·kᵀ on valid keys (padding keys' scores are
  // constants: no gradient reaches them, hence kScaled and the masked dk)
  const { dv, dS } = softmaxAttentionBackward(o, c.P, c.v, dctx);
  const dq = g.op("MatMul", [dS, c.kScaled]);
  const dk = g.op("Mul", [g.op("MatMul", [g.op("Transpose", [dS], { perm: [0, 1, 3, 2] }), c.q]), o.keyValidPos]);
  const dqkv = g.op("Concat", [o.mergeHeads(dq), o.mergeHeads(dk), o.mergeHeads(dv)], { axis: 2 });
  g.op("Identity", [o.backWeight(c.x, dqkv, H, 3 * H)], {}, gr("wqkv"));
  o.sum01(dqkv, gr("bqkv"));
  return g.op("Add", [dz1, o.backData(dqkv, p("wqkv"), 3 * H, H)]);
}

/**
 * The output block's backward pass from dout: writes its `grad.l{l}.*` (wo … ln2b) and returns dz1,
 * the gradient at LN1's input (the residual path to x), and dctx per head [B,nh,T,dh].
 */
export function outputBlockBackward(o: LayerOps, c: OutputBlockCache, dout: string): { dz1: string; dctx: string } {
  const { g, d } = o;
  const { H, inter: I } = d;
  const p = (n: string): string => `l${c.l}.${n}`;
  const gr = (n: string): string => `grad.l${c.l}.${n}`;
  // out = LN2(gelu·W2 + b2 + a)
  const dz2 = o.layerNormBack(dout, c.xhat2, c.rstd2, p("ln2g"), gr("ln2g"), gr("ln2b"));
  g.op("Identity", [o.backWeight(c.gelu, dz2, I, H)], {}, gr("w2"));
  o.sum01(dz2, gr("b2"));
  const dInter = g.op("Mul", [o.backData(dz2, p("w2"), H, I), o.geluGrad(c.inter, c.cdf)]);
  g.op("Identity", [o.backWeight(c.a, dInter, H, I)], {}, gr("w1"));
  o.sum01(dInter, gr("b1"));
  const da = g.op("Add", [dz2, o.backData(dInter, p("w1"), I, H)]);
  // a = LN1(ctx·Wo + bo + x)
  const dz1 = o.layerNormBack(da, c.xhat1, c.rstd1, p("ln1g"), gr("ln1g"), gr("ln1b"));
  g.op("Identity", [o.backWeight(c.ctx, dz1, H, H)], {}, gr("wo"));
  o.sum01(dz1, gr("bo"));
  return { dz1, dctx: o.splitHeads(o.backData(dz1, p("wo"), H, H)) };
}

/** ctx = P·v with P = softmax(S) per head: dv and dS = P ⊙ (dP − Σ dP ⊙ P) from dctx. */
export function softmaxAttentionBackward(o: LayerOps, P: string, v: string, dctx: string): { dv: string; dS: string } {
  const g = o.g;
  const dv = g.op("MatMul", [g.op("Transpose", [P], { perm: [0, 1, 3, 2] }), dctx]);
  const dP = g.op("MatMul", [dctx, g.op("Transpose", [v], { perm: [0, 1, 3, 2] })]);
  const dPP = g.op("Mul", [dP, P]);
  return { dv, dS: g.op("Sub", [dPP, g.op("Mul", [P, g.op("ReduceSum", [dPP, g.intList([-1])], { keepdims: 1 })])]) };
}

/** [out, in] (PyTorch Linear) → [in, out] */
function transposed(t: Tensor): Float32Array {
  const [r, c] = t.shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return out;
}

/** Layer `first + l`'s checkpoint tensors as parameters `l{l}.*`: x·W matrices ([in, out]), q/k/v packed as [q | k | v]. */
export function pretrainedLayer(get: (name: string) => Tensor, H: number, first: number, l: number, params: Map<string, Float32Array>, qkvNames = ["query", "key", "value"]): void {
  const p = `encoder.layer.${first + l}`;
  const qkv = qkvNames.map((n) => transposed(get(`${p}.attention.self.${n}.weight`)));
  const wqkv = new Float32Array(H * 3 * H);
  for (let i = 0; i < H; i++) qkv.forEach((m, j) => wqkv.set(m.subarray(i * H, (i + 1) * H), i * 3 * H + j * H));
  const bqkv = new Float32Array(3 * H);
  qkvNames.forEach((n, j) => bqkv.set(get(`${p}.attention.self.${n}.bias`).data, j * H));
  const set = (n: string, v: Float32Array): void => void params.set(`l${l}.${n}`, v);
  set("wqkv", wqkv);
  set("bqkv", bqkv);
  set("wo", transposed(get(`${p}.attention.output.dense.weight`)));
  set("bo", get(`${p}.attention.output.dense.bias`).data);
  set("ln1g", get(`${p}.attention.output.LayerNorm.weight`).data);
  set("ln1b", get(`${p}.attention.output.LayerNorm.bias`).data);
  set("w1", transposed(get(`${p}.intermediate.dense.weight`)));
  set("b1", get(`${p}.intermediate.dense.bias`).data);
  set("w2", transposed(get(`${p}.output.dense.weight`)));
  set("b2", get(`${p}.output.dense.bias`).data);
  set("ln2g", get(`${p}.output.LayerNorm.weight`).data);
  set("ln2b", get(`${p}.output.LayerNorm.bias`).data);
}

/** The post-LayerNorm layers of BERT, RoBERTa and ELECTRA as a trainable stack. */
export function bertLikeStack(d: LayerDims): TrainableStack {
  const layerOf = (name: string): number => Number(/^encoder\.layer\.(\d+)\./.exec(name)?.[1] ?? -1);
  return {
    params: (k) => Array.from({ length: k }, (_, l) => layerParams(l, d)).flat(),
    decays: (name) => /\.(wqkv|wo|w1|w2)$/.test(name),
    reads: (name, first) => layerOf(name) >= first,
    pretrained(get, first, k) {
      const params = new Map<string, Float32Array>();
      for (let l = 0; l < k; l++) pretrainedLayer(get, d.H, first, l, params);
      return params;
    },
    forward(o, x0, k) {
      const caches: LayerCache[] = [];
      const outputs: string[] = [];
      let x = x0;
      for (let l = 0; l < k; l++) {
        const r = layerForward(o, l, x);
        caches.push(r.cache);
        outputs.push(r.out);
        x = r.out;
      }
      const backward = (dOut: readonly (string | undefined)[]): void => {
        // every head reads the top layer
        let dy = dOut[k - 1]!;
        for (let l = k - 1; l >= 0; l--) {
          const dx = layerBackward(o, caches[l], dy);
          if (l > 0) dy = dOut[l - 1] ? o.g.op("Add", [dx, dOut[l - 1]!]) : dx;
        }
      };
      return { outputs, backward };
    },
  };
}
