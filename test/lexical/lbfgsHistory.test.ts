/**
 * The L-BFGS history against the textbook two-loop recursion (Nocedal & Wright, Algorithm 7.4,
 * with H₀ = sᵀy / yᵀy of the newest pair), written plainly over explicit lists of pairs: the ring
 * buffer, the fused sweeps, the curvature check and the L2 shift must all give the same direction.
 */
import { describe, it, expect } from "vitest";
import { ABSOLUTE_CURVATURE, LbfgsHistory, historySize, lbfgs } from "../../src/optim/lbfgs.js";
import { mulberry32 } from "../../src/util/random.js";

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** −H·g from pairs oldest → newest. */
function twoLoop(pairs: { s: number[]; y: number[] }[], g: number[]): number[] {
  const q = [...g];
  if (pairs.length === 0) {
    const scale = 1 / Math.max(1, Math.sqrt(dot(g, g)));
    return q.map((v) => -v * scale);
  }
  const alpha: number[] = [];
  for (let k = pairs.length - 1; k >= 0; k--) {
    const { s, y } = pairs[k];
    alpha[k] = dot(s, q) / dot(s, y);
    for (let i = 0; i < q.length; i++) q[i] -= alpha[k] * y[i];
  }
  const last = pairs[pairs.length - 1];
  const gamma = dot(last.s, last.y) / dot(last.y, last.y);
  const r = q.map((v) => v * gamma);
  for (let k = 0; k < pairs.length; k++) {
    const { s, y } = pairs[k];
    const beta = dot(y, r) / dot(s, y);
    for (let i = 0; i < r.length; i++) r[i] += s[i] * (alpha[k] - beta);
  }
  return r.map((v) => -v);
}

/** Pairs of a convex quadratic: y = A s with A symmetric positive definite, so sᵀy > 0. */
function quadraticPairs(P: number, count: number, seed: number): { x: Float64Array[]; g: Float64Array[] } {
  const r = mulberry32(seed);
  const B = Array.from({ length: P * P }, () => r() - 0.5);
  const A = (v: Float64Array) => Float64Array.from({ length: P }, (_, i) => {
    let s = 0;
    for (let k = 0; k < P; k++) for (let j = 0; j < P; j++) s += B[k * P + i] * B[k * P + j] * v[j];
    return s + 0.5 * v[i];
  });
  const x = Array.from({ length: count + 1 }, () => Float64Array.from({ length: P }, () => r() * 4 - 2));
  return { x, g: x.map(A) };
}

const diff = (a: Float64Array, b: Float64Array) => Array.from(a, (v, i) => v - b[i]);

