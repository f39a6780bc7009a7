/**
 * The fine-tuned heads on each BERT-like family: the family module maps the checkpoint's top
 * layers (hub prefix and all) to the trainable stack exactly as the independent reference
 * mapping does, and the stack's hand-written backward graph gives every parameter's gradient as
 * central finite differences of the float64 reference (test/reference/finetuneReference.ts) —
 * on the family's real (random-weight) layers, rows fully valid, padded, and without a valid token.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importModel } from "../../src/backbone/importModel.js";
import { readSafetensors, type Tensor } from "../../src/io/safetensors.js";
import { loadTopLayers } from "../../src/finetune/weights.js";
import { buildFinetuneGraph, paramShapes } from "../../src/finetune/graph.js";
import type { FinetuneSpec } from "../../src/finetune/spec.js";
import { OrtSession, float16, float32, f32, type Feeds } from "../../src/backends/ort.js";
import { bertLayerAsParams, randomCase, referenceLoss, type FinetunePooling, type FinetuneTask, type RandomCase, type ReferenceSpec } from "../reference/finetuneReference.js";
import { compareGradients } from "../reference/gradientCheck.js";
import { FAMILY_FIXTURES, FIXTURES } from "./fixtures.js";

const K = 2, B = 3, T = 5;
/** row 0 fully valid, row 1 padded, row 2 with no valid token */
const LENGTHS = [5, 3, 0];
const CASES: [FinetunePooling, FinetuneTask, number][] = [["mean", "binary", 1], ["attention", "multiclass", 3]];

function feedsOf(spec: FinetuneSpec, c: RandomCase): Feeds {
  const H = spec.H;
  const feeds: Feeds = {
    hidden: float16(c.hiddenBits, [B, T, H]),
    mask: float32(Float32Array.from(c.inputs.mask), [B, T]),
    pmu: float32(Float32Array.from(c.inputs.pmu), [H]),
    psd: float32(Float32Array.from(c.inputs.psd), [H]),
    y: float32(Float32Array.from(c.inputs.y), [B, spec.C]),
    rw: float32(Float32Array.from(c.inputs.rw), [B, 1]),
  };
  for (const [name, dims] of paramShapes(spec)) feeds[name] = float32(Float32Array.from(c.params.get(name)!), dims);
  return feeds;
}

describe.each(FAMILY_FIXTURES)("%s: fine-tuned top layers", (name) => {
  let top: ReturnType<typeof loadTopLayers>;
  let reference: Map<string, Float64Array>;
  beforeAll(() => {
    const prepared = join(mkdtempSync(join(tmpdir(), `pb-ft-${name}-`)), "model");
    importModel(join(FIXTURES, name), prepared);
    top = loadTopLayers(prepared, K);
    // the independent mapping, on the names as saved (hub prefix stripped here, head tensors ignored)
    const raw = readSafetensors(join(FIXTURES, name, "model.safetensors"));
    const bare = new Map<string, Tensor>([...raw].map(([n, t]) => [n.replace(/^(roberta|electra)\./, ""), t]));
    const first = top.cfg.numLayers - K;
    reference = new Map(Array.from({ length: K }, (_, l) => [...bertLayerAsParams(bare, first + l, l)]).flat());
  });

  it("the family's weight mapping gives the reference's parameters, bit for bit", () => {
    expect([...top.params.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [n, v] of reference) expect(Array.from(top.params.get(n)!), n).toEqual(Array.from(v, Math.fround));
  });

  it.each(CASES)("%s pooling, %s: loss and every gradient vs finite differences of the float64 reference; padding content never matters", async (pooling, task, C) => {
    const cfg = top.cfg;
    const refSpec: ReferenceSpec = { H: cfg.hiddenSize, numHeads: cfg.numHeads, inter: cfg.intermediateSize, layers: K, eps: cfg.layerNormEps, C, task, pooling, frozenLayers: 0, layerSource: "cls" };
    const spec: FinetuneSpec = { ...refSpec, stack: top.stack, training: true };
    const seed = 77 + CASES.findIndex((x) => x[0] === pooling);
    const c = randomCase(refSpec, B, T, LENGTHS, seed);
    for (const [n, v] of top.params) c.params.set(n, Float64Array.from(v));
    const ref = referenceLoss(refSpec, c.params, c.inputs);
    const s = await OrtSession.load(buildFinetuneGraph(spec), { threads: 1 });
    try {
      const out = await s.run(feedsOf(spec, c));
      const lossErr = Math.abs(f32(out.loss)[0] - ref.loss) / Math.abs(ref.loss);
      expect(lossErr).toBeLessThan(1e-5);
      const names = paramShapes(spec).map(([n]) => n);
      const r = compareGradients(names, (n) => f32(out[`grad.${n}`]), c.params, () => referenceLoss(refSpec, c.params, c.inputs).loss, seed);
      console.log(`${name} ${pooling}/${task}: ${names.length} gradient tensors, loss rel ${lossErr.toExponential(1)}, worst entry ${(r.worstRatio * 100).toFixed(1)}% of tolerance (${r.worstName}), worst tensor norm ${(r.worstNorm * 100).toFixed(1)}%`);
      expect(r.bad.slice(0, 20)).toEqual([]);
      // padding positions (the empty row's included) filled with nonzero values: same loss and gradients
      const bits = Uint16Array.from(c.hiddenBits);
      for (let b = 0; b < B; b++) for (let t = LENGTHS[b]; t < T; t++) for (let j = 0; j < cfg.hiddenSize; j++) bits[(b * T + t) * cfg.hiddenSize + j] = 0x3c00 + ((b + t + j) % 7) * 0x100;
      const out2 = await s.run({ ...feedsOf(spec, c), hidden: float16(bits, [B, T, cfg.hiddenSize]) });
      expect(f32(out2.loss)[0]).toBe(f32(out.loss)[0]);
      for (const n of names) {
        const a = f32(out[`grad.${n}`]), b2 = f32(out2[`grad.${n}`]);
        const scale = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(a.reduce((m, v, i) => Math.max(m, Math.abs(v - b2[i])), 0), `${n} changed with the padding content`).toBeLessThanOrEqual(1e-6 * (1 + scale));
      }
    } finally {
      await s.release();
    }
  });
});
