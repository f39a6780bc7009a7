/**
 * Corners of the blend's input and output files: an external file whose id column comes first
 * under the configured name, several missing prediction columns, ".csv" inside a file name;
 * signed numeric labels and word labels with digits in test_labels.csv.
 */
import { describe, it, expect } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadExternal } from "../../src/ensemble/external.js";
import { holdoutScore } from "../../src/ensemble/holdout.js";
import { loadConfig, type MetricName, type Task } from "../../src/config.js";
import { parseCsv } from "../../src/io/csv.js";
import { readTargets } from "../../src/validation/targets.js";
import { thrown } from "../helpers/thrown.js";

const dir = mkdtempSync(join(tmpdir(), "ensemble-edges-"));
let count = 0;
const csv = (text: string, name = `f${count++}.csv`): string => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

describe("external files", () => {
  it("the configured id column in first place is the id column (no fallback to \"id\")", () => {
    const [m] = loadExternal([csv("key,p\nb,3\na,1\n")], [csv("key,p\nt,5\n")], "key", ["a", "b"], ["t"], ["p"]);
    expect(Array.from(m.oof)).toEqual([1, 3]);
    expect(Array.from(m.test)).toEqual([5]);
  });

  it("the error for a missing prediction column lists every column the set needs", () => {
    const f = csv("id,a\nx,1\n");
    expect(thrown(() => loadExternal([f], [f], "id", ["x"], ["x"], ["u", "v"]))).toBe(`${f}: row 1, column "u": prediction column not found (the train set (OOF) needs columns u, v)`);
  });

  it("only a final .csv leaves the model's name", () => {
    const f = csv("id,p\nx,1\n", "run.csv.v2.csv");
    const g = csv("id,p\nx,1\n", "csv");
    expect(loadExternal([f, g], [f, g], "id", ["x"], ["x"], ["p"]).map((m) => m.name)).toEqual(["ext:run.csv.v2", "ext:csv"]);
  });
});

function setup(task: Task, metric: MetricName, target: string[], trainCsv: string, sampleCsv: string, labels?: string) {
  const d = join(dir, `c${count++}`);
  mkdirSync(d);
  if (labels) writeFileSync(join(d, "test_labels.csv"), labels);
  const file = join(d, "c.json");
  writeFileSync(file, JSON.stringify({ name: "s", data: { dir: d, text: ["text"], target }, task, metric }));
  const cfg = loadConfig(file);
  const sample = parseCsv("sample_submission.csv", sampleCsv);
  return { cfg, t: readTargets(cfg, parseCsv("train.csv", trainCsv), sample), sample };
}

describe("hold-out labels", () => {
  it("signed labels: +1 is the class 1, -1.0 the class -1", () => {
    const { cfg, t } = setup("binary", "accuracy", ["y"], "text,y\na,-1\nb,1\n", "id,y\nt1,1\n", "id,y\nt1,+1\nt2,-1.0\nt3, 1.00\nt4,-1\n");
    expect(t.classes).toEqual(["-1", "1"]);
    // predictions for class "1": right, right, wrong, wrong → 0.5; any label left unmapped would score another value
    expect(holdoutScore(cfg, t, ["t1", "t2", "t3", "t4"], Float64Array.from([0.9, 0.1, 0.2, 0.8]))).toBe(0.5);
    expect(holdoutScore(cfg, t, ["t1", "t2", "t3", "t4"], Float64Array.from([0.9, 0.1, 0.7, 0.2]))).toBe(1);
  });

  it("a word label that contains digits is not read as a number", () => {
    const { cfg, t } = setup("binary", "accuracy", ["y"], "text,y\na,no1\nb,yes2\n", "id,y\nt1,no1\n", "id,y\nt1,yes2\nt2,no1\n");
    expect(holdoutScore(cfg, t, ["t1", "t2"], Float64Array.from([0.9, 0.1]))).toBe(1);
  });
});
