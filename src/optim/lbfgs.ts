/**
 * The one L-BFGS two-loop recursion of the project: a history of curvature pairs in a ring of
 * preallocated vectors (fewer of them when the model is wide, so memory stays bounded and no
 * iteration allocates), used by the sparse linear models (their iteration, with its line search on
 * margins, is in src/lexical/marginSearch.ts) and by the dense minimiser `lbfgs` below (the pooling
 * heads' logistic fit, the blend weights).
 *
 * Along an L2 path the curvature history is kept: the objectives differ only by (λ'−λ)/2·‖W‖², so
 * a stored pair (s, y) stays exact for the next λ after y += (λ'−λ)·s on the penalised weights.
 */

/**
 * The two callers' rules, kept apart because each has its own bits to keep: which pairs enter the
 * history (positive curvature s·y, measured against y·y or absolutely) and the initial scale H₀ = γ·I
 * from the newest pair (γ = s·y / y·y, computed from the stored 1/(s·y) or from s·y itself).
 */
export interface HistoryRules {
  keeps(sy: number, yy: number): boolean;
  gamma(sy: number, yy: number): number;
}

/** The sparse linear models' rules (scipy's curvature test, relative to y·y). */
export const RELATIVE_CURVATURE: HistoryRules = { keeps: (sy, yy) => sy > 1e-12 * yy, gamma: (sy, yy) => 1 / ((1 / sy) * yy) };
/** The dense minimiser's rules. */
export const ABSOLUTE_CURVATURE: HistoryRules = { keeps: (sy) => sy > 1e-12, gamma: (sy, yy) => sy / yy };

export interface LbfgsResult {
  f: number;
  iters: number;
  /** passes over the rows (an evaluation, or a direction's forward pass plus the next gradient) */
  evals: number;
  /** ‖∇‖∞ ≤ gtol, or the relative decrease of f vanished (scipy's rule) — never merely at the cap */
  converged: boolean;
}

