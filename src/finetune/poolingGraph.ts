/**
 * The five pooling heads on top of the trained layers, forward and backward, for the fine-tuning
 * graph. Their math is the frozen heads' (src/heads/*.ts): masked mean / max / min of the top
 * layer, attention pooling of its standardised tokens, and the normalised weighted sum of
 * per-layer [CLS] or mean vectors — the cached frozen layers' followed by the trained layers'.
 * Each head's backward pass returns the gradient it sends into every trained layer's output.
 */
import { DT, type GraphBuilder } from "../onnx/graphBuilder.js";
import type { FinetuneSpec } from "./spec.js";
import type { LayerOps } from "../onnx/trainOps.js";

const FLT_MAX = 3.4028234663852886e38;
/** the attention head's score for padding: exp underflows to exactly 0 */
const NEG = -1e30;
/** the attention head's LayerNorm epsilon (src/heads/attentionGraph.ts) */
const ATT_EPS = 1e-5;

export function poolingParams(spec: FinetuneSpec): [string, number[]][] {
  const H = spec.H;
  if (spec.pooling === "attention") return [["att.w1", [H, H]], ["att.b1", [H]], ["att.g", [H]], ["att.beta", [H]], ["att.w2", [H, 1]]];
  if (spec.pooling === "weightedLayer") return [["wl.w", [spec.frozenLayers + spec.layers]]];
  return [];
}

/** The standardised pooled vector z [B,H] and what the backward pass needs. */
export interface Pooled {
  z: string;
  m3: string;
  denom: string;
  saved: Record<string, string>;
}

/** Shared masks: [B,T,1] float mask, and max(count, 1) [B,1] */
function masks(g: GraphBuilder, mask: string): { m3: string; count: string; denom: string } {
  const m3 = g.op("Unsqueeze", [mask, g.intList([2])]);
  const count = g.op("ReduceSum", [mask, g.intList([1])], { keepdims: 1 });
  return { m3, count, denom: g.op("Max", [count, g.scalar(1)]) };
}

const standardise = (g: GraphBuilder, v: string): string => g.op("Div", [g.op("Sub", [v, "pmu"]), "psd"]);
const unsq = (g: GraphBuilder, t: string, axis: number): string => g.op("Unsqueeze", [t, g.intList([axis])]);

/** Masked mean over valid positions [B,H] (0 for a row without any). */
function maskedMean(g: GraphBuilder, h: string, m3: string, denom: string): string {
  return g.op("Div", [g.op("ReduceSum", [g.op("Mul", [h, m3]), g.intList([1])], { keepdims: 0 }), denom]);
}

export function poolingForward(o: LayerOps, spec: FinetuneSpec, outs: readonly string[], mask: string, frozen: string): Pooled {
  const g = o.g;
  const { m3, count, denom } = masks(g, mask);
  const top = outs[outs.length - 1];
  const done = (z: string, saved: Record<string, string> = {}): Pooled => ({ z, m3, denom, saved });
  switch (spec.pooling) {
    case "mean":
      return done(standardise(g, maskedMean(g, top, m3, denom)));
    case "max":
    case "min": {
      const valid = g.op("Cast", [m3], { to: DT.BOOL });
      const masked = g.op("Where", [valid, top, g.scalar(spec.pooling === "max" ? -FLT_MAX : FLT_MAX)]);
      const ext = g.op(spec.pooling === "max" ? "ReduceMax" : "ReduceMin", [masked], { axes: [1], keepdims: 1 });
      const has = unsq(g, g.op("Greater", [count, g.scalar(0)]), 2);
      const pooled = g.op("Squeeze", [g.op("Where", [has, ext, g.scalar(0)]), g.intList([1])]);
      // the positions that hold the extreme receive its gradient (ties share it)
      const hit = g.op("Cast", [g.op("And", [g.op("Equal", [masked, ext]), valid])], { to: DT.FLOAT });
      return done(standardise(g, pooled), { hit });
    }
    case "attention":
      return attentionForward(o, top, mask, m3);
    case "weightedLayer": {
      const vecs = outs.map((h) => (spec.layerSource === "cls" ? g.op("Gather", [h, g.intScalar(0)], { axis: 1 }) : maskedMean(g, h, m3, denom)));
      const V = g.op("Concat", [...(frozen ? [frozen] : []), ...vecs.map((v) => unsq(g, v, 1))], { axis: 1 });
      const S = g.op("ReduceSum", ["wl.w"], { keepdims: 0 });
      const wn = g.op("Div", ["wl.w", S]);
      const pooled = g.op("ReduceSum", [g.op("Mul", [V, g.op("Reshape", [wn, g.intList([1, -1, 1])])]), g.intList([1])], { keepdims: 0 });
      return done(standardise(g, pooled), { V, S, wn, pooled });
    }
  }
}

