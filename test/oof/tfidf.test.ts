/**
 * The default heads (no `heads` key: the five pooling heads and tfidf) through the real pipelines:
 * oof in worker threads with the shared n-gram corpus, kill -9 in the middle of tfidf's fold jobs,
 * 1 vs 2 workers, the blend's "without tfidf" line and the report.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { cpSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { makeSentimentCompetition, type TempCompetition } from "../helpers/competition.js";
import { runPipeline, treeHashes, type RunResult } from "../helpers/run.js";
import { readCsv } from "../../src/io/csv.js";
import { HEAD_NAMES, loadConfig } from "../../src/config.js";
import { prepare } from "../../src/oof/run.js";
import { buildCorpus, train } from "../../src/lexical/model.js";
import type { FoldTask } from "../../src/heads/types.js";
import { lexicalFamily, type LexicalOptions } from "../../src/lexical/family.js";
import { checks } from "../../src/models/checks.js";
import { rowsWhere } from "../../src/util/rows.js";

const K = 3;
const DEFAULT_MODELS = [...HEAD_NAMES, "tfidf"];

interface BlendJson {
  method: string;
  models: string[];
  oofScore: number;
  nestedScore: number;
  ablations: { without: string; models: string[]; oofScore: number; nestedScore: number }[];
}

let comp: TempCompetition;
let first: RunResult;
const out = (name: string): string => join(comp.root, name);
const args = (o: string): string[] => ["--config", comp.configFile, "--out", o, "--submission", join(o, "sub.csv"), "--folds.k", String(K)];
/** oof/, test/ and the submission: what must not move a bit between runs */
const predictions = (o: string): Record<string, string> => Object.fromEntries(Object.entries(treeHashes(o)).filter(([k]) => /^(oof\/|test\/|sub\.csv$)/.test(k)));
/** a second run folder that starts from the first one's feature export (the backbone pass is not under test here) */
function withFeatures(name: string): string {
  cpSync(join(out("clean"), "features"), join(out(name), "features"), { recursive: true });
  return out(name);
}
const blendJson = (o: string): BlendJson => JSON.parse(readFileSync(join(o, "blend.json"), "utf8")) as BlendJson;

beforeAll(async () => {
  // `heads: undefined` leaves the key out of config.json: the default heads
  comp = makeSentimentCompetition(150, 30, { heads: undefined });
  first = await runPipeline("blend", [...args(out("clean")), "--headOptions.workers", "2"]);
  expect(first.stderr).not.toMatch(/internal error/);
  expect(first.code, first.stderr).toBe(0);
}, 600_000);

