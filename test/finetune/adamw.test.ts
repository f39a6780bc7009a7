/**
 * The fine-tuned heads' optimiser and schedule (AdamW of src/optim/adam.ts, lrFactor of
 * src/optim/schedule.ts) against the independent float64 references of test/reference/optimizerReference.ts:
 * AdamW's step with bias correction and decoupled weight decay per parameter group, the
 * gradient's global-norm clipping, and the linear warm-up / decay, step by step. Each comparison
 * also shows that it would fail without the ingredient it checks.
 */
import { describe, it, expect } from "vitest";
import { AdamW, type ParamGroup } from "../../src/optim/adam.js";
import { lrFactor } from "../../src/optim/schedule.js";
import { gaussian } from "../helpers/synthetic.js";
import { globalNorm, referenceAdamW, referenceLinearSchedule, type AdamWVariant } from "../reference/optimizerReference.js";

/** The recipe's constants (Hugging Face's AdamW defaults: β = (0.9, 0.999), ε = 1e-6) and clipping at 1. */
const RECIPE: AdamWVariant = { b1: 0.9, b2: 0.999, eps: 1e-6, clip: 1 };

/** Four tensors as the trainer groups them: a layer matrix, its bias, a lower layer's matrix (layer-wise decayed lr), the head's matrix. */
const GROUPS: ParamGroup[] = [
  { lr: 2e-3, decay: 0.1 },
  { lr: 2e-3, decay: 0 },
  { lr: 2e-3 * 0.8, decay: 0.1 },
  { lr: 1e-2, decay: 0.01 },
];
const SIZES = [48, 12, 48, 24];
/** the gradient's global norm at each step: above the clip norm (1) at steps 2, 4, 6 and 8, below it elsewhere */
const NORMS = [0.3, 5, 0.8, 20, 0.05, 2, 0.5, 10];
/** learning-rate multipliers of the eight steps (a warm-up and a decay) */
const FACTORS = [0.2, 0.4, 0.6, 0.8, 1, 0.75, 0.5, 0.25];

function tensors(seed: number, scale: number): Float32Array[] {
  const r = gaussian(seed);
  return SIZES.map((n) => Float32Array.from({ length: n }, () => r() * scale));
}

/** Gradients of the given global norm. */
function gradsOfNorm(seed: number, norm: number): Float32Array[] {
  const g = tensors(seed, 1);
  const s = norm / globalNorm(g);
  return g.map((x) => Float32Array.from(x, (v) => v * s));
}

/** Largest |a − b| / (1 + |b|) over every tensor. */
function maxRelDiff(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): number {
  let d = 0;
  a.forEach((x, i) => {
    expect(x.length).toBe(b[i].length);
    for (let j = 0; j < x.length; j++) d = Math.max(d, Math.abs(x[j] - b[i][j]) / (1 + Math.abs(b[i][j])));
  });
  return d;
}

/**
 * float32 parameters and moments vs float64: each step rounds θ (~6e-8·|θ|) and the update
 * (~1e-7 of lr ≤ 1e-2); over eight steps that stays below ~1e-7 relative (measured 1.6e-7), while
 * the smallest update of a step is lr·factor ≥ 2e-4 of |θ| ~ 1 — so a wrong step fails by orders of magnitude.
 */
const TOL = 1e-6;