/** History pairs: up to 10, fewer when 2·m vectors of P doubles would pass `budgetBytes`. */
export function historySize(P: number, budgetBytes = 160 * 2 ** 20): number {
  return Math.max(3, Math.min(10, Math.floor(budgetBytes / (16 * P))));
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** The curvature pairs (s, y) of the last iterations, newest at head − 1. */
export class LbfgsHistory {
  readonly S: Float64Array[] = [];
  readonly Y: Float64Array[] = [];
  readonly rho: Float64Array;
  /** s·y of each pair (rho = 1 / sy) */
  readonly sy: Float64Array;
  head = 0;
  count = 0;

  constructor(readonly P: number, readonly m = historySize(P), readonly rules: HistoryRules = RELATIVE_CURVATURE) {
    this.rho = new Float64Array(m);
    this.sy = new Float64Array(m);
  }

  /** Slot of the k-th newest pair. */
  slot(k: number): number {
    return (this.head - 1 - k + this.m) % this.m;
  }

  clear(): void {
    this.head = this.count = 0;
  }

  /** Stores the pair x' − x, g' − g (skipped when its curvature is not positive). */
  push(xn: Float64Array, x: Float64Array, gn: Float64Array, g: Float64Array): void {
    // the curvature is checked before the pair is written: a full ring's head slot holds the oldest pair
    let sy = 0, yy = 0;
    for (let i = 0; i < this.P; i++) {
      const yi = gn[i] - g[i];
      sy += (xn[i] - x[i]) * yi;
      yy += yi * yi;
    }
    if (!this.rules.keeps(sy, yy)) return;
    if (this.head === this.S.length) {
      this.S.push(new Float64Array(this.P));
      this.Y.push(new Float64Array(this.P));
    }
    const s = this.S[this.head], y = this.Y[this.head];
    for (let i = 0; i < this.P; i++) {
      s[i] = xn[i] - x[i];
      y[i] = gn[i] - g[i];
    }
    this.sy[this.head] = sy;
    this.rho[this.head] = 1 / sy;
    this.head = (this.head + 1) % this.m;
    this.count = Math.min(this.count + 1, this.m);
  }

  /** The objective gained (λ' − λ)/2·‖x[0..penalised)‖²: every pair's y gains (λ' − λ)·s there. */
  shiftL2(delta: number, penalised: number): void {
    for (let k = 0; k < this.count; k++) {
      const t = this.slot(k), s = this.S[t], y = this.Y[t];
      for (let i = 0; i < penalised; i++) y[i] += delta * s[i];
      const sy = dot(s, y);
      if (!this.rules.keeps(sy, dot(y, y))) {
        // a pair lost its positive curvature: keep only the newer ones
        this.count = k;
        return;
      }
      this.sy[t] = sy;
      this.rho[t] = 1 / sy;
    }
  }

  /**
   * dir = −H·g by the two-loop recursion (a scaled steepest descent without history). Each sweep
   * over a pair does its update and the next pair's dot product at once: half the memory traffic.
   */
  direction(g: Float64Array, dir: Float64Array, alpha: Float64Array): void {
    const P = this.P, K = this.count;
    for (let i = 0; i < P; i++) dir[i] = -g[i];
    if (K === 0) {
      const scale = 1 / Math.max(1, Math.sqrt(dot(g, g)));
      for (let i = 0; i < P; i++) dir[i] *= scale;
      return;
    }
    const newest = this.slot(0);
    const gamma = this.rules.gamma(this.sy[newest], dot(this.Y[newest], this.Y[newest]));
    let a = this.rho[newest] * dot(this.S[newest], dir);
    for (let k = 0; k < K; k++) {
      const t = this.slot(k), y = this.Y[t];
      alpha[t] = a;
      if (k + 1 < K) {
        const s1 = this.S[this.slot(k + 1)];
        let acc = 0;
        for (let i = 0; i < P; i++) acc += s1[i] * (dir[i] -= a * y[i]);
        a = this.rho[this.slot(k + 1)] * acc;
      } else {
        // last pair: also apply the initial scaling and start the second loop's first dot
        const yo = this.Y[this.slot(K - 1)];
        let acc = 0;
        for (let i = 0; i < P; i++) acc += yo[i] * (dir[i] = (dir[i] - a * y[i]) * gamma);
        a = acc;
      }
    }
    for (let k = K - 1; k >= 0; k--) {
      const t = this.slot(k), s = this.S[t];
      const b = alpha[t] - this.rho[t] * a;
      if (k > 0) {
        const y1 = this.Y[this.slot(k - 1)];
        let acc = 0;
        for (let i = 0; i < P; i++) acc += y1[i] * (dir[i] += b * s[i]);
        a = acc;
      } else for (let i = 0; i < P; i++) dir[i] += b * s[i];
    }
  }
}

/** Backtracking (Armijo) along dir from x: writes the accepted point and its gradient into xn, gn; undefined when 40 halvings found none. */
async function backtrack(f: (x: Float64Array, g: Float64Array) => number | Promise<number>, x: Float64Array, fx: number, dir: Float64Array, slope: number, xn: Float64Array, gn: Float64Array): Promise<{ fn: number; evals: number } | undefined> {
  let step = 1;
  for (let ls = 0; ls < 40; ls++) {
    for (let i = 0; i < x.length; i++) xn[i] = x[i] + step * dir[i];
    const fn = await f(xn, gn);
    if (Number.isFinite(fn) && fn <= fx + 1e-4 * step * slope) return { fn, evals: ls + 1 };
    step *= 0.5;
  }
  return undefined;
}

/**
 * Dense limited-memory BFGS with a backtracking (Armijo) line search. `f` returns the loss (or a
 * promise of it, when the products run in ONNX Runtime) and writes the gradient into `g`.
 * Deterministic; stops on small gradient (`tol`), relative loss change (`relTol`) or `maxIter`.
 */
export async function lbfgs(f: (x: Float64Array, g: Float64Array) => number | Promise<number>, x0: Float64Array, opts: { maxIter?: number; m?: number; tol?: number; relTol?: number } = {}): Promise<{ x: Float64Array; loss: number; iters: number; evals: number }> {
  const n = x0.length, m = opts.m ?? 10, maxIter = opts.maxIter ?? 200, tol = opts.tol ?? 1e-7, relTol = opts.relTol ?? 1e-10;
  const x = Float64Array.from(x0), g = new Float64Array(n);
  let evals = 1;
  let fx = await f(x, g);
  const H = new LbfgsHistory(n, m, ABSOLUTE_CURVATURE);
  const dir = new Float64Array(n), alpha = new Float64Array(m);
  const xn = new Float64Array(n), gn = new Float64Array(n);
  let it = 0;
  for (; it < maxIter; it++) {
    let gnorm = 0;
    for (let i = 0; i < n; i++) gnorm = Math.max(gnorm, Math.abs(g[i]));
    if (gnorm < tol) break;
    H.direction(g, dir, alpha);
    let slope = dot(g, dir);
    if (slope >= 0) {
      // not a descent direction: restart from steepest descent
      H.clear();
      for (let i = 0; i < n; i++) dir[i] = -g[i];
      slope = -dot(g, g);
    }
    const r = await backtrack(f, x, fx, dir, slope, xn, gn);
    if (!r) {
      evals += 40;
      break;
    }
    evals += r.evals;
    H.push(xn, x, gn, g);
    const rel = Math.abs(fx - r.fn) / Math.max(1, Math.abs(fx));
    x.set(xn);
    g.set(gn);
    fx = r.fn;
    if (rel < relTol) break;
  }
  return { x, loss: fx, iters: it, evals };
}
