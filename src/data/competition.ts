/**
 * A Kaggle competition folder (README "Your competition"): train.csv, test.csv, sample_submission.csv.
 * Everything is validated before any long work starts, so bad input costs nothing.
 */
import { join } from "node:path";
import { column, columnIndex, readCsv, type CsvTable } from "../io/csv.js";
import { placeError } from "../util/errors.js";

/** Rows of one CSV with ids and text columns pulled out. */
export interface TextSplit {
  file: string;
  table: CsvTable;
  ids: string[];
  /** texts[i] = the row's text columns in configured order */
  texts: string[][];
}

export interface DataSpec {
  dir: string;
  id: string;
  text: string[];
}

/** Checks ids are present and unique; errors name the row. */
export function checkIds(table: CsvTable, idCol: string): string[] {
  const ids = column(table, idCol);
  const seen = new Map<string, number>();
  ids.forEach((id, i) => {
    if (id === "") throw placeError({ file: table.file, row: table.rowNumbers[i], column: idCol }, "empty id");
    const prev = seen.get(id);
    if (prev !== undefined) throw placeError({ file: table.file, row: table.rowNumbers[i], column: idCol }, `duplicate id "${id}" (first at row ${table.rowNumbers[prev]})`);
    seen.set(id, i);
  });
  return ids;
}

/** Loads train.csv or test.csv with its ids and texts. */
export function loadTextSplit(spec: DataSpec, split: "train" | "test"): TextSplit {
  const file = join(spec.dir, `${split}.csv`);
  const table = readCsv(file);
  if (table.rows.length === 0) throw placeError({ file, row: 2 }, "no data rows (header only)");
  const ids = checkIds(table, spec.id);
  const cols = spec.text.map((c) => columnIndex(table, c));
  const texts = table.rows.map((r) => cols.map((c) => r[c]));
  return { file, table, ids, texts };
}

/** sample_submission.csv, with its ids checked against test.csv. Returns, per sample row, the test row index. */
export function loadSample(spec: DataSpec, test: TextSplit): { table: CsvTable; testRowOf: Int32Array } {
  const file = join(spec.dir, "sample_submission.csv");
  const table = readCsv(file);
  if (table.header[0] !== spec.id) throw placeError({ file, row: 1, column: table.header[0] }, `first column must be the id column "${spec.id}"`);
  if (table.header.length < 2) throw placeError({ file, row: 1 }, "no submission columns after the id");
  const ids = checkIds(table, spec.id);
  const testIndex = new Map(test.ids.map((id, i) => [id, i]));
  const testRowOf = new Int32Array(ids.length);
  ids.forEach((id, i) => {
    const j = testIndex.get(id);
    if (j === undefined) throw placeError({ file, row: table.rowNumbers[i], column: spec.id }, `id "${id}" is not in test.csv`);
    testRowOf[i] = j;
  });
  if (ids.length !== test.ids.length) {
    const inSample = new Set(ids);
    const k = test.ids.findIndex((id) => !inSample.has(id));
    throw placeError({ file: test.file, row: test.table.rowNumbers[k], column: spec.id }, `id "${test.ids[k]}" is missing from sample_submission.csv`);
  }
  return { table, testRowOf };
}
