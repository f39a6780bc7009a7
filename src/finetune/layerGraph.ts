/**
 * One BERT encoder layer as ONNX, forward and hand-written backward, from standard ops only
 * (plus com.microsoft FusedMatMul for products with a transposed weight): onnxruntime-node
 * ships no training API and no *Grad kernels, and these ops also run on ONNX Runtime's CUDA
 * provider. Shapes: activations [B,T,·], weights x·W ([in, out]).
 *
 *   qkv = x·Wqkv + bqkv → q, k, v per head; P = softmax(q·kᵀ/√dh, invalid keys replaced by −1e9)
 *   a = LN1(P·v·Wo + bo + x);  out = LN2(GELU(a·W1 + b1)·W2 + b2 + a)   (exact erf GELU)
 */
import { DT, type GraphBuilder } from "../onnx/graphBuilder.js";

export interface LayerDims {
  H: number;
  numHeads: number;
  inter: number;
  eps: number;
}

/** Parameter names of layer l, in input order, with their shapes. */
export function layerParams(l: number, d: LayerDims): [string, number[]][] {
  const { H, inter: I } = d;
  return [
    [`l${l}.wqkv`, [H, 3 * H]], [`l${l}.bqkv`, [3 * H]], [`l${l}.wo`, [H, H]], [`l${l}.bo`, [H]], [`l${l}.ln1g`, [H]], [`l${l}.ln1b`, [H]],
    [`l${l}.w1`, [H, I]], [`l${l}.b1`, [I]], [`l${l}.w2`, [I, H]], [`l${l}.b2`, [H]], [`l${l}.ln2g`, [H]], [`l${l}.ln2b`, [H]],
  ];
}

/** What the backward pass needs from the forward pass of one layer. */
export interface LayerCache {
  l: number;
  x: string;
  q: string;
  k: string;
  v: string;
  P: string;
  ctx: string;
  /** keys of valid positions, pre-scaled by 1/√dh; padding keys zero */
  kScaled: string;
  xhat1: string;
  rstd1: string;
  a: string;
  inter: string;
  cdf: string;
  gelu: string;
  xhat2: string;
  rstd2: string;
}

/** Constants and helpers shared by the forward and backward emitters. */
export class LayerOps {
  /** [B,1,1,T] key mask as bool (for Where), and [B,1,T,1] as float (zeroes padding keys and their gradients) */
  readonly keyValid: string;
  readonly keyValidPos: string;
  private readonly headsShape: string;
  private readonly mergeShape: string;

  constructor(readonly g: GraphBuilder, readonly d: LayerDims, private readonly mask: string) {
    this.keyValid = g.op("Cast", [g.op("Unsqueeze", [mask, g.intList([1, 2])])], { to: DT.BOOL });
    this.keyValidPos = g.op("Unsqueeze", [mask, g.intList([1, 3])]);
    this.headsShape = g.intList([0, 0, d.numHeads, d.H / d.numHeads]);
    this.mergeShape = g.intList([0, 0, d.H]);
  }

  /** x [B,T,in] · W [in,out] + b */
  dense(x: string, w: string, b: string): string {
    return this.g.op("Add", [this.g.op("MatMul", [x, w]), b]);
  }

  /** dY [B,T,out] · Wᵀ → [B,T,in] (as one 2-D GEMM with a transposed operand: no copy of W) */
  backData(dy: string, w: string, outDim: number, inDim: number): string {
    const g = this.g;
    return g.op("Reshape", [g.op("Gemm", [g.op("Reshape", [dy, g.intList([-1, outDim])]), w], { transB: 1 }), this.btShape(inDim)]);
  }

  /** [B,T,n] as a shape tensor, from the mask's [B,T] */
  private btShape(n: number): string {
    const g = this.g;
    const key = `bt_${n}`;
    return (this.shapes[key] ??= g.op("Concat", [g.op("Shape", [this.mask]), g.intList([n])], { axis: 0 }));
  }
  private readonly shapes: Record<string, string> = {};

  /** Xᵀ·dY over all positions → [in,out] */
  backWeight(x: string, dy: string, inDim: number, outDim: number): string {
    const g = this.g;
    return g.op("Gemm", [g.op("Reshape", [x, g.intList([-1, inDim])]), g.op("Reshape", [dy, g.intList([-1, outDim])])], { transA: 1 });
  }

  /** Σ over batch and positions → [out] */
  sum01(t: string, outName?: string): string {
    return this.g.op("ReduceSum", [t, this.g.intList([0, 1])], { keepdims: 0 }, outName);
  }

  /** [B,T,H] → [B,nh,T,dh] */
  splitHeads(t: string): string {
    return this.g.op("Transpose", [this.g.op("Reshape", [t, this.headsShape])], { perm: [0, 2, 1, 3] });
  }

  /** [B,nh,T,dh] → [B,T,H] */
  mergeHeads(t: string): string {
    return this.g.op("Reshape", [this.g.op("Transpose", [t], { perm: [0, 2, 1, 3] }), this.mergeShape]);
  }