describe("AdamW of the fine-tuned heads", () => {
  it("parameters after each of 8 steps (4 groups, varying rates, clipped and unclipped gradients) equal float64 AdamW within 1e-6; dropping bias correction, decoupled decay or clipping would miss by ≥100×", () => {
    const start = tensors(11, 1);
    const steps = NORMS.map((n, s) => ({ grads: gradsOfNorm(100 + s, n), factor: FACTORS[s] }));
    const params = start.map((p) => Float32Array.from(p));
    const opt = new AdamW(params, GROUPS, RECIPE.clip);
    const ref = referenceAdamW(start, GROUPS, steps, RECIPE);
    let worst = 0;
    steps.forEach(({ grads, factor }, s) => {
      const norm = opt.step(grads, factor);
      // the step reports the gradient's norm before clipping
      expect(Math.abs(norm - globalNorm(grads)) / globalNorm(grads)).toBeLessThan(1e-12);
      const d = maxRelDiff(params, ref[s]);
      worst = Math.max(worst, d);
      expect(d, `step ${s + 1}`).toBeLessThan(TOL);
    });
    // every parameter moved: the comparison is not between two unchanged copies
    expect(maxRelDiff(params, start.map((p) => Float64Array.from(p)))).toBeGreaterThan(1e-3);
    const last = (v: AdamWVariant): number => maxRelDiff(params, referenceAdamW(start, GROUPS, steps, v)[steps.length - 1]);
    const misses = { "no bias correction": last({ ...RECIPE, biasCorrection: false }), "L2 in the gradient": last({ ...RECIPE, decay: "coupled" }), "no clipping": last({ ...RECIPE, clip: 0 }) };
    console.log(`AdamW vs reference: worst ${worst.toExponential(2)}; the same run vs ${Object.entries(misses).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(", ")}`);
    for (const [what, miss] of Object.entries(misses)) expect(miss, what).toBeGreaterThan(100 * TOL);
  });

  it("a zero gradient leaves only the decoupled decay: decayed tensors shrink by (1 − lr·factor·λ), undecayed ones stay bit-equal", () => {
    const start = tensors(12, 1);
    const params = start.map((p) => Float32Array.from(p));
    const opt = new AdamW(params, GROUPS, RECIPE.clip);
    const zero = SIZES.map((n) => new Float32Array(n));
    opt.step(zero, 0.5);
    GROUPS.forEach((g, i) => {
      if (g.decay === 0) expect(Array.from(params[i])).toEqual(Array.from(start[i]));
      else for (let j = 0; j < params[i].length; j++) expect(Math.abs(params[i][j] - start[i][j] * (1 - g.lr * 0.5 * g.decay))).toBeLessThanOrEqual(1e-7 * Math.abs(start[i][j]));
    });
  });

  it("clipping: a gradient above the clip norm steps exactly like the same gradient rescaled to that norm; one below it is not rescaled", () => {
    const start = tensors(13, 1);
    const run = (clip: number, gradsAt: (s: number) => Float32Array[]): Float32Array[] => {
      const p = start.map((x) => Float32Array.from(x));
      const opt = new AdamW(p, GROUPS, clip);
      for (let s = 0; s < 4; s++) opt.step(gradsAt(s), FACTORS[s]);
      return p;
    };
    const clipped = run(1, (s) => gradsOfNorm(200 + s, [3, 0.5, 7, 0.2][s]));
    const rescaled = run(0, (s) => gradsOfNorm(200 + s, [1, 0.5, 1, 0.2][s]));
    expect(maxRelDiff(clipped, rescaled)).toBeLessThan(1e-6);
    const unclipped = run(0, (s) => gradsOfNorm(200 + s, [3, 0.5, 7, 0.2][s]));
    expect(maxRelDiff(clipped, unclipped)).toBeGreaterThan(1e-4);
  });
});

describe("learning-rate schedule", () => {
  it("lrFactor equals linear warm-up to 1 then linear decay to 0 at every step, for several lengths and warm-ups", () => {
    for (const [total, warmup] of [[40, 4], [18, 2], [7, 0], [10, 10], [1, 0], [25, 3]]) {
      for (let s = 1; s <= total; s++) expect(lrFactor(s, { totalSteps: total, warmupSteps: warmup }), `step ${s} of ${total}, warm-up ${warmup}`).toBeCloseTo(referenceLinearSchedule(s, total, warmup), 14);
      expect(lrFactor(total, { totalSteps: total, warmupSteps: warmup })).toBe(warmup === total ? 1 : 0);
      if (warmup > 0) expect(lrFactor(warmup, { totalSteps: total, warmupSteps: warmup })).toBe(1);
    }
  });
});
