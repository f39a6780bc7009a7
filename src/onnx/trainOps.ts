/**
 * Helpers for hand-written forward and backward ONNX graphs over [B,T,·] activations (the
 * fine-tuned heads' layers and pooling): dense products and their gradients, LayerNorm with its
 * backward pass, exact GELU and its derivative, head splitting. Standard ops only, plus
 * com.microsoft FusedMatMul where a weight is used transposed.
 */
import { DT, type GraphBuilder } from "./graphBuilder.js";

export interface LayerDims {
  H: number;
  numHeads: number;
  inter: number;
  eps: number;
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

