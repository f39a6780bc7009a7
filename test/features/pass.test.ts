import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { writeFileSync, existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadBackbone } from "../helpers/model.js";
import { makeSentimentCompetition, type TempCompetition } from "../helpers/competition.js";
import { runPipeline, runAndKill, treeHashes } from "../helpers/run.js";
import { loadConfig } from "../../src/config.js";
import { runFeatures } from "../../src/features/run.js";
import { FeatureSplit } from "../../src/store/features.js";
import { readCsv, writeCsv } from "../../src/io/csv.js";
import { halfsToFloats } from "../../src/io/safetensors.js";
import type { Backbone, RowFeatures } from "../../src/backbone/backbone.js";
import { maxAbsDiff } from "../helpers/numeric.js";

let backbone: Backbone;
beforeAll(async () => {
  backbone = await loadBackbone(128);
});
afterAll(async () => {
  await backbone.release();
});

function rowDiff(a: RowFeatures, b: RowFeatures): number {
  return Math.max(maxAbsDiff(a.mean, b.mean), maxAbsDiff(a.max, b.max), maxAbsDiff(a.min, b.min), maxAbsDiff(a.layersCls, b.layersCls), maxAbsDiff(a.layersMean, b.layersMean));
}

describe("masking and batch invariance", () => {
  const short = ["Great for the jawbone."];
  const long = ["If you have several dozen or several hundred contacts, then imagine the fun of sending each of them one by one, which is what this phone makes you do every single day."];

  it("a text's features are the same alone or batched with a much longer text", async () => {
    const tok = backbone.tokenizer;
    const [alone] = await backbone.forward([tok.encode(short)]);
    const [batched] = await backbone.forward([tok.encode(short), tok.encode(long)]);
    const d = rowDiff(alone, batched);
    console.log(`alone vs batched with a ${tok.encode(long).ids.length}-token text: max |diff| = ${d.toExponential(2)}`);
    expect(d).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(halfsToFloats(alone.tokens), halfsToFloats(batched.tokens))).toBeLessThanOrEqual(2e-3);
  });

  it("padding never wins a max or a min: they equal the extremes over the valid tokens", async () => {
    const tok = backbone.tokenizer;
    const [r] = await backbone.forward([tok.encode(short), tok.encode(long)]);
    const H = 384;
    const t = halfsToFloats(r.tokens);
    const T = t.length / H;
    expect(T).toBe(tok.encode(short).ids.length);
    for (let h = 0; h < H; h++) {
      let mx = -Infinity, mn = Infinity;
      for (let k = 0; k < T; k++) {
        mx = Math.max(mx, t[k * H + h]);
        mn = Math.min(mn, t[k * H + h]);
      }
      // tokens are float16: allow its rounding only
      expect(Math.abs(r.max[h] - mx)).toBeLessThanOrEqual(Math.abs(mx) * 1e-3 + 1e-4);
      expect(Math.abs(r.min[h] - mn)).toBeLessThanOrEqual(Math.abs(mn) * 1e-3 + 1e-4);
    }
  });

  it("an empty text gives finite features from [CLS][SEP]", async () => {
    const [r] = await backbone.forward([backbone.tokenizer.encode([""]), backbone.tokenizer.encode(long)]);
    for (const a of [r.mean, r.max, r.min, r.layersCls, r.layersMean]) expect(a.every(Number.isFinite)).toBe(true);
    expect(r.tokens.length).toBe(2 * 384);
  });
});

