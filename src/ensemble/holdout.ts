/** Scores a submission against held-back test labels (the bundled competitions ship them as test_labels.csv). */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config.js";
import { readCsv } from "../io/csv.js";
import { score } from "../validation/metrics.js";
import type { Targets } from "../validation/targets.js";

/** Score of test predictions ([nTest × c], test.csv order) on `<data.dir>/test_labels.csv`, or undefined when there is none. */
export function holdoutScore(cfg: Config, t: Targets, testIds: readonly string[], pred: Float64Array): number | undefined {
  const file = join(cfg.data.dir, "test_labels.csv");
  if (!existsSync(file)) return undefined;
  const labels = readCsv(file);
  const at = new Map(labels.rows.map((r) => [r[0], r]));
  const cols = cfg.data.target.map((c) => labels.header.indexOf(c));
  const w = t.task === "regression" ? t.c : 1;
  const y = new Float64Array(testIds.length * w);
  testIds.forEach((id, i) => {
    const r = at.get(id)!;
    if (t.task === "regression") cols.forEach((ci, k) => (y[i * w + k] = Number(r[ci])));
    else {
      const raw = r[cols[0]].trim();
      y[i] = t.classes.indexOf(/^[+-]?\d/.test(raw) ? String(Number(raw)) : raw);
    }
  });
  return score(cfg.metric, y, pred, t.c);
}
