/**
 * AdamW (Loshchilov & Hutter) with the fine-tuning recipe of Kaggle's transformer notebooks:
 * per-group learning rates (the pretrained layers slow, layer-wise decayed downwards; the new
 * head fast), linear warm-up then linear decay to zero, the gradient's global L2 norm clipped,
 * decoupled weight decay on weight matrices only (not on biases, LayerNorm or layer weights).
 */
export interface ParamGroup {
  /** peak learning rate of this parameter */
  lr: number;
  /** decoupled weight decay (0 for biases and gains) */
  decay: number;
}

export class AdamW {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private t = 0;
  private readonly b1 = 0.9;
  private readonly b2 = 0.999;
  private readonly eps = 1e-6;

  constructor(private readonly params: Float32Array[], private readonly groups: readonly ParamGroup[], private readonly clip: number) {
    this.m = params.map((p) => new Float32Array(p.length));
    this.v = params.map((p) => new Float32Array(p.length));
  }

  /** Global L2 norm of the gradients. */
  static norm(grads: readonly Float32Array[]): number {
    let s = 0;
    for (const g of grads) for (let i = 0; i < g.length; i++) s += g[i] * g[i];
    return Math.sqrt(s);
  }

  /** One step with learning-rate multiplier `factor`; returns the gradient norm before clipping. */
  step(grads: readonly Float32Array[], factor: number): number {
    this.t++;
    const norm = AdamW.norm(grads);
    const scale = this.clip > 0 && norm > this.clip ? this.clip / norm : 1;
    const { b1, b2, eps } = this;
    // bias corrections folded into the step size and the denominator: p −= a·m / (√v·r + ε)
    const r = 1 / Math.sqrt(1 - b2 ** this.t);
    for (let pi = 0; pi < this.params.length; pi++) {
      const p = this.params[pi], g = grads[pi], m = this.m[pi], v = this.v[pi];
      const lr = this.groups[pi].lr * factor;
      const a = lr / (1 - b1 ** this.t), shrink = 1 - lr * this.groups[pi].decay;
      for (let j = 0; j < p.length; j++) {
        const gj = g[j] * scale;
        const mj = (m[j] = b1 * m[j] + (1 - b1) * gj);
        const vj = (v[j] = b2 * v[j] + (1 - b2) * gj * gj);
        p[j] = p[j] * shrink - (a * mj) / (Math.sqrt(vj) * r + eps);
      }
    }
    return norm;
  }
}
