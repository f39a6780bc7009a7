/**
 * A model family defined in the test folder (test/fixtures/families/centroid.ts), named by one
 * config line, runs through the real `npm run oof` and `npm run blend` next to a built-in head:
 * its options are parsed by the family, its fold jobs run in the pipelines' worker threads, its
 * cache key follows its options, and the blend and the submission take it in. Its predictions are
 * checked against the nearest-centroid fit recomputed here from the exported mean-pooled vectors.
 * A queue's worker process loads the module too.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { makeSentimentCompetition, type TempCompetition } from "../helpers/competition.js";
import { runPipeline, type RunResult } from "../helpers/run.js";
import { readCsv } from "../../src/io/csv.js";
import { readNpy } from "../../src/io/npy.js";
import { TestRedis, WorkerProc, redisMissing, stopStarted } from "../helpers/redis.js";
import { skipUnless } from "../helpers/skips.js";

const FAMILY = join(import.meta.dirname, "../fixtures/families/centroid.ts");
const K = 3, N_TRAIN = 90, N_TEST = 20;

let comp: TempCompetition;
let oof: RunResult;
const run = (o: string): string => join(comp.root, o);
const args = (o: string, ...more: string[]): string[] => ["--config", comp.configFile, "--out", run(o), "--submission", join(run(o), "sub.csv"), "--folds.k", String(K), ...more];

beforeAll(async () => {
  comp = makeSentimentCompetition(N_TRAIN, N_TEST, { heads: ["mean", "centroid"] });
  // the one line a user adds (paths are relative to the config file)
  const cfg = JSON.parse(readFileSync(comp.configFile, "utf8")) as Record<string, unknown>;
  writeFileSync(comp.configFile, JSON.stringify({ ...cfg, modelFamilies: [relative(comp.root, FAMILY)] }, null, 2));
  oof = await runPipeline("oof", [...args("a"), "--headOptions.workers", "2"]);
  expect(oof.stderr).not.toMatch(/internal error/);
  expect(oof.code, oof.stderr).toBe(0);
}, 300_000);

/** Nearest centroid in float64, fold by fold, from the feature export: OOF per train row and the fold-averaged test rows. */
function centroidByHand(o: string, temperature: number): { oof: number[]; test: number[]; folds: number[] } {
  const X = readNpy(join(run(o), "features", "train", "mean.npy")), Xte = readNpy(join(run(o), "features", "test", "mean.npy"));
  const H = X.shape[1], x = X.data as Float32Array, xte = Xte.data as Float32Array;
  const labels = readCsv(join(comp.dataDir, "train.csv")).rows.map((r) => Number(r[2]));
  const folds = readCsv(join(run(o), "oof", "centroid.csv")).rows.map((r) => Number(r[1]));
  const row = (a: Float32Array, i: number): number[] => Array.from(a.subarray(i * H, (i + 1) * H));
  const oofP = new Array<number>(N_TRAIN).fill(NaN), testP = new Array<number>(N_TEST).fill(0);
  for (let f = 0; f < K; f++) {
    const centre = [0, 1].map((c) => {
      const rows = labels.flatMap((y, i) => (y === c && folds[i] !== f ? [i] : []));
      return Array.from({ length: H }, (_, j) => rows.reduce((s, i) => s + x[i * H + j], 0) / rows.length);
    });
    const p1 = (x: number[]): number => {
      const z = centre.map((m) => -x.reduce((s, v, j) => s + (v - m[j]) ** 2, 0) / H / temperature);
      return 1 / (1 + Math.exp(z[0] - z[1]));
    };
    folds.forEach((g, i) => (g === f ? (oofP[i] = p1(row(x, i))) : 0));
    for (let i = 0; i < N_TEST; i++) testP[i] += p1(row(xte, i)) / K;
  }
  return { oof: oofP, test: testP, folds };
}

