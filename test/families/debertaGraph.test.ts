/**
 * DeBERTa-v3's inference graph against transformers: two random-weight checkpoints (the v3
 * defaults with a masked-LM head beside the encoder; 16 buckets / 32 relative positions with
 * unshared position projections and a classification head), every hidden state on padded rows of
 * hostile texts, and the pooled outputs — all within 1e-4. Fixtures: test/fixtures/deberta/.
 */
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readSafetensors } from "../../src/io/safetensors.js";
import { readModelConfig } from "../../src/families/registry.js";
import { buildEncoderGraph } from "../../src/backbone/encoderGraph.js";
import { OrtSession, int64, f32 } from "../../src/backends/ort.js";
import { readNpy } from "../../src/io/npy.js";
import { logBucket, relativeRowTable } from "../../src/families/deberta/relativePositions.js";
import { debertaSettings } from "../../src/families/deberta/config.js";

const DIR = join(import.meta.dirname, "../fixtures/deberta");
const expected = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8")) as {
  transformersIds: number[][];
  longIds: number[];
  models: Record<string, { numLayers: number; hiddenSize: number; seqLen: number; rows: number[] }> & Record<string, { layersMean: number[][]; layersCls: number[][] }>;
  logBuckets: { range: [number, number]; table: Record<string, number[]> };
};

function batch(name: string): { ids: BigInt64Array; mask: BigInt64Array; B: number; T: number; lengths: number[] } {
  const m = expected.models[name];
  const rows = m.rows.map((r) => expected.transformersIds[r]);
  const B = rows.length, T = m.seqLen;
  const ids = new BigInt64Array(B * T), mask = new BigInt64Array(B * T);
  rows.forEach((r, b) => r.forEach((id, t) => ((ids[b * T + t] = BigInt(id)), (mask[b * T + t] = 1n))));
  return { ids, mask, B, T, lengths: rows.map((r) => r.length) };
}

async function run(name: string, outputs: "hiddenStates" | "pooled", fused: boolean, extraRow = false): Promise<{ out: Record<string, Float32Array>; b: ReturnType<typeof batch> }> {
  const { family, cfg } = readModelConfig(join(DIR, name, "config.json"));
  const bytes = buildEncoderGraph(family, readSafetensors(join(DIR, name, "model.safetensors")), cfg, { outputs, fused });
  const s = await OrtSession.load(bytes, { threads: 1 });
  const b = batch(name);
  let { ids, mask, B } = b;
  if (extraRow) {
    // one more row without any valid token
    ids = BigInt64Array.from([...ids, ...new BigInt64Array(b.T)]);
    mask = BigInt64Array.from([...mask, ...new BigInt64Array(b.T)]);
    B += 1;
  }
  const res = await s.run({ input_ids: int64(ids, [B, b.T]), attention_mask: int64(mask, [B, b.T]) });
  await s.release();
  const out: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(res)) if (v.type === "float32") out[k] = f32(v);
  return { out, b };
}

/** max |diff| over valid positions of hidden state l: ours [B,T,H] vs transformers' [B,L+1,T,H] */
function layerDiff(ours: Float32Array, ref: Float32Array, l: number, L1: number, b: ReturnType<typeof batch>, H: number): number {
  let worst = 0;
  for (let r = 0; r < b.B; r++)
    for (let t = 0; t < b.lengths[r]; t++)
      for (let h = 0; h < H; h++) worst = Math.max(worst, Math.abs(ours[(r * b.T + t) * H + h] - ref[((r * L1 + l) * b.T + t) * H + h]));
  return worst;
}

describe("DeBERTa-v3 log-bucketed relative positions", () => {
  it("equal transformers' make_log_bucket_position for every distance in ±700 under seven settings", () => {
    const [lo, hi] = expected.logBuckets.range;
    for (const [key, want] of Object.entries(expected.logBuckets.table)) {
      const [b, m] = key.split("/").map(Number);
      const got = Array.from({ length: hi - lo + 1 }, (_, i) => logBucket(lo + i, b, m));
      expect(got, key).toEqual(want);
    }
  });

  it("the clamped row table is constant beyond its last distance", () => {
    const cfg = readModelConfig(join(DIR, "v3-mlm", "config.json")).cfg;
    const s = debertaSettings(cfg);
    const { rows, maxDistance } = relativeRowTable(s);
    expect(rows[0]).toBe(0);
    expect(rows[2 * maxDistance]).toBe(2 * s.span - 1);
    expect(rows[maxDistance]).toBe(s.span);
  });
});