describe("L-BFGS history", () => {
  it("the direction equals the two-loop recursion over the newest m pairs, before and after the ring wraps", () => {
    const P = 7, m = 4;
    const { x, g } = quadraticPairs(P, 9, 3);
    const h = new LbfgsHistory(P, m);
    const r = mulberry32(9);
    const grad = Float64Array.from({ length: P }, () => r() - 0.5);
    const dir = new Float64Array(P), alpha = new Float64Array(m);
    h.direction(grad, dir, alpha);
    Array.from(dir).forEach((v, i) => expect(v).toBeCloseTo(twoLoop([], Array.from(grad))[i], 14));
    const pairs: { s: number[]; y: number[] }[] = [];
    for (let k = 0; k < 9; k++) {
      h.push(x[k + 1], x[k], g[k + 1], g[k]);
      pairs.push({ s: diff(x[k + 1], x[k]), y: diff(g[k + 1], g[k]) });
      expect(h.count).toBe(Math.min(k + 1, m));
      h.direction(grad, dir, alpha);
      const want = twoLoop(pairs.slice(-m), Array.from(grad));
      Array.from(dir).forEach((v, i) => expect(v, `pair ${k}, entry ${i}`).toBeCloseTo(want[i], 10));
    }
  });

  it("a pair without positive curvature is not stored", () => {
    const h = new LbfgsHistory(2, 3);
    const z = new Float64Array(2);
    h.push(Float64Array.of(1, 0), z, Float64Array.of(-1, 0), z);
    h.push(Float64Array.of(1, 0), z, Float64Array.of(0, 5), z);
    expect([h.count, h.head]).toEqual([0, 0]);
    h.push(Float64Array.of(1, 0), z, Float64Array.of(2, 1), z);
    expect([h.count, h.head]).toEqual([1, 1]);
    expect(h.rho[0]).toBe(0.5);
    h.clear();
    expect([h.count, h.head]).toEqual([0, 0]);
  });

  it("a rejected pair leaves a full ring as it was (its oldest pair included)", () => {
    const P = 6, m = 3;
    const { x, g } = quadraticPairs(P, m, 11);
    const h = new LbfgsHistory(P, m);
    const pairs: { s: number[]; y: number[] }[] = [];
    for (let k = 0; k < m; k++) {
      h.push(x[k + 1], x[k], g[k + 1], g[k]);
      pairs.push({ s: diff(x[k + 1], x[k]), y: diff(g[k + 1], g[k]) });
    }
    // s·y < 0: rejected, and the slot it would take holds the oldest pair
    h.push(Float64Array.from({ length: P }, (_, i) => (i === 0 ? 1 : 0)), new Float64Array(P), Float64Array.from({ length: P }, (_, i) => (i === 0 ? -1 : 0)), new Float64Array(P));
    expect(h.count).toBe(m);
    const grad = Float64Array.from({ length: P }, (_, i) => Math.sin(i + 1));
    const dir = new Float64Array(P);
    h.direction(grad, dir, new Float64Array(m));
    const want = twoLoop(pairs, Array.from(grad));
    Array.from(dir).forEach((v, i) => expect(v, `entry ${i}`).toBeCloseTo(want[i], 10));
  });

  it("the dense minimiser (absolute curvature test, γ = sᵀy / yᵀy) reaches the minimiser of a convex quadratic", async () => {
    const P = 8;
    const r = mulberry32(21);
    const B = Array.from({ length: P * P }, () => r() - 0.5);
    const c = Float64Array.from({ length: P }, () => r() * 2 - 1);
    // f(x) = ½ xᵀ(BᵀB + I)x − cᵀx, whose minimiser solves (BᵀB + I)x = c
    const Ax = (v: Float64Array): Float64Array => Float64Array.from({ length: P }, (_, i) => {
      let s = v[i];
      for (let k = 0; k < P; k++) for (let j = 0; j < P; j++) s += B[k * P + i] * B[k * P + j] * v[j];
      return s;
    });
    const f = (x: Float64Array, g: Float64Array): number => {
      const a = Ax(x);
      for (let i = 0; i < P; i++) g[i] = a[i] - c[i];
      return 0.5 * dot(x, a) - dot(c, x);
    };
    const { x } = await lbfgs(f, new Float64Array(P), { tol: 1e-12, relTol: 0, maxIter: 500, m: 4 });
    const residual = Ax(x).map((v, i) => v - c[i]);
    expect(Math.max(...residual.map(Math.abs))).toBeLessThan(1e-9);
    expect(ABSOLUTE_CURVATURE.keeps(1e-13, 1e-30)).toBe(false);
    expect(ABSOLUTE_CURVATURE.gamma(3, 4)).toBe(0.75);
  });

  it("shiftL2 turns the pairs of f into those of f + δ/2·‖x[0..p)‖²", () => {
    const P = 5, m = 10, delta = 0.7, penalised = 3;
    const { x, g } = quadraticPairs(P, 6, 5);
    const h = new LbfgsHistory(P, m);
    const pairs: { s: number[]; y: number[] }[] = [];
    for (let k = 0; k < 6; k++) {
      h.push(x[k + 1], x[k], g[k + 1], g[k]);
      const s = diff(x[k + 1], x[k]);
      pairs.push({ s, y: diff(g[k + 1], g[k]).map((v, i) => v + (i < penalised ? delta * s[i] : 0)) });
    }
    h.shiftL2(delta, penalised);
    const grad = Float64Array.from([0.3, -0.2, 0.5, 0.1, -0.4]);
    const dir = new Float64Array(P);
    h.direction(grad, dir, new Float64Array(m));
    const want = twoLoop(pairs, Array.from(grad));
    Array.from(dir).forEach((v, i) => expect(v).toBeCloseTo(want[i], 10));
  });

  it("shiftL2 drops the pairs from the first one that loses its curvature", () => {
    const h = new LbfgsHistory(1, 3);
    const z = new Float64Array(1);
    h.push(Float64Array.of(1), z, Float64Array.of(1), z); // oldest: s = 1, y = 1
    h.push(Float64Array.of(1), z, Float64Array.of(3), z); // newest: s = 1, y = 3
    h.shiftL2(-2, 1); // y → −1 and 1: the newest keeps its curvature, the oldest does not
    expect(h.count).toBe(1);
    expect(h.rho[h.slot(0)]).toBe(1);
  });

  it("history size: 10 pairs, fewer for wide models, never below 3", () => {
    expect(historySize(1000)).toBe(10);
    expect(historySize(1_000_000)).toBe(10);
    expect(historySize(2_000_000)).toBe(5);
    expect(historySize(1e9)).toBe(3);
    expect(historySize(100, 16 * 100 * 4)).toBe(4);
  });
});
