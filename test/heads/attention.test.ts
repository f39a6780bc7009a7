import { describe, it, expect } from "vitest";
import { buildAttentionGraph, PARAM_NAMES } from "../../src/heads/attentionGraph.js";
import { attentionPool } from "../../src/heads/attention.js";
import { OrtSession, float16, float32, f32 } from "../../src/backends/ort.js";
import { gaussian } from "../helpers/synthetic.js";
import type { Task } from "../../src/config.js";

/** float64 Σ_b rw_b·loss_b of the head, from attentionPool + linear output — independent of the graph. */
function referenceLoss(params: Float64Array[], raw: Float64Array[], H: number, C: number, task: Task, y: number[][], rw: number, mu: number[], sd: number[]): number {
  const [W1, b1, g, beta, w2, Wo, bo] = params;
  let total = 0;
  // the graph standardises tokens with the training rows' statistics
  const rows = raw.map((r) => r.map((v, i) => (v - mu[i % H]) / sd[i % H]));
  rows.forEach((tok, b) => {
    const T = tok.length / H;
    const { pooled } = attentionPool(tok, T, H, { W1, b1, g, beta, w2 });
    const z = Array.from({ length: C }, (_, k) => {
      let s = bo[k];
      for (let j = 0; j < H; j++) s += pooled[j] * Wo[j * C + k];
      return s;
    });
    let l: number;
    if (task === "regression") l = z.reduce((a, zk, k) => a + 0.5 * (zk - y[b][k]) ** 2, 0);
    else if (C === 1) l = Math.max(z[0], 0) - y[b][0] * z[0] + Math.log1p(Math.exp(-Math.abs(z[0])));
    else {
      const mx = Math.max(...z);
      const lse = mx + Math.log(z.reduce((a, zk) => a + Math.exp(zk - mx), 0));
      l = lse - z.reduce((a, zk, k) => a + y[b][k] * zk, 0);
    }
    total += rw * l;
  });
  return total;
}

describe("attention head training graph", () => {
  it.each([
    ["binary", 1],
    ["multiclass", 3],
    ["regression", 2],
  ] as [Task, number][])("%s: gradients match finite differences of an independent float64 forward", async (task, C) => {
    const H = 6, B = 3, T = 5;
    const lengths = [5, 2, 0]; // the last row has no valid token
    const rnd = gaussian(11 + C);
    const q = (x: number): number => Math.round(x * 64) / 64; // exactly representable in float16
    const rows = lengths.map((len) => Float64Array.from({ length: len * H }, () => q(rnd())));
    const shapes = [H * H, H, H, H, H, H * C, C];
    const params = shapes.map((n, i) => Float64Array.from({ length: n }, () => (i === 2 ? 1 + 0.3 * rnd() : 0.5 * rnd())));
    const y = lengths.map(() => Array.from({ length: C }, (_, k) => (task === "regression" ? rnd() : C === 1 ? 1 : k === 1 ? 1 : 0)));
    y[1] = task === "multiclass" ? [1, 0, 0] : y[1].map((v) => (task === "binary" ? 0 : v));
    const mu = Array.from({ length: H }, () => 0.3 * rnd()), sd = Array.from({ length: H }, () => 0.5 + Math.abs(rnd()));

    const s = await OrtSession.load(buildAttentionGraph(H, C, task, true), { threads: 1 });
    const tokens = new Uint16Array(B * T * H), mask = new Float32Array(B * T);
    const half = (x: number): number => {
      // x is a multiple of 1/64 within ±8: encode exactly
      if (x === 0) return 0;
      const sign = x < 0 ? 0x8000 : 0;
      const a = Math.abs(x);
      const e = Math.floor(Math.log2(a));
      return sign | ((e + 15) << 10) | Math.round((a / 2 ** e - 1) * 1024);
    };
    rows.forEach((r, b) => {
      for (let i = 0; i < r.length; i++) tokens[b * T * H + i] = half(r[i]);
      mask.fill(1, b * T, b * T + lengths[b]);
    });
    const dims = [[H, H], [H], [H], [H], [H, 1], [H, C], [C]];
    const out = await s.run({
      tokens: float16(tokens, [B, T, H]),
      mask: float32(mask, [B, T]),
      mu: float32(Float32Array.from(mu), [H]),
      sd: float32(Float32Array.from(sd), [H]),
      ...Object.fromEntries(PARAM_NAMES.map((n, i) => [n, float32(Float32Array.from(params[i]), dims[i])])),
      y: float32(Float32Array.from(y.flat()), [B, C]),
      rw: float32(new Float32Array(B).fill(1 / B), [B, 1]),
    });
    const names = ["dW1", "db1", "dg", "dbeta", "dw2", "dWo", "dbo"];
    let worst = 0;
    names.forEach((n, pi) => {
      const got = f32(out[n]);
      expect(got.every(Number.isFinite)).toBe(true);
      for (let j = 0; j < params[pi].length; j++) {
        const eps = 1e-5, keep = params[pi][j];
        params[pi][j] = keep + eps;
        const up = referenceLoss(params, rows, H, C, task, y, 1 / B, mu, sd);
        params[pi][j] = keep - eps;
        const down = referenceLoss(params, rows, H, C, task, y, 1 / B, mu, sd);
        params[pi][j] = keep;
        const fd = (up - down) / (2 * eps);
        worst = Math.max(worst, Math.abs(fd - got[j]) / Math.max(1e-2, Math.abs(fd)));
      }
    });
    expect(f32(out.logits).every(Number.isFinite)).toBe(true);
    expect(worst).toBeLessThan(2e-3);
    await s.release();
  });
});