describe("feature pass on disk", () => {
  let comp: TempCompetition;
  beforeAll(() => {
    comp = makeSentimentCompetition(60, 20);
  });

  it("writes the export, then a rerun does zero forward passes", async () => {
    const cfg = loadConfig(comp.configFile);
    const first = await runFeatures(cfg);
    expect(first.splits.map((s) => s.forwardRows)).toEqual([60, 20]);
    const train = FeatureSplit.open(join(cfg.out, "features", "train"));
    expect(train.rows).toBe(60);
    expect(train.load("layers_cls").shape).toEqual([60, 7, 384]);
    const off = train.offsets();
    expect(off[60]).toBe(train.manifest.tokens);
    expect(train.load("tokens").shape).toEqual([train.manifest.tokens, 384]);
    expect(train.ids.slice(0, 3)).toEqual(["000000", "000001", "000002"]);
    // row i's mean equals the mean of its own token slice (float16 tokens)
    const mean = train.load("mean").data as Float32Array;
    const tok = halfsToFloats(train.load("tokens").data as Uint16Array);
    for (const i of [0, 17, 59]) {
      const m = new Float64Array(384);
      for (let t = off[i]; t < off[i + 1]; t++) for (let h = 0; h < 384; h++) m[h] += tok[t * 384 + h] / (off[i + 1] - off[i]);
      expect(maxAbsDiff(m, mean.subarray(i * 384, (i + 1) * 384))).toBeLessThan(2e-3);
    }
    const again = await runFeatures(cfg);
    expect(again.splits.map((s) => [s.unchanged, s.forwardRows])).toEqual([[true, 0], [true, 0]]);
  });

  it("recomputes only edited rows; the rest is copied byte for byte", async () => {
    const cfg = loadConfig(comp.configFile);
    const dir = join(cfg.out, "features", "train");
    const before = FeatureSplit.open(dir);
    const meanBefore = before.load("mean").data as Float32Array;
    const t = readCsv(join(comp.dataDir, "train.csv"));
    t.rows[5][1] = "This edited review is completely different now.";
    t.rows[40][1] = "Another changed row.";
    writeCsv(join(comp.dataDir, "train.csv"), t.header, t.rows);
    const r = await runFeatures(cfg);
    expect(r.splits[0]).toMatchObject({ forwardRows: 2, reusedRows: 58, unchanged: false });
    expect(r.splits[1]).toMatchObject({ unchanged: true, forwardRows: 0 });
    const after = FeatureSplit.open(dir).load("mean").data as Float32Array;
    for (let i = 0; i < 60; i++) {
      const same = maxAbsDiff(meanBefore.subarray(i * 384, (i + 1) * 384), after.subarray(i * 384, (i + 1) * 384)) === 0;
      expect(same).toBe(i !== 5 && i !== 40);
    }
    const [fresh] = await backbone.forward([backbone.tokenizer.encode(["Another changed row."])]);
    expect(maxAbsDiff(fresh.mean, after.subarray(40 * 384, 41 * 384))).toBeLessThan(1e-5);
  });

  it("a different maxLength invalidates the cache", async () => {
    const cfg = loadConfig(comp.configFile, { backbone: { maxLength: 32 } });
    const r = await runFeatures(cfg);
    expect(r.splits.map((s) => s.forwardRows)).toEqual([60, 20]);
  });
});

describe("kill -9 and resume", () => {
  it("a run killed mid-pass resumes and ends byte-identical to an uninterrupted run", async () => {
    const comp = makeSentimentCompetition(150, 10);
    const outA = join(comp.root, "runA"), outB = join(comp.root, "runB");
    const clean = await runPipeline("features", ["--config", comp.configFile, "--out", outA]);
    expect(clean.code).toBe(0);
    const work = join(outB, "features", ".work", "train");
    const k = await runAndKill("features", ["--config", comp.configFile, "--out", outB], () => existsSync(work) && readdirSync(work).filter((f) => f.startsWith("part-")).length >= 3);
    expect(k.killed).toBe(true);
    expect(existsSync(join(outB, "features", "train", "manifest.json"))).toBe(false);
    const resumed = await runPipeline("features", ["--config", comp.configFile, "--out", outB]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/features train: 150 rows, \d+ computed, 0 reused, (4[8-9]|[5-9]\d|1[0-4]\d) resumed/);
    const noTiming = (h: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(h).filter(([k]) => !k.endsWith("timing.json")));
    expect(noTiming(treeHashes(join(outB, "features")))).toEqual(noTiming(treeHashes(join(outA, "features"))));
  });
});

describe("bad input", () => {
  it.each([
    ["missing column", (d: string) => writeFileSync(join(d, "train.csv"), "id,txt,label\n1,a,0\n"), /train\.csv: row 1, column "text": column not found/],
    ["duplicate id", (d: string) => writeFileSync(join(d, "train.csv"), "id,text,label\n7,a,0\n8,b,1\n7,c,0\n"), /train\.csv: row 4, column "id": duplicate id "7" \(first at row 2\)/],
    ["ragged row", (d: string) => writeFileSync(join(d, "test.csv"), "id,text\n1,a\n2\n"), /test\.csv: row 3, column "text": has 1 fields/],
    ["unterminated quote", (d: string) => writeFileSync(join(d, "train.csv"), 'id,text,label\n1,"abc,0\n'), /train\.csv: row 2, column "text": unterminated quoted field/],
    ["invalid UTF-8", (d: string) => writeFileSync(join(d, "test.csv"), Buffer.from([0x69, 0x64, 0x2c, 0x74, 0x65, 0x78, 0x74, 0x0a, 0x31, 0x2c, 0xff, 0x0a])), /test\.csv: row 2, column "text": invalid UTF-8/],
    ["missing file", (d: string) => rmSync(join(d, "train.csv")), /train\.csv: file not found/],
  ])("%s: one-line error naming file, row, column; exit 2; earlier export untouched", async (_name, breakIt, re) => {
    const comp = makeSentimentCompetition(12, 4);
    const ok = await runPipeline("features", ["--config", comp.configFile]);
    expect(ok.code).toBe(0);
    const out = join(comp.root, "runs", "t", "features");
    const before = treeHashes(out);
    breakIt(comp.dataDir);
    const bad = await runPipeline("features", ["--config", comp.configFile]);
    expect(bad.code).toBe(2);
    const lines = bad.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(re);
    expect(treeHashes(out)).toEqual(before);
  });
});

