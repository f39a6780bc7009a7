/**
 * The gradient proof of the fine-tuning graph ("train above the cache"): for every pooling ×
 * every task, the hand-written backward graph's loss and `grad.<param>` outputs are checked
 * against the independent float64 reference (test/reference/finetuneReference.ts) — the loss
 * directly, every gradient entry against central finite differences of the reference loss — and
 * the inference graph's logits against the training graph's. Padding content must never matter.
 */
import { describe, it, expect } from "vitest";
import { buildFinetuneGraph, paramShapes } from "../../src/finetune/graph.js";
import type { FinetuneSpec } from "../../src/finetune/spec.js";
import { bertLikeStack } from "../../src/families/bertLike/trainLayers.js";
import { OrtSession, float16, float32, f32, type Feeds } from "../../src/backends/ort.js";
import { compareGradients } from "../reference/gradientCheck.js";
import {
  exactHalfBits, finetuneForward, halfExact, randomCase, referenceLoss, referenceParamShapes,
  type FinetunePooling, type FinetuneTask, type RandomCase, type ReferenceSpec,
} from "../reference/finetuneReference.js";

/** Small dims: every gradient entry of every tensor is checked. */
const H = 8, NUM_HEADS = 2, INTER = 16, K = 2, F = 2, B = 3, T = 5;
/** row 0 fully valid, row 1 partially padded, row 2 with no valid token */
const LENGTHS = [5, 3, 0];
/** max/min pooling: the top two valid values of every (row, channel) must differ by more than this, so no finite difference crosses a kink */
const KINK_MARGIN = 1e-3;
/** loss: float32 sums of O(1) terms (a float32 forward measured ≤1e-7 relative) */
const LOSS_RTOL = 1e-5;
/** logits vs reference, and inference vs training graph: |a − b| ≤ tol·(1 + |b|) */
const LOGIT_TOL = 2e-5;

const POOLINGS: [FinetunePooling, "cls" | "mean"][] = [
  ["mean", "cls"], ["max", "cls"], ["min", "cls"], ["attention", "cls"], ["weightedLayer", "cls"], ["weightedLayer", "mean"],
];
const TASKS: [FinetuneTask, number][] = [["binary", 1], ["multiclass", 3], ["regression", 2]];
const CASES = POOLINGS.flatMap(([pooling, src]) => TASKS.map(([task, C]) => [pooling, src, task, C] as const));

function refSpecOf(pooling: FinetunePooling, layerSource: "cls" | "mean", task: FinetuneTask, C: number): ReferenceSpec {
  return { H, numHeads: NUM_HEADS, inter: INTER, layers: K, eps: 1e-12, C, task, pooling, frozenLayers: pooling === "weightedLayer" ? F : 0, layerSource };
}

/** The graph's feeds, as the API describes them. */
function feedsOf(spec: FinetuneSpec, c: RandomCase, hiddenBits: Uint16Array): Feeds {
  const { inputs } = c;
  const feeds: Feeds = {
    hidden: float16(hiddenBits, [B, T, H]),
    mask: float32(Float32Array.from(inputs.mask), [B, T]),
    pmu: float32(Float32Array.from(inputs.pmu), [H]),
    psd: float32(Float32Array.from(inputs.psd), [H]),
  };
  if (spec.pooling === "weightedLayer") feeds.frozen = float32(Float32Array.from(inputs.frozen), [B, F, H]);
  for (const [name, dims] of paramShapes(spec)) feeds[name] = float32(Float32Array.from(c.params.get(name)!), dims);
  if (spec.training) {
    feeds.y = float32(Float32Array.from(inputs.y), [B, spec.C]);
    feeds.rw = float32(Float32Array.from(inputs.rw), [B, 1]);
  }
  return feeds;
}

function expectedInputs(spec: FinetuneSpec): string[] {
  return [
    "hidden", "mask", ...(spec.pooling === "weightedLayer" ? ["frozen"] : []), "pmu", "psd",
    ...referenceParamShapes(spec).map(([n]) => n), ...(spec.training ? ["y", "rw"] : []),
  ].sort();
}

/** hidden with every padding position overwritten by nonzero float16 values (empty rows too unless `skipEmptyRows`). */
function perturbPadding(c: RandomCase, skipEmptyRows: boolean): { bits: Uint16Array; hidden: Float64Array; count: number } {
  const hidden = Float64Array.from(c.inputs.hidden);
  let count = 0;
  for (let b = 0; b < B; b++) {
    if (c.lengths[b] === 0 && skipEmptyRows) continue;
    for (let t = c.lengths[b]; t < T; t++)
      for (let j = 0; j < H; j++) hidden[(b * T + t) * H + j] = halfExact(((count++ % 11) - 5) * 0.75 + 0.125);
  }
  return { bits: Uint16Array.from(hidden, exactHalfBits), hidden, count };
}

