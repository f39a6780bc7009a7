/**
 * Reading the target columns of train.csv: values, class order, strata, and the one-line errors
 * that name file, row and column. Tables are parsed from CSV text by the project's CSV reader;
 * configs go through the real config loader.
 */
import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Config, type Task, type MetricName } from "../../src/config.js";
import { parseCsv } from "../../src/io/csv.js";
import { readTargets, checkSampleColumns } from "../../src/validation/targets.js";
import { thrown } from "../helpers/thrown.js";

const dir = mkdtempSync(join(tmpdir(), "targets-"));

function config(task: Task, metric: MetricName, target: string[], k = 5): Config {
  const file = join(dir, `${task}-${target.join("-")}-${k}.json`);
  writeFileSync(file, JSON.stringify({ name: "t", data: { dir: ".", text: ["text"], target }, task, metric, folds: { k } }));
  return loadConfig(file);
}

/** train.csv with the given target columns; every row gets an id and a text. */
function train(targets: string[], rows: string[][]): ReturnType<typeof parseCsv> {
  const lines = [["id", "text", ...targets].join(","), ...rows.map((r, i) => [String(i), "x", ...r].join(","))];
  return parseCsv("train.csv", lines.join("\n") + "\n");
}

const sample = (cols: string[]) => parseCsv("sample_submission.csv", `id,${cols.join(",")}\n0,${cols.map(() => "0").join(",")}\n`);

/** Expected quantile bin of each value, computed from ranks (ties by row order). */
function bins(v: number[], b: number): number[] {
  const order = v.map((_, i) => i).sort((x, y) => v[x] - v[y] || x - y);
  const out = new Array<number>(v.length);
  order.forEach((r, rank) => (out[r] = Math.floor((rank * b) / v.length)));
  return out;
}

describe("regression targets", () => {
  it("one target: values, the submission's column name, strata on quantile bins of n/(5k) clamped to 2..10", () => {
    const rnd = (i: number) => Math.round(Math.sin(i * 7.3) * 1000) / 100;
    for (const [n, k, nb] of [[30, 5, 2], [100, 5, 4], [120, 3, 8], [1000, 2, 10]] as const) {
      const v = Array.from({ length: n }, (_, i) => rnd(i));
      const t = readTargets(config("regression", "rmse", ["score"], k), train(["score"], v.map((x) => [` ${x} `])), sample(["pred"]));
      expect(t.task).toBe("regression");
      expect([t.n, t.c]).toEqual([n, 1]);
      expect(Array.from(t.y)).toEqual(v);
      expect(t.columns).toEqual(["pred"]);
      expect(t.classes).toEqual([]);
      expect(Array.from(t.strata)).toEqual(bins(v, nb));
      expect(new Set(t.strata).size).toBe(nb);
    }
  });

  it("two targets: row-major values, the target names as columns, strata from the first target", () => {
    const rows = Array.from({ length: 50 }, (_, i) => [String((i * 37) % 50), `${i}e-1`]);
    const t = readTargets(config("regression", "mcrmse", ["a", "b"]), train(["a", "b"], rows), sample(["b", "a"]));
    expect(t.c).toBe(2);
    expect(t.columns).toEqual(["a", "b"]);
    expect(Array.from(t.y)).toEqual(rows.flatMap(([a, b]) => [Number(a), Number(b)]));
    expect(Array.from(t.strata)).toEqual(bins(rows.map((r) => Number(r[0])), 2));
  });

  it("one target and a sample with two columns keeps the target's name", () => {
    const t = readTargets(config("regression", "rmse", ["score"]), train(["score"], [["1"], ["2"], ["3"]]), sample(["p", "q"]));
    expect(t.columns).toEqual(["score"]);
  });

  it("errors name file, row and column", () => {
    const cfg = config("regression", "mcrmse", ["a", "b"]);
    expect(thrown(() => readTargets(cfg, train(["a", "b"], [["1", "2"], ["3", " "]]), sample(["a", "b"])))).toBe('train.csv: row 3, column "b": blank target');
    expect(thrown(() => readTargets(cfg, train(["a", "b"], [["1", "2"], ["x1", "2"]]), sample(["a", "b"])))).toBe('train.csv: row 3, column "a": target is not a finite number: "x1"');
    expect(thrown(() => readTargets(cfg, train(["a", "b"], [["1e400", "2"]]), sample(["a", "b"])))).toBe('train.csv: row 2, column "a": target is not a finite number: "1e400"');
    expect(thrown(() => readTargets(cfg, train(["a", "b"], [["inf", "2"]]), sample(["a", "b"])))).toMatch(/row 2, column "a": target is not a finite number: "inf"$/);
    expect(thrown(() => readTargets(cfg, train(["a", "b"], [["1", "2"]]), sample(["a", "c"])))).toBe("sample_submission.csv: row 1: columns a, c do not match the targets a, b");
  });

  it("accepts every number form the pattern allows", () => {
    const forms = ["+1", "-2.", ".5", "3.25", "1e3", "-4E-2", "0"];
    const t = readTargets(config("regression", "rmse", ["y"]), train(["y"], forms.map((f) => [f])), sample(["y"]));
    expect(Array.from(t.y)).toEqual(forms.map(Number));
  });
});