  /** LayerNorm over the last axis keeping x̂ and 1/σ for the backward pass. */
  layerNorm(z: string, gain: string, bias: string, eps = this.d.eps): { y: string; xhat: string; rstd: string } {
    const g = this.g;
    const mu = g.op("ReduceMean", [z], { axes: [-1], keepdims: 1 });
    const zc = g.op("Sub", [z, mu]);
    const variance = g.op("ReduceMean", [g.op("Mul", [zc, zc])], { axes: [-1], keepdims: 1 });
    const rstd = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [variance, g.scalar(eps)])])]);
    const xhat = g.op("Mul", [zc, rstd]);
    return { y: g.op("Add", [g.op("Mul", [xhat, gain]), bias]), xhat, rstd };
  }

  /** dz of LayerNorm from dy: (1/σ)·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) with dx̂ = dy·gain; and the gain/bias gradients. */
  layerNormBack(dy: string, xhat: string, rstd: string, gain: string, gName: string, bName: string): string {
    const g = this.g;
    this.sum01(g.op("Mul", [dy, xhat]), gName);
    this.sum01(dy, bName);
    const dxh = g.op("Mul", [dy, gain]);
    const m1 = g.op("ReduceMean", [dxh], { axes: [-1], keepdims: 1 });
    const m2 = g.op("ReduceMean", [g.op("Mul", [dxh, xhat])], { axes: [-1], keepdims: 1 });
    return g.op("Mul", [rstd, g.op("Sub", [g.op("Sub", [dxh, m1]), g.op("Mul", [xhat, m2])])]);
  }

  /** Φ(x) = ½(1 + erf(x/√2)) */
  cdf(x: string): string {
    const g = this.g;
    return g.op("Mul", [g.op("Add", [g.op("Erf", [g.op("Mul", [x, g.scalar(Math.SQRT1_2)])]), g.scalar(1)]), g.scalar(0.5)]);
  }

  /** GELU'(x) = Φ(x) + x·φ(x) */
  geluGrad(x: string, cdf: string): string {
    const g = this.g;
    const pdf = g.op("Mul", [g.op("Exp", [g.op("Mul", [g.op("Mul", [x, x]), g.scalar(-0.5)])]), g.scalar(1 / Math.sqrt(2 * Math.PI))]);
    return g.op("Add", [cdf, g.op("Mul", [x, pdf])]);
  }
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
  const ctx = o.mergeHeads(g.op("MatMul", [P, v]));
  const ln1 = o.layerNorm(g.op("Add", [o.dense(ctx, p("wo"), p("bo")), x]), p("ln1g"), p("ln1b"));
  const inter = o.dense(ln1.y, p("w1"), p("b1"));
  const cdf = o.cdf(inter);
  const gelu = g.op("Mul", [inter, cdf]);
  const ln2 = o.layerNorm(g.op("Add", [o.dense(gelu, p("w2"), p("b2")), ln1.y]), p("ln2g"), p("ln2b"));
  return { out: ln2.y, cache: { l, x, q, k, v, P, ctx, kScaled, xhat1: ln1.xhat, rstd1: ln1.rstd, a: ln1.y, inter, cdf, gelu, xhat2: ln2.xhat, rstd2: ln2.rstd } };
}

/**
 * Emits layer l's backward pass from dout [B,T,H]: writes `grad.l{l}.*` outputs and returns dx,
 * the gradient of the layer's input.
 */
export function layerBackward(o: LayerOps, c: LayerCache, dout: string): string {
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
  const dctx = o.splitHeads(o.backData(dz1, p("wo"), H, H));
  // attention: ctx = P·v, P = softmax(S), S = (q/√dh)·kᵀ on valid keys (padding keys' scores are
  // constants: no gradient reaches them, hence kScaled and the masked dk)
  const dv = g.op("MatMul", [g.op("Transpose", [c.P], { perm: [0, 1, 3, 2] }), dctx]);
  const dP = g.op("MatMul", [dctx, g.op("Transpose", [c.v], { perm: [0, 1, 3, 2] })]);
  const dPP = g.op("Mul", [dP, c.P]);
  const dS = g.op("Sub", [dPP, g.op("Mul", [c.P, g.op("ReduceSum", [dPP, g.intList([-1])], { keepdims: 1 })])]);
  const dq = g.op("MatMul", [dS, c.kScaled]);
  const dk = g.op("Mul", [g.op("MatMul", [g.op("Transpose", [dS], { perm: [0, 1, 3, 2] }), c.q]), o.keyValidPos]);
  const dqkv = g.op("Concat", [o.mergeHeads(dq), o.mergeHeads(dk), o.mergeHeads(dv)], { axis: 2 });
  g.op("Identity", [o.backWeight(c.x, dqkv, H, 3 * H)], {}, gr("wqkv"));
  o.sum01(dqkv, gr("bqkv"));
  return g.op("Add", [dz1, o.backData(dqkv, p("wqkv"), 3 * H, H)]);
}
