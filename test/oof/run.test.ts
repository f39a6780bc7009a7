import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync, writeFileSync, existsSync, readdirSync, cpSync } from "node:fs";
import { join } from "node:path";
import { makeSentimentCompetition, type TempCompetition } from "../helpers/competition.js";
import { runPipeline, runAndKill, treeHashes } from "../helpers/run.js";
import { readCsv } from "../../src/io/csv.js";

const FAST = ["--folds.k", "3"];

describe("npm run oof on real sentences", () => {
  let comp: TempCompetition;
  let outA: string;
  beforeAll(async () => {
    comp = makeSentimentCompetition(150, 30);
    outA = join(comp.root, "runA");
    const r = await runPipeline("oof", ["--config", comp.configFile, "--out", outA, ...FAST, "--headOptions.workers", "2"]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
  }, 600_000);

  it("writes OOF, test predictions and scores for every head", () => {
    const scores = JSON.parse(readFileSync(join(outA, "scores.json"), "utf8")) as { metric: string; heads: Record<string, { cv: number; folds: number[] }> };
    expect(scores.metric).toBe("auc");
    expect(Object.keys(scores.heads).sort()).toEqual(["attention", "max", "mean", "min", "weightedLayer"]);
    for (const s of Object.values(scores.heads)) {
      expect(s.folds).toHaveLength(3);
      expect(s.cv).toBeGreaterThan(0.6);
    }
    const oof = readCsv(join(outA, "oof", "mean.csv"));
    expect(oof.header).toEqual(["id", "kfold", "label"]);
    expect(oof.rows).toHaveLength(150);
    expect(oof.rows[0][0]).toBe("000000");
    expect(new Set(oof.rows.map((r) => r[1]))).toEqual(new Set(["0", "1", "2"]));
    // every head shares the same fold assignment
    for (const h of ["max", "attention"]) expect(readCsv(join(outA, "oof", `${h}.csv`)).rows.map((r) => r[1])).toEqual(oof.rows.map((r) => r[1]));
    const test = readCsv(join(outA, "test", "attention.csv"));
    expect(test.rows.map((r) => r[0])).toEqual(readCsv(join(comp.dataDir, "sample_submission.csv")).rows.map((r) => r[0]));
    for (const r of test.rows) expect(Number(r[1])).toBeGreaterThanOrEqual(0);
  });

  it("same config and seed → byte-identical outputs, whatever the number of workers", async () => {
    const outB = join(comp.root, "runB");
    cpSync(join(outA, "features"), join(outB, "features"), { recursive: true });
    const r = await runPipeline("oof", ["--config", comp.configFile, "--out", outB, ...FAST, "--headOptions.workers", "1"]);
    expect(r.code).toBe(0);
    const a = treeHashes(outA), b = treeHashes(outB);
    for (const f of Object.keys(a).filter((k) => k.startsWith("oof/") || k.startsWith("test/"))) expect(b[f], f).toBe(a[f]);
  }, 600_000);

  it("a run killed while training resumes from the finished fold jobs and ends identical", async () => {
    const outC = join(comp.root, "runC");
    cpSync(join(outA, "features"), join(outC, "features"), { recursive: true });
    const jobs = join(outC, "oof", ".jobs");
    const k = await runAndKill("oof", ["--config", comp.configFile, "--out", outC, ...FAST], () => existsSync(jobs) && readdirSync(jobs).filter((f) => f.endsWith(".json")).length >= 4);
    expect(k.killed).toBe(true);
    const r = await runPipeline("oof", ["--config", comp.configFile, "--out", outC, ...FAST]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/oof: ([4-9]|1[0-4])\/15 fold jobs already done, resuming/);
    const a = treeHashes(outA), c = treeHashes(outC);
    for (const f of Object.keys(a).filter((x) => x.startsWith("oof/") || x.startsWith("test/"))) expect(c[f], f).toBe(a[f]);
  }, 600_000);
});

describe("oof: bad input stops before any long work", () => {
  const cases: [string, (c: TempCompetition) => void, string[], RegExp][] = [
    ["blank target", (c) => editTrain(c, 3, "label", ""), [], /train\.csv: row 5, column "label": blank target/],
    ["NaN target", (c) => editTrain(c, 0, "label", "NaN"), [], /train\.csv: row 2, column "label": target "NaN" is not a class label/],
    ["single class", (c) => editAll(c, "label", "1"), [], /train\.csv: column "label": only one class \(1\) in the target/],
    ["metric that does not fit the task", () => {}, ["--metric", "rmse"], /config\.json: "metric" rmse does not fit task binary/],
    ["test ids not matching sample_submission", (c) => writeFileSync(join(c.dataDir, "sample_submission.csv"), readFileSync(join(c.dataDir, "sample_submission.csv"), "utf8").replace("000012,", "999999,")), [], /sample_submission\.csv: row 2, column "id": id "999999" is not in test\.csv/],
    ["group column missing", () => {}, ["--data.group", "speaker"], /train\.csv: row 1, column "speaker": column not found/],
    ["unknown head", () => {}, ["--heads", "mean,cls"], /config\.json: "heads\[1\]" must be one of mean, max, min, weightedLayer, attention/],
  ];
  it.each(cases)("%s", async (_n, breakIt, args, re) => {
    const c = makeSentimentCompetition(12, 4);
    breakIt(c);
    const r = await runPipeline("oof", ["--config", c.configFile, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(re);
    expect(existsSync(join(c.root, "runs", "t", "features"))).toBe(false);
  });
});

function editTrain(c: TempCompetition, row: number, col: string, value: string): void {
  const f = join(c.dataDir, "train.csv");
  const t = readCsv(f);
  t.rows[row][t.header.indexOf(col)] = value;
  writeFileSync(f, [t.header.join(","), ...t.rows.map((r) => r.map((v) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)).join(","))].join("\n") + "\n");
}

function editAll(c: TempCompetition, col: string, value: string): void {
  const t = readCsv(join(c.dataDir, "train.csv"));
  for (let i = 0; i < t.rows.length; i++) editTrain(c, i, col, value);
}