/** Smallest gap between the largest two (and the smallest two) valid values of any (row, channel) of h [B,T,H]. */
function extremeMargin(h: Float64Array, lengths: readonly number[]): number {
  let margin = Infinity;
  for (let b = 0; b < B; b++)
    for (let j = 0; j < H; j++) {
      const v = Array.from({ length: lengths[b] }, (_, t) => h[(b * T + t) * H + j]).sort((x, y) => x - y);
      if (v.length > 1) margin = Math.min(margin, v[1] - v[0], v[v.length - 1] - v[v.length - 2]);
    }
  return margin;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

describe("fine-tuning graph vs the float64 reference", () => {
  it.each(CASES)("%s pooling (layer source %s), %s C=%i: loss, every gradient, inference logits, padding invariance", async (pooling, src, task, C) => {
    const refSpec = refSpecOf(pooling, src, task, C);
    const stack = bertLikeStack(refSpec);
    const spec: FinetuneSpec = { ...refSpec, stack, training: true };
    const inferSpec: FinetuneSpec = { ...refSpec, stack, training: false };

    // the parameter contract: exactly the spec's names and dims
    const shapes: [string, number[]][] = paramShapes(spec);
    const wantShapes = referenceParamShapes(refSpec);
    expect(shapes.length).toBe(wantShapes.length);
    expect(Object.fromEntries(shapes)).toEqual(Object.fromEntries(wantShapes));
    expect(paramShapes(inferSpec)).toEqual(shapes);

    const seed = 1000 + CASES.findIndex((x) => x[0] === pooling && x[1] === src && x[2] === task);
    const c = randomCase(refSpec, B, T, LENGTHS, seed);
    const ref = referenceLoss(refSpec, c.params, c.inputs);
    expect(Number.isFinite(ref.loss)).toBe(true);
    if (pooling === "max" || pooling === "min") expect(extremeMargin(finetuneForward(refSpec, c.params, c.inputs).layerOutputs[K - 1], c.lengths)).toBeGreaterThan(KINK_MARGIN);

    const train = await OrtSession.load(buildFinetuneGraph(spec), { threads: 1 });
    const infer = await OrtSession.load(buildFinetuneGraph(inferSpec), { threads: 1 });
    try {
      expect([...train.inputNames].sort()).toEqual(expectedInputs(spec));
      expect([...infer.inputNames].sort()).toEqual(expectedInputs(inferSpec));
      const gradNames = shapes.map(([n]) => `grad.${n}`);
      for (const o of ["logits", "loss", ...gradNames]) expect(train.outputNames).toContain(o);
      expect(infer.outputNames).toContain("logits");

      const out = await train.run(feedsOf(spec, c, c.hiddenBits));

      // loss and logits
      const loss = f32(out.loss);
      expect(loss.length).toBe(1);
      const lossErr = Math.abs(loss[0] - ref.loss) / Math.abs(ref.loss);
      expect(lossErr).toBeLessThan(LOSS_RTOL);
      const logits = f32(out.logits);
      expect(logits.length).toBe(B * C);
      let logitErr = 0;
      for (let i = 0; i < B * C; i++) logitErr = Math.max(logitErr, Math.abs(logits[i] - ref.logits[i]) / (1 + Math.abs(ref.logits[i])));
      expect(logitErr).toBeLessThan(LOGIT_TOL);

      // the inference graph computes the same logits
      const inferLogits = f32((await infer.run(feedsOf(inferSpec, c, c.hiddenBits))).logits);
      expect(inferLogits.length).toBe(B * C);
      let inferErr = 0;
      for (let i = 0; i < B * C; i++) inferErr = Math.max(inferErr, Math.abs(inferLogits[i] - logits[i]) / (1 + Math.abs(logits[i])));
      expect(inferErr).toBeLessThan(LOGIT_TOL);

      // every gradient against central differences of the float64 reference loss
      for (const [name, dims] of shapes) expect(Array.from(out[`grad.${name}`].dims), `grad.${name} dims`).toEqual(dims);
      const { bad, worstRatio, worstName, worstNorm } = compareGradients(shapes.map(([n]) => n), (n) => f32(out[`grad.${n}`]), c.params, () => referenceLoss(refSpec, c.params, c.inputs).loss, seed);
      console.log(
        `${pooling}/${src}/${task}: loss rel ${lossErr.toExponential(1)}, logits ${logitErr.toExponential(1)}, infer-vs-train ${inferErr.toExponential(1)}, ` +
          `worst entry ${(worstRatio * 100).toFixed(1)}% of tolerance (${worstName}), worst tensor norm ${(worstNorm * 100).toFixed(1)}%`,
      );
      expect(bad.slice(0, 20)).toEqual([]);

      // padding content never matters. By spec a cls vector reads position 0 whatever the mask,
      // so for weightedLayer/cls the empty row's (all-padding) content is part of the input.
      const skipEmpty = pooling === "weightedLayer" && src === "cls";
      const p = perturbPadding(c, skipEmpty);
      expect(p.count).toBeGreaterThan(0);
      expect(referenceLoss(refSpec, c.params, { ...c.inputs, hidden: p.hidden }).loss).toBe(ref.loss);
      const out2 = await train.run(feedsOf(spec, c, p.bits));
      expect(f32(out2.loss)[0]).toBe(loss[0]);
      expect(Array.from(f32(out2.logits))).toEqual(Array.from(logits));
      for (const n of gradNames) {
        const a = f32(out[n]), b = f32(out2[n]);
        let d = 0;
        for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        expect(d, `${n} changed with the padding content`).toBeLessThanOrEqual(1e-6 * (1 + maxAbs(a)));
      }
      const inferLogits2 = f32((await infer.run(feedsOf(inferSpec, c, p.bits))).logits);
      expect(Array.from(inferLogits2)).toEqual(Array.from(inferLogits));
    } finally {
      await Promise.all([train.release(), infer.release()]);
    }
  });
});
