/**
 * The submission rows (sample_submission's ids and order, values per task) and the hold-out score
 * on test_labels.csv, checked value by value against predictions written out by hand.
 */
import { describe, it, expect } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Config, type Task, type MetricName } from "../../src/config.js";
import { parseCsv, type CsvTable } from "../../src/io/csv.js";
import { readTargets, type Targets } from "../../src/validation/targets.js";
import { submissionRows } from "../../src/ensemble/submission.js";
import { holdoutScore } from "../../src/ensemble/holdout.js";
import { auc, logloss, rmse, accuracy } from "../../src/validation/metrics.js";

const root = mkdtempSync(join(tmpdir(), "submission-"));
let count = 0;

/** A config whose data folder holds `files`; targets read from `trainCsv`. */
function setup(task: Task, metric: MetricName, target: string[], trainCsv: string, sampleCsv: string, files: Record<string, string> = {}): { cfg: Config; t: Targets; sample: CsvTable } {
  const dir = join(root, String(count++));
  mkdirSync(dir);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  const file = join(dir, "c.json");
  writeFileSync(file, JSON.stringify({ name: "s", data: { dir, text: ["text"], target }, task, metric }));
  const cfg = loadConfig(file);
  const sample = parseCsv("sample_submission.csv", sampleCsv);
  return { cfg, t: readTargets(cfg, parseCsv("train.csv", trainCsv), sample), sample };
}

describe("submission rows", () => {
  const testRowOf = Int32Array.from([2, 0, 1]);

  it("binary: the probability of the second class, in sample order", () => {
    const { cfg, t, sample } = setup("binary", "auc", ["y"], "text,y\na,no\nb,yes\n", "id,target\nc,0\na,0\nb,0\n");
    expect(submissionRows(cfg, t, sample, testRowOf, Float64Array.from([0.1, 0.5, 0.9]))).toEqual([["c", 0.9], ["a", 0.1], ["b", 0.5]]);
  });

  it("binary with accuracy: the class label, 0.5 going to the second class", () => {
    const { cfg, t, sample } = setup("binary", "accuracy", ["y"], "text,y\na,no\nb,yes\n", "id,target\nc,0\na,0\nb,0\n");
    expect(submissionRows(cfg, t, sample, testRowOf, Float64Array.from([0.4999, 0.5, 0.9]))).toEqual([["c", "yes"], ["a", "no"], ["b", "yes"]]);
  });

  it("multiclass with a label column: the arg-max class, the first on ties", () => {
    const { cfg, t, sample } = setup("multiclass", "logloss", ["y"], "text,y\na,x\nb,y\nc,z\n", "id,label\nc,x\na,x\nb,x\n");
    const pred = Float64Array.from([0.2, 0.3, 0.5, /* row 1 */ 0.4, 0.4, 0.2, /* row 2 */ 0.1, 0.6, 0.3]);
    expect(submissionRows(cfg, t, sample, testRowOf, pred)).toEqual([["c", "y"], ["a", "z"], ["b", "x"]]);
  });

  it("multiclass with class columns: each column's probability, 0 for a class train never saw", () => {
    const { cfg, t, sample } = setup("multiclass", "logloss", ["y"], "text,y\na,x\nb,y\nc,z\n", "id,z,w,x,y\nc,0,0,0,0\na,0,0,0,0\nb,0,0,0,0\n");
    const pred = Float64Array.from([0.2, 0.3, 0.5, 0.4, 0.4, 0.2, 0.1, 0.6, 0.3]);
    expect(submissionRows(cfg, t, sample, testRowOf, pred)).toEqual([["c", 0.3, 0, 0.1, 0.6], ["a", 0.5, 0, 0.2, 0.3], ["b", 0.2, 0, 0.4, 0.4]]);
  });

  it("regression: targets by column name, in the sample's column order", () => {
    const { cfg, t, sample } = setup("regression", "mcrmse", ["u", "v"], "text,u,v\na,1,2\nb,3,4\n", "id,v,u\nc,0,0\na,0,0\nb,0,0\n");
    const pred = Float64Array.from([1, 10, 2, 20, 3, 30]);
    expect(submissionRows(cfg, t, sample, testRowOf, pred)).toEqual([["c", 30, 3], ["a", 10, 1], ["b", 20, 2]]);
  });

  it("regression with one target under another name: the one prediction column", () => {
    const { cfg, t, sample } = setup("regression", "rmse", ["score"], "text,score\na,1\nb,3\n", "id,pred\nc,0\na,0\nb,0\n");
    expect(submissionRows(cfg, t, sample, testRowOf, Float64Array.from([1.5, 2.5, 3.5]))).toEqual([["c", 3.5], ["a", 1.5], ["b", 2.5]]);
  });
});

describe("hold-out score on test_labels.csv", () => {
  const ids = ["t1", "t2", "t3", "t4"];

  it("binary labels matched by id and mapped to class indices (numeric labels canonical)", () => {
    const { cfg, t } = setup("binary", "auc", ["y"], "text,y\na,0\nb,1\n", "id,target\nt1,0\n", { "test_labels.csv": "id,y\nt4,1.0\nt2,0\nt1,1\nt3,0.0\n" });
    const pred = Float64Array.from([0.8, 0.3, 0.6, 0.2]);
    expect(holdoutScore(cfg, t, ids, pred)).toBe(auc([1, 0, 0, 1], pred));
    const ll = setup("binary", "logloss", ["y"], "text,y\na,0\nb,1\n", "id,target\nt1,0\n", { "test_labels.csv": "id,y\nt4,1.0\nt2,0\nt1,1\nt3,0.0\n" });
    expect(holdoutScore(ll.cfg, ll.t, ids, pred)).toBeCloseTo(logloss([1, 0, 0, 1], pred, 1), 14);
  });

  it("word labels and multiclass accuracy", () => {
    const { cfg, t } = setup("multiclass", "accuracy", ["y"], "text,y\na,cat\nb,dog\nc,eel\n", "id,label\nt1,cat\n", { "test_labels.csv": "id,y\nt1, dog\nt2,eel\nt3,cat\nt4,eel\n" });
    // arg-max per row: dog, eel, dog, cat
    const pred = Float64Array.from([0.1, 0.8, 0.1, 0, 0.1, 0.9, 0.2, 0.7, 0.1, 0.5, 0.3, 0.2]);
    expect(holdoutScore(cfg, t, ids, pred)).toBe(accuracy([1, 2, 0, 2], pred, 3));
    expect(holdoutScore(cfg, t, ids, pred)).toBe(0.5);
  });

  it("regression over two targets read by column name (the id is the first column)", () => {
    const { cfg, t } = setup("regression", "rmse", ["u", "v"], "text,u,v\na,1,2\nb,3,4\n", "id,u,v\nt1,0,0\n", { "test_labels.csv": "id,v,u\nt1,2,1\nt2,4,3\nt3,6,5\nt4,8,7\n" });
    const pred = Float64Array.from([1, 2, 3, 5, 5, 6, 8, 8]);
    expect(holdoutScore(cfg, t, ids, pred)).toBe(rmse([1, 2, 3, 4, 5, 6, 7, 8], pred));
    expect(holdoutScore(cfg, t, ids, pred)).toBeCloseTo(Math.sqrt(2 / 8), 14);
  });

  it("no test_labels.csv: no score", () => {
    const { cfg, t } = setup("binary", "auc", ["y"], "text,y\na,0\nb,1\n", "id,target\nt1,0\n");
    expect(holdoutScore(cfg, t, ids, Float64Array.from([0.1, 0.2, 0.3, 0.4]))).toBeUndefined();
  });
});
