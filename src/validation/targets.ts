/**
 * Targets and prediction columns per task, validated with errors that name file, row and column.
 */
import type { Config, Task } from "../config.js";
import { columnIndex, type CsvTable } from "../io/csv.js";
import { placeError, UserError } from "../util/errors.js";
import { quantileBins } from "../folds/kfold.js";

export interface Targets {
  task: Task;
  n: number;
  /** prediction columns of OOF/test files: binary → [submission column], multiclass → class names, regression → target names */
  columns: string[];
  /** width of a prediction row */
  c: number;
  /** binary/multiclass: class index per row; regression: n × c values (float64) */
  y: Float64Array;
  /** class labels in index order (classification) */
  classes: string[];
  /** strata for fold assignment */
  strata: Int32Array;
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function sortLabels(labels: string[]): string[] {
  return labels.every((l) => NUMERIC.test(l.trim())) ? labels.sort((a, b) => Number(a) - Number(b)) : labels.sort();
}

/** Parses the target columns of train.csv for the configured task. */
export function readTargets(cfg: Config, train: CsvTable, sample: CsvTable): Targets {
  const file = train.file;
  const n = train.rows.length;
  const cols = cfg.data.target.map((t) => columnIndex(train, t));
  const subCols = sample.header.slice(1);
  if (cfg.task === "regression") {
    const c = cols.length;
    const y = new Float64Array(n * c);
    train.rows.forEach((r, i) =>
      cols.forEach((ci, k) => {
        const raw = r[ci].trim();
        const v = NUMERIC.test(raw) ? Number(raw) : NaN;
        if (!Number.isFinite(v)) throw placeError({ file, row: train.rowNumbers[i], column: cfg.data.target[k] }, raw === "" ? "blank target" : `target is not a finite number: "${r[ci]}"`);
        y[i * c + k] = v;
      }),
    );
    const columns = c === 1 && subCols.length === 1 ? subCols : cfg.data.target;
    if (c > 1 && cfg.data.target.some((t) => !subCols.includes(t))) {
      throw placeError({ file: sample.file, row: 1 }, `columns ${subCols.join(", ")} do not match the targets ${cfg.data.target.join(", ")}`);
    }
    const first = Float64Array.from({ length: n }, (_, i) => y[i * c]);
    return { task: "regression", n, columns, c, y, classes: [], strata: quantileBins(first, Math.min(10, Math.max(2, Math.floor(n / (cfg.folds.k * 5))))) };
  }
  const ci = cols[0];
  const name = cfg.data.target[0];
  train.rows.forEach((r, i) => {
    const v = r[ci].trim();
    if (v === "" || /^(nan|na|null|none|inf|-inf|\+inf|infinity|-infinity)$/i.test(v)) throw placeError({ file, row: train.rowNumbers[i], column: name }, v === "" ? "blank target" : `target "${r[ci]}" is not a class label`);
  });
  const labels = train.rows.map((r) => r[ci].trim());
  // "1" and "1.0" are the same class
  const canon = labels.map((l) => (NUMERIC.test(l) ? String(Number(l)) : l));
  const classes = sortLabels([...new Set(canon)]);
  if (classes.length < 2) throw placeError({ file, column: name }, `only one class (${classes[0]}) in the target: nothing to learn`);
  const index = new Map(classes.map((c, i) => [c, i]));
  const y = Float64Array.from(canon, (l) => index.get(l)!);
  const strata = Int32Array.from(y);
  if (cfg.task === "binary") {
    if (classes.length !== 2) throw placeError({ file, column: name }, `binary task but ${classes.length} classes (${classes.slice(0, 5).join(", ")}${classes.length > 5 ? ", …" : ""}); use task multiclass`);
    if (subCols.length !== 1) throw placeError({ file: sample.file, row: 1 }, `binary task needs exactly one submission column after the id, found ${subCols.length}`);
    return { task: "binary", n, columns: subCols, c: 1, y, classes, strata };
  }
  return { task: "multiclass", n, columns: classes, c: classes.length, y, classes, strata };
}

/** Checks that sample_submission fits the task before any work starts. */
export function checkSampleColumns(t: Targets, sample: CsvTable): void {
  if (t.task !== "multiclass") return;
  const sub = sample.header.slice(1);
  if (sub.length === 1) return; // a label column: the submission gets the arg-max class
  const unknown = sub.filter((s) => !t.classes.includes(s));
  const missing = t.classes.filter((c) => !sub.includes(c));
  if (missing.length) throw placeError({ file: sample.file, row: 1 }, `no column for class(es) ${missing.join(", ")} seen in train`);
  if (unknown.length && unknown.length === sub.length) throw new UserError(`${sample.file}: row 1: columns ${sub.join(", ")} are not classes of the target`);
}
