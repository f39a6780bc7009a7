/**
 * Independent float64 references of the fine-tuning recipe's optimiser, written from the published
 * algorithms, not from src/: AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization",
 * ICLR 2019, Algorithm 2) with the update order of PyTorch's torch.optim.AdamW (decay the weights by
 * lr·λ first, then the bias-corrected Adam step); the gradient's global L2 norm clipped as
 * torch.nn.utils.clip_grad_norm_ does (every gradient scaled by c/‖g‖ when ‖g‖ > c); and the
 * learning rate's linear warm-up to its peak followed by a linear decay to zero (Hugging Face
 * `get_linear_schedule_with_warmup`, counted here from step 1).
 * Switches turn one ingredient off, so a test can show that it would notice that ingredient missing.
 */

export interface ReferenceGroup {
  lr: number;
  decay: number;
}

export interface AdamWVariant {
  b1: number;
  b2: number;
  eps: number;
  /** global-norm clipping threshold; 0: none */
  clip: number;
  /** false: Adam's moments without the 1/(1 − βᵗ) corrections */
  biasCorrection?: boolean;
  /** "coupled": λ·θ added to the gradient (Adam with L2) instead of the decoupled shrink */
  decay?: "decoupled" | "coupled";
}

/** √(Σ g²) over every tensor. */
export function globalNorm(grads: readonly ArrayLike<number>[]): number {
  let s = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return Math.sqrt(s);
}

/**
 * Runs AdamW over `steps` (each: the gradients and the learning-rate multiplier of that step) from
 * `start`; returns the parameters after every step.
 */
export function referenceAdamW(start: readonly ArrayLike<number>[], groups: readonly ReferenceGroup[], steps: readonly { grads: readonly ArrayLike<number>[]; factor: number }[], o: AdamWVariant): Float64Array[][] {
  const p = start.map((x) => Float64Array.from(x));
  const m = p.map((x) => new Float64Array(x.length));
  const v = p.map((x) => new Float64Array(x.length));
  const out: Float64Array[][] = [];
  steps.forEach(({ grads, factor }, s) => {
    const t = s + 1;
    const norm = globalNorm(grads);
    const scale = o.clip > 0 && norm > o.clip ? o.clip / norm : 1;
    p.forEach((theta, i) => {
      const lr = groups[i].lr * factor, lambda = groups[i].decay;
      for (let j = 0; j < theta.length; j++) {
        let g = grads[i][j] * scale;
        if (o.decay === "coupled") g += lambda * theta[j];
        m[i][j] = o.b1 * m[i][j] + (1 - o.b1) * g;
        v[i][j] = o.b2 * v[i][j] + (1 - o.b2) * g * g;
        const corrected = o.biasCorrection ?? true;
        const mHat = corrected ? m[i][j] / (1 - o.b1 ** t) : m[i][j];
        const vHat = corrected ? v[i][j] / (1 - o.b2 ** t) : v[i][j];
        if (o.decay !== "coupled") theta[j] -= lr * lambda * theta[j];
        theta[j] -= (lr * mHat) / (Math.sqrt(vHat) + o.eps);
      }
    });
    out.push(p.map((x) => Float64Array.from(x)));
  });
  return out;
}

/** The multiplier of the peak learning rate at step s = 1..total: s/W up to W warm-up steps, then (total − s)/(total − W), 0 at the last step. */
export function referenceLinearSchedule(s: number, total: number, warmup: number): number {
  if (warmup > 0 && s <= warmup) return s / warmup;
  return (total - s) / (total - warmup);
}