describe("a model family from the test folder, through npm run oof and npm run blend", () => {
  it("its OOF and test predictions are the nearest-centroid fit on the exported mean-pooled vectors", () => {
    const want = centroidByHand("a", 0.01);
    const got = readCsv(join(run("a"), "oof", "centroid.csv"));
    expect(got.header).toEqual(["id", "kfold", "label"]);
    expect(new Set(want.folds)).toEqual(new Set([0, 1, 2]));
    got.rows.forEach((r, i) => expect(Number(r[2]), `row ${i}`).toBeCloseTo(want.oof[i], 10));
    // test.csv and sample_submission share their order here
    readCsv(join(run("a"), "test", "centroid.csv")).rows.forEach((r, i) => expect(Number(r[1]), `test row ${i}`).toBeCloseTo(want.test[i], 10));
    const scores = JSON.parse(readFileSync(join(run("a"), "scores.json"), "utf8")) as { heads: Record<string, { cv: number; folds: number[] }> };
    expect(Object.keys(scores.heads)).toEqual(["mean", "centroid"]);
    expect(scores.heads.centroid.folds).toHaveLength(K);
    // the sentences' classes are far from separable by distance alone, but better than chance
    expect(scores.heads.centroid.cv).toBeGreaterThan(0.6);
  });

  it("the blend and the submission take it in, and blend reuses every fold job", async () => {
    const r = await runPipeline("blend", args("a"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/oof: 6\/6 fold jobs already done, resuming/);
    const blend = JSON.parse(readFileSync(join(run("a"), "blend.json"), "utf8")) as { models: string[]; ablations: { without: string; models: string[] }[] };
    expect(blend.models).toEqual(["mean", "centroid"]);
    // "what each family adds" knows it by its label
    expect(blend.ablations.map((a) => [a.without, a.models])).toEqual([["the frozen heads", ["centroid"]], ["centroid", ["mean"]]]);
    const sub = readCsv(join(run("a"), "sub.csv"));
    expect(sub.header).toEqual(["id", "label"]);
    expect(sub.rows.map((x) => x[0])).toEqual(readCsv(join(comp.dataDir, "sample_submission.csv")).rows.map((x) => x[0]));
    expect(sub.rows.every((x) => Number(x[1]) >= 0 && Number(x[1]) <= 1)).toBe(true);
  }, 300_000);

  it("its options are its own: a new temperature recomputes its fold jobs only, with the new value", async () => {
    const r = await runPipeline("oof", args("a", "--headOptions.centroid.temperature", "0.05"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/oof: 3\/6 fold jobs already done, resuming/);
    const want = centroidByHand("a", 0.05);
    readCsv(join(run("a"), "oof", "centroid.csv")).rows.forEach((x, i) => expect(Number(x[2]), `row ${i}`).toBeCloseTo(want.oof[i], 10));
  }, 300_000);

  it("a bad option value and an unknown model are one-line errors naming the config file and the key", async () => {
    const bad = await runPipeline("oof", args("b", "--headOptions.centroid.temperature", "-1"));
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toMatch(/config\.json: "headOptions\.centroid\.temperature" must be a number ≥ 0/);
    const unknown = await runPipeline("oof", args("b", "--heads", "mean,centroids"));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/config\.json: "heads\[1\]" must be one of mean, .*, tfidf, centroid \(got "centroids"\)/);
  }, 120_000);
});

describe("a model family from the test folder on a queue's worker", () => {
  afterAll(() => stopStarted());

  it("the worker loads the family module from the poolblend folder and writes the local run's predictions", async (ctx) => {
    skipUnless(ctx, redisMissing ?? null);
    const redis = await TestRedis.start();
    try {
      const w = new WorkerProc(["--queue", redis.url, "--concurrency", "1", "--root", comp.root]);
      await w.waitFor(/worker: serving/);
      cpSync(join(run("a"), "features"), join(run("q"), "features"), { recursive: true });
      const r = await runPipeline("oof", args("q", "--queue", redis.url));
      w.kill();
      await w.exited;
      expect(r.code, r.stderr).toBe(0);
      expect(w.log).toMatch(/centroid fold \d \(.*\) done in/);
      const want = centroidByHand("q", 0.01);
      readCsv(join(run("q"), "oof", "centroid.csv")).rows.forEach((x, i) => expect(Number(x[2]), `row ${i}`).toBeCloseTo(want.oof[i], 10));
    } finally {
      await redis.stop();
    }
  }, 180_000);
});