describe("class targets", () => {
  it("binary: class index per row in numeric order, 1 and 1.0 one class, strata = class index", () => {
    const labels = ["1", "0", "1.0", "0.0", " 1 ", "0"];
    const t = readTargets(config("binary", "auc", ["label"]), train(["label"], labels.map((l) => [l])), sample(["target"]));
    expect(t.task).toBe("binary");
    expect(t.classes).toEqual(["0", "1"]);
    expect(Array.from(t.y)).toEqual([1, 0, 1, 0, 1, 0]);
    expect(Array.from(t.strata)).toEqual([1, 0, 1, 0, 1, 0]);
    expect([t.n, t.c]).toEqual([6, 1]);
    expect(t.columns).toEqual(["target"]);
  });

  it("multiclass: numeric labels sort as numbers, words alphabetically; columns are the classes", () => {
    const num = readTargets(config("multiclass", "logloss", ["y"]), train(["y"], [["10"], ["9"], ["2"], ["10"], ["-1"]]), sample(["y"]));
    expect(num.classes).toEqual(["-1", "2", "9", "10"]);
    expect(Array.from(num.y)).toEqual([3, 2, 1, 3, 0]);
    expect([num.task, num.c]).toEqual(["multiclass", 4]);
    expect(num.columns).toEqual(["-1", "2", "9", "10"]);
    const words = readTargets(config("multiclass", "logloss", ["y"]), train(["y"], [["pear"], ["Apple"], ["fig"], ["10"]]), sample(["y"]));
    expect(words.classes).toEqual(["10", "Apple", "fig", "pear"]);
    expect(Array.from(words.y)).toEqual([3, 1, 2, 0]);
  });

  it("errors: blank, not a label, one class, binary with more classes, binary with several columns", () => {
    const bin = config("binary", "auc", ["label"]);
    expect(thrown(() => readTargets(bin, train(["label"], [["1"], [""]]), sample(["p"])))).toBe('train.csv: row 3, column "label": blank target');
    for (const bad of ["NaN", "na", "null", "None", "inf", "-Infinity", "+inf"])
      expect(thrown(() => readTargets(bin, train(["label"], [["1"], [bad]]), sample(["p"])))).toBe(`train.csv: row 3, column "label": target "${bad}" is not a class label`);
    expect(thrown(() => readTargets(bin, train(["label"], [["1"], ["1.0"]]), sample(["p"])))).toBe('train.csv: column "label": only one class (1) in the target: nothing to learn');
    expect(thrown(() => readTargets(bin, train(["label"], [["a"], ["b"], ["c"]]), sample(["p"])))).toBe('train.csv: column "label": binary task but 3 classes (a, b, c); use task multiclass');
    const six = ["a", "b", "c", "d", "e", "f"].map((l) => [l]);
    expect(thrown(() => readTargets(bin, train(["label"], six), sample(["p"])))).toBe('train.csv: column "label": binary task but 6 classes (a, b, c, d, e, …); use task multiclass');
    const five = six.slice(0, 5);
    expect(thrown(() => readTargets(bin, train(["label"], five), sample(["p"])))).toBe('train.csv: column "label": binary task but 5 classes (a, b, c, d, e); use task multiclass');
    expect(thrown(() => readTargets(bin, train(["label"], [["0"], ["1"]]), sample(["p", "q"])))).toBe("sample_submission.csv: row 1: binary task needs exactly one submission column after the id, found 2");
  });

  it("labels that merely contain nan or inf are classes", () => {
    const t = readTargets(config("multiclass", "logloss", ["y"]), train(["y"], [["nano"], ["info"], ["banana"]]), sample(["y"]));
    expect(t.classes).toEqual(["banana", "info", "nano"]);
  });
});

describe("sample_submission columns", () => {
  const multi = () => readTargets(config("multiclass", "logloss", ["y"]), train(["y"], [["a"], ["b"], ["c"]]), sample(["y"]));

  it("accepts one label column or a column per class (any order, extra columns allowed)", () => {
    const t = multi();
    expect(() => checkSampleColumns(t, sample(["label"]))).not.toThrow();
    expect(() => checkSampleColumns(t, sample(["c", "a", "b"]))).not.toThrow();
    expect(() => checkSampleColumns(t, sample(["c", "a", "b", "extra"]))).not.toThrow();
  });

  it("names the classes that have no column", () => {
    expect(thrown(() => checkSampleColumns(multi(), sample(["a", "x"])))).toBe("sample_submission.csv: row 1: no column for class(es) b, c seen in train");
  });

  it("binary and regression tasks are not checked here", () => {
    const bin = readTargets(config("binary", "auc", ["y"]), train(["y"], [["a"], ["b"]]), sample(["p"]));
    expect(() => checkSampleColumns(bin, sample(["x", "y", "z"]))).not.toThrow();
    const reg = readTargets(config("regression", "rmse", ["y"]), train(["y"], [["1"], ["2"]]), sample(["p"]));
    expect(() => checkSampleColumns(reg, sample(["x", "y", "z"]))).not.toThrow();
  });
});
