/**
 * The limited-memory BFGS history of the sparse linear models (the iteration itself, with its
 * line search on margins, is in marginSearch.ts): a ring of preallocated vectors, fewer of them
 * when the model is wide, so memory stays bounded and no iteration allocates.
 *
 * Along an L2 path the curvature history is kept: the objectives differ only by (λ'−λ)/2·‖W‖², so
 * a stored pair (s, y) stays exact for the next λ after y += (λ'−λ)·s on the penalised weights.
 */

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
  head = 0;
  count = 0;

  constructor(readonly P: number, readonly m = historySize(P)) {
    this.rho = new Float64Array(m);
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
    if (this.head === this.S.length) {
      this.S.push(new Float64Array(this.P));
      this.Y.push(new Float64Array(this.P));
    }
    const s = this.S[this.head], y = this.Y[this.head];
    for (let i = 0; i < this.P; i++) {
      s[i] = xn[i] - x[i];
      y[i] = gn[i] - g[i];
    }
    const sy = dot(s, y);
    if (!(sy > 1e-12 * dot(y, y))) return;
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
      if (!(sy > 1e-12 * dot(y, y))) {
        // a pair lost its positive curvature: keep only the newer ones
        this.count = k;
        return;
      }
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
    const gamma = 1 / (this.rho[newest] * dot(this.Y[newest], this.Y[newest]));
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
