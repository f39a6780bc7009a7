/**
 * The submission: header, ids and row order of sample_submission.csv exactly; values per the
 * task — probabilities, labels or targets. Written atomically.
 */
import type { Config } from "../config.js";
import { writeCsv, type CsvTable } from "../io/csv.js";
import type { Targets } from "../validation/targets.js";

/** Rows of the submission from blended test predictions ([nTest × c], test.csv order). */
export function submissionRows(cfg: Config, t: Targets, sample: CsvTable, testRowOf: Int32Array, pred: Float64Array): (string | number)[][] {
  const c = t.c;
  const cols = sample.header.slice(1);
  return sample.rows.map((r, i) => {
    const j = testRowOf[i];
    const p = pred.subarray(j * c, j * c + c);
    if (t.task === "binary") return [r[0], cfg.metric === "accuracy" ? t.classes[p[0] >= 0.5 ? 1 : 0] : p[0]];
    if (t.task === "multiclass") {
      if (cols.length === 1) {
        let best = 0;
        for (let k = 1; k < c; k++) if (p[k] > p[best]) best = k;
        return [r[0], t.classes[best]];
      }
      // classes named by the submission but never seen in train get probability 0
      return [r[0], ...cols.map((col) => (t.classes.includes(col) ? p[t.classes.indexOf(col)] : 0))];
    }
    return [r[0], ...cols.map((col) => p[t.columns.indexOf(col) >= 0 ? t.columns.indexOf(col) : 0])];
  });
}

export function writeSubmission(file: string, sample: CsvTable, rows: (string | number)[][]): void {
  writeCsv(file, sample.header, rows);
}
