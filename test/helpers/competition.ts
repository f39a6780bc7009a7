/** Small real competitions in temp folders, cut from the bundled UCI sentiment sentences. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sentimentRows } from "../../src/data/bundled.js";
import { writeCsv } from "../../src/io/csv.js";

export interface TempCompetition {
  root: string;
  dataDir: string;
  configFile: string;
}

/** `nTrain` + `nTest` sentences; config written as `config.json` in the temp root. */
export function makeSentimentCompetition(nTrain: number, nTest: number, configOver: Record<string, unknown> = {}): TempCompetition {
  const root = mkdtempSync(join(tmpdir(), "pb-comp-"));
  const dataDir = join(root, "data");
  const rows = sentimentRows().slice(0, nTrain + nTest);
  const id = (i: number): string => String(i).padStart(6, "0");
  writeCsv(join(dataDir, "train.csv"), ["id", "text", "label", "source"], rows.slice(0, nTrain).map((r, i) => [id(i), r.text, r.label, r.source]));
  writeCsv(join(dataDir, "test.csv"), ["id", "text"], rows.slice(nTrain).map((r, i) => [id(nTrain + i), r.text]));
  writeCsv(join(dataDir, "sample_submission.csv"), ["id", "label"], rows.slice(nTrain).map((_, i) => [id(nTrain + i), 0.5]));
  writeCsv(join(dataDir, "test_labels.csv"), ["id", "label"], rows.slice(nTrain).map((r, i) => [id(nTrain + i), r.label]));
  const cfg = {
    name: "t",
    data: { dir: "data", id: "id", text: ["text"], target: ["label"], group: null },
    task: "binary",
    metric: "auc",
    folds: { k: 3, seed: 1 },
    backbone: { model: join(import.meta.dirname, "../../models/minilm-l6"), maxLength: 64, batchTokens: 2048, chunkRows: 16 },
    heads: ["mean", "max", "min", "weightedLayer", "attention"],
    blend: { method: "hillclimb" },
    ...configOver,
  };
  const configFile = join(root, "config.json");
  writeFileSync(configFile, JSON.stringify(cfg, null, 2));
  return { root, dataDir, configFile };
}