describe("the default heads through npm run oof and npm run blend", () => {
  it("without a heads key, oof trains the five pooling heads and tfidf on the same folds", () => {
    expect(JSON.parse(readFileSync(comp.configFile, "utf8"))).not.toHaveProperty("heads");
    const scores = JSON.parse(readFileSync(join(out("clean"), "scores.json"), "utf8")) as { heads: Record<string, { cv: number; folds: number[] }> };
    expect(Object.keys(scores.heads).sort()).toEqual([...DEFAULT_MODELS].sort());
    expect(scores.heads.tfidf.folds).toHaveLength(K);
    expect(scores.heads.tfidf.cv).toBeGreaterThan(0.6);
    const tfidf = readCsv(join(out("clean"), "oof", "tfidf.csv")), mean = readCsv(join(out("clean"), "oof", "mean.csv"));
    expect(tfidf.header).toEqual(["id", "kfold", "label"]);
    expect(tfidf.rows.map((r) => r.slice(0, 2))).toEqual(mean.rows.map((r) => r.slice(0, 2)));
    expect(readCsv(join(out("clean"), "test", "tfidf.csv")).rows).toHaveLength(30);
    expect(first.stderr).toMatch(/tfidf: n-grams of 180 texts counted in [\d.]+ s \(\d+ MiB, shared by the fold jobs\)/);
  });

  it("every tfidf fold trained in a worker thread on the shared corpus equals the same fold trained in this process", async () => {
    const cfg = loadConfig(comp.configFile, { out: out("clean"), folds: { k: K } });
    const p = prepare(cfg);
    const { tfidf } = lexicalFamily.parseOptions(cfg.raw, checks(cfg.configFile));
    const corpus = buildCorpus(p.train.texts, p.test.texts, tfidf);
    const oof = readCsv(join(out("clean"), "oof", "tfidf.csv")).rows;
    expect(oof.map((r) => Number(r[1]))).toEqual(Array.from(p.folds));
    const testSum = new Float64Array(p.test.ids.length);
    for (let f = 0; f < K; f++) {
      const t: FoldTask<LexicalOptions> = {
        head: "tfidf", fold: f, task: p.targets.task, c: p.targets.c, y: p.targets.y, strata: p.targets.strata,
        trainIdx: rowsWhere(p.folds, (x) => x !== f), validIdx: rowsWhere(p.folds, (x) => x === f),
        seed: cfg.headOptions.seed * 1000 + f, options: { tfidf, modelDir: cfg.backbone.model },
      };
      const r = await train(corpus, t, tfidf);
      expect(Array.from(t.validIdx, (row) => Number(oof[row][2])), `fold ${f}`).toEqual(Array.from(r.oof));
      r.test.forEach((v, i) => (testSum[i] += v / K));
    }
    // test.csv and sample_submission share their order here
    expect(readCsv(join(out("clean"), "test", "tfidf.csv")).rows.map((r) => Number(r[1]))).toEqual(Array.from(testSum));
  });

  it("1 worker and 2 workers write byte-identical OOF and test files for every model, tfidf included", async () => {
    const o = withFeatures("one-worker");
    const r = await runPipeline("oof", [...args(o), "--headOptions.workers", "1"]);
    expect(r.code, r.stderr).toBe(0);
    const a = predictions(out("clean")), b = predictions(o);
    const files = Object.keys(a).filter((k) => !k.startsWith("sub"));
    expect(files.sort()).toEqual(DEFAULT_MODELS.flatMap((m) => [`oof/${m}.csv`, `test/${m}.csv`]).sort());
    for (const f of files) expect(b[f], f).toBe(a[f]);
  }, 600_000);

  it("kill -9 right after the first tfidf fold job is saved (the others unfinished), then rerun: byte-identical outputs", async () => {
    const o = withFeatures("killed");
    const killed = await runPipeline("blend", [...args(o), "--headOptions.workers", "2"], { POOLBLEND_FAULT: "train-job:tfidf#1" });
    expect(killed.signal).toBe("SIGKILL");
    const saved = readdirSync(join(o, "oof", ".jobs")).filter((f) => f.endsWith(".json"));
    expect(saved.filter((f) => f.startsWith("tfidf-"))).toHaveLength(1);
    const again = await runPipeline("blend", [...args(o), "--headOptions.workers", "2"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`oof: ${saved.length}/${DEFAULT_MODELS.length * K} fold jobs already done, resuming`);
    // the rerun counts the n-grams again for the two tfidf jobs left
    expect(again.stderr).toMatch(/tfidf: n-grams of 180 texts counted/);
    expect(predictions(o)).toEqual(predictions(out("clean")));
  }, 600_000);

  it("the blend says what it scores without tfidf, and those numbers are a blend of the five pooling heads run on its own", async () => {
    const b = blendJson(out("clean"));
    expect(b.models).toEqual(DEFAULT_MODELS);
    const without = b.ablations.find((a) => a.without === "tfidf")!;
    expect(without.models).toEqual([...HEAD_NAMES]);
    expect(first.stdout).toContain(`${b.method} without tfidf: ${without.oofScore.toFixed(5)} in-sample, ${without.nestedScore.toFixed(5)} nested-CV`);
    // an independent refit: the same method on a run folder with only the pooling heads
    const o = withFeatures("no-tfidf");
    cpSync(join(out("clean"), "oof", ".jobs"), join(o, "oof", ".jobs"), { recursive: true });
    const r = await runPipeline("blend", [...args(o), "--heads", HEAD_NAMES.join(","), "--blend.method", b.method]);
    expect(r.code, r.stderr).toBe(0);
    const refit = blendJson(o);
    expect(refit.models).toEqual([...HEAD_NAMES]);
    expect({ oofScore: refit.oofScore, nestedScore: refit.nestedScore }).toEqual({ oofScore: without.oofScore, nestedScore: without.nestedScore });
  }, 600_000);

  it("the report shows tfidf's scores and the blend without tfidf", () => {
    const html = readFileSync(join(out("clean"), "report.html"), "utf8");
    const scores = JSON.parse(readFileSync(join(out("clean"), "scores.json"), "utf8")) as { heads: Record<string, { cv: number }> };
    expect(html).toContain(`<tr><th scope="row">tfidf</th><td>${scores.heads.tfidf.cv.toFixed(4)}</td>`);
    const without = blendJson(out("clean")).ablations.find((a) => a.without === "tfidf")!;
    expect(html).toContain(`<tr><th scope="row">without tfidf</th><td>${without.oofScore.toFixed(4)}</td><td>${without.nestedScore.toFixed(4)}</td></tr>`);
  });
});