for (const name of ["v3-mlm", "buckets16-cls"]) {
  describe(`DeBERTa-v3 graph vs transformers: ${name}`, () => {
    for (const fused of [false, true]) {
      it(`every hidden state within 1e-4 on padded hostile rows${fused ? " (fused dense ops)" : ""}`, async () => {
        const m = expected.models[name];
        const ref = readNpy(join(DIR, `${name}.hidden.npy`)).data as Float32Array;
        const { out, b } = await run(name, "hiddenStates", fused);
        const diffs = Array.from({ length: m.numLayers + 1 }, (_, l) => layerDiff(out[`hidden_states.${l}`], ref, l, m.numLayers + 1, b, m.hiddenSize));
        console.log(`${name}${fused ? " fused" : ""}: max |diff| per hidden state ${diffs.map((d) => d.toExponential(1)).join(", ")}`);
        for (const d of diffs) expect(d).toBeLessThan(1e-4);
      });
    }

    it(`a ${expected.longIds.length}-token row (distances deep in the log buckets): every layer's mean and first position within 1e-4`, async () => {
      const { family, cfg } = readModelConfig(join(DIR, name, "config.json"));
      const bytes = buildEncoderGraph(family, readSafetensors(join(DIR, name, "model.safetensors")), cfg, { outputs: "pooled", fused: true });
      const s = await OrtSession.load(bytes, { threads: 1 });
      const T = expected.longIds.length;
      const res = await s.run({ input_ids: int64(BigInt64Array.from(expected.longIds, BigInt), [1, T]), attention_mask: int64(new BigInt64Array(T).fill(1n), [1, T]) });
      await s.release();
      const ref = (expected.models as Record<string, { layersMean: number[][]; layersCls: number[][] }>)[`${name}/long`];
      const mean = f32(res.layers_mean), cls = f32(res.layers_cls);
      const worst = Math.max(...ref.layersMean.flat().map((v, i) => Math.abs(v - mean[i])), ...ref.layersCls.flat().map((v, i) => Math.abs(v - cls[i])));
      console.log(`${name}: ${T}-token row, layers_mean/layers_cls max |diff| ${worst.toExponential(1)}`);
      expect(worst).toBeLessThan(1e-4);
    });

    it("pooled outputs (mean, max, min, layers_cls, layers_mean) within 1e-4 of transformers' states; a row without tokens gives zeros", async () => {
      const m = expected.models[name];
      const H = m.hiddenSize, L1 = m.numLayers + 1;
      const ref = readNpy(join(DIR, `${name}.hidden.npy`)).data as Float32Array;
      const { out, b } = await run(name, "pooled", true, true);
      let worst = 0;
      const at = (r: number, l: number, t: number, h: number): number => ref[((r * L1 + l) * b.T + t) * H + h];
      for (let r = 0; r < b.B; r++) {
        const n = b.lengths[r];
        for (let h = 0; h < H; h++) {
          const col = Array.from({ length: n }, (_, t) => at(r, L1 - 1, t, h));
          worst = Math.max(worst, Math.abs(out.mean[r * H + h] - col.reduce((a, v) => a + v, 0) / n));
          worst = Math.max(worst, Math.abs(out.max[r * H + h] - Math.max(...col)), Math.abs(out.min[r * H + h] - Math.min(...col)));
          for (let l = 0; l < L1; l++) {
            worst = Math.max(worst, Math.abs(out.layers_cls[(r * L1 + l) * H + h] - at(r, l, 0, h)));
            const mean = Array.from({ length: n }, (_, t) => at(r, l, t, h)).reduce((a, v) => a + v, 0) / n;
            worst = Math.max(worst, Math.abs(out.layers_mean[(r * L1 + l) * H + h] - mean));
          }
        }
      }
      console.log(`${name}: pooled outputs max |diff| ${worst.toExponential(1)}`);
      expect(worst).toBeLessThan(1e-4);
      const empty = b.B;
      for (const k of ["mean", "max", "min"]) expect(Array.from(out[k].subarray(empty * H, (empty + 1) * H)).every((v) => v === 0)).toBe(true);
    });
  });
}