function attentionForward(o: LayerOps, top: string, mask: string, m3: string): Pooled {
  const g = o.g;
  const X = g.op("Mul", [standardise(g, top), m3]);
  const ln = o.layerNorm(o.dense(X, "att.w1", "att.b1"), "att.g", "att.beta", ATT_EPS);
  const cdf = o.cdf(ln.y);
  const ge = g.op("Mul", [ln.y, cdf]);
  const s = g.op("Squeeze", [g.op("MatMul", [ge, "att.w2"]), g.intList([2])]);
  const valid = g.op("Cast", [mask], { to: DT.BOOL });
  // weights over padding are zeroed; a row with no valid token pools to exactly zero
  const p = g.op("Mul", [g.op("Softmax", [g.op("Where", [valid, s, g.scalar(NEG)])], { axis: 1 }), mask]);
  const z = g.op("Squeeze", [g.op("MatMul", [unsq(g, p, 1), X]), g.intList([1])]);
  return { z, m3, denom: "", saved: { X, xhat: ln.xhat, rstd: ln.rstd, a: ln.y, cdf, ge, p } };
}

/** Gradients of the trained layers' outputs (undefined where the head takes nothing from a layer), writing the head's parameter gradients. */
export function poolingBackward(o: LayerOps, spec: FinetuneSpec, pool: Pooled, outs: readonly string[], mask: string, dz: string): (string | undefined)[] {
  const g = o.g;
  const { m3, denom, saved } = pool;
  const perLayer: (string | undefined)[] = outs.map(() => undefined);
  const dpooled = g.op("Div", [dz, "psd"]);
  const spread = (d: string): string => g.op("Mul", [m3, unsq(g, g.op("Div", [d, denom]), 1)]);
  switch (spec.pooling) {
    case "mean":
      perLayer[outs.length - 1] = spread(dpooled);
      break;
    case "max":
    case "min": {
      const ties = g.op("Max", [g.op("ReduceSum", [saved.hit, g.intList([1])], { keepdims: 1 }), g.scalar(1)]);
      perLayer[outs.length - 1] = g.op("Mul", [saved.hit, g.op("Div", [unsq(g, dpooled, 1), ties])]);
      break;
    }
    case "attention":
      perLayer[outs.length - 1] = attentionBackward(o, saved, mask, m3, dz);
      break;
    case "weightedLayer": {
      const F = spec.frozenLayers;
      // ∂pooled/∂w_i = (v_i − pooled) / S
      const dev = g.op("Sub", [saved.V, unsq(g, saved.pooled, 1)]);
      g.op("Div", [g.op("ReduceSum", [g.op("Mul", [dev, unsq(g, dpooled, 1)]), g.intList([0, 2])], { keepdims: 0 }), saved.S], {}, "grad.wl.w");
      const first = spec.layerSource === "cls" ? firstPosition(g, mask) : "";
      outs.forEach((_, l) => {
        const dv = g.op("Mul", [dpooled, g.op("Gather", [saved.wn, g.intScalar(F + l)], { axis: 0 })]);
        perLayer[l] = spec.layerSource === "cls" ? g.op("Mul", [first, unsq(g, dv, 1)]) : spread(dv);
      });
      break;
    }
  }
  return perLayer;
}

/** [1,T,1]: 1 at position 0 (where [CLS] sits), 0 elsewhere. */
function firstPosition(g: GraphBuilder, mask: string): string {
  const T = g.op("Squeeze", [g.op("Slice", [g.op("Shape", [mask]), g.intList([1]), g.intList([2])]), g.intList([0])]);
  const pos = g.op("Range", [g.intScalar(0), T, g.intScalar(1)]);
  return g.op("Reshape", [g.op("Cast", [g.op("Equal", [pos, g.intScalar(0)])], { to: DT.FLOAT }), g.intList([1, -1, 1])]);
}

function attentionBackward(o: LayerOps, s: Record<string, string>, mask: string, m3: string, dz: string): string {
  const g = o.g;
  const H = o.d.H;
  const dXpool = g.op("Mul", [unsq(g, s.p, 2), unsq(g, dz, 1)]);
  const dp = g.op("Mul", [g.op("Squeeze", [g.op("MatMul", [s.X, unsq(g, dz, 2)]), g.intList([2])]), mask]);
  const ds = g.op("Mul", [s.p, g.op("Sub", [dp, g.op("ReduceSum", [g.op("Mul", [s.p, dp]), g.intList([1])], { keepdims: 1 })])]);
  const ds3 = unsq(g, ds, 2);
  g.op("Unsqueeze", [o.sum01(g.op("Mul", [s.ge, ds3])), g.intList([-1])], {}, "grad.att.w2");
  const da = g.op("Mul", [g.op("Mul", [ds3, g.op("Reshape", ["att.w2", g.intList([H])])]), o.geluGrad(s.a, s.cdf)]);
  const dz1 = o.layerNormBack(da, s.xhat, s.rstd, "att.g", "grad.att.g", "grad.att.beta");
  o.sum01(dz1, "grad.att.b1");
  g.op("Identity", [o.backWeight(s.X, dz1, H, H)], {}, "grad.att.w1");
  const dX = g.op("Add", [dXpool, o.backData(dz1, "att.w1", H, H)]);
  // X = (h − pmu)/psd · mask
  return g.op("Mul", [g.op("Div", [dX, "psd"]), m3]);
}
