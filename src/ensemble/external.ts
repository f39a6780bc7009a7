/**
 * Other models' OOF and test predictions (`--oof A.csv --test A_test.csv`), joined to the
 * competition by id as strings. Any mismatch is an error naming the file, row and column.
 */
import { basename } from "node:path";
import { readCsv, type CsvTable } from "../io/csv.js";
import { placeError, UserError } from "../util/errors.js";

export interface ExternalModel {
  name: string;
  oof: Float64Array;
  test: Float64Array;
}

function values(t: CsvTable, idCol: string, ids: readonly string[], columns: readonly string[], what: string): Float64Array {
  const idIdx = t.header.indexOf(idCol) >= 0 ? t.header.indexOf(idCol) : t.header.indexOf("id");
  if (idIdx < 0) throw placeError({ file: t.file, row: 1, column: idCol }, "id column not found");
  const colIdx = columns.map((c) => {
    const i = t.header.indexOf(c);
    if (i < 0) throw placeError({ file: t.file, row: 1, column: c }, `prediction column not found (the ${what} needs columns ${columns.join(", ")})`);
    return i;
  });
  const at = new Map<string, number>();
  t.rows.forEach((r, i) => {
    const id = r[idIdx];
    if (at.has(id)) throw placeError({ file: t.file, row: t.rowNumbers[i], column: t.header[idIdx] }, `duplicate id "${id}"`);
    at.set(id, i);
  });
  const c = columns.length;
  const out = new Float64Array(ids.length * c);
  ids.forEach((id, k) => {
    const i = at.get(id);
    if (i === undefined) throw placeError({ file: t.file, column: t.header[idIdx] }, `id "${id}" of the ${what} is missing (${t.rows.length} rows, ${ids.length} expected)`);
    colIdx.forEach((ci, j) => {
      const raw = t.rows[i][ci].trim();
      const v = raw === "" ? NaN : Number(raw);
      if (!Number.isFinite(v)) throw placeError({ file: t.file, row: t.rowNumbers[i], column: columns[j] }, `not a finite number: "${t.rows[i][ci]}"`);
      out[k * c + j] = v;
    });
  });
  if (t.rows.length !== ids.length) {
    const want = new Set(ids);
    const i = t.rows.findIndex((r) => !want.has(r[idIdx]));
    throw placeError({ file: t.file, row: t.rowNumbers[i], column: t.header[idIdx] }, `id "${t.rows[i][idIdx]}" is not in the ${what}`);
  }
  return out;
}

/** Loads pairs of OOF / test files. `testIds` are in test.csv row order. */
export function loadExternal(oofFiles: string[], testFiles: string[], idCol: string, trainIds: readonly string[], testIds: readonly string[], columns: readonly string[]): ExternalModel[] {
  if (oofFiles.length !== testFiles.length) throw new UserError(`--oof and --test come in pairs: got ${oofFiles.length} --oof and ${testFiles.length} --test`);
  const names = new Set<string>();
  return oofFiles.map((f, i) => {
    let name = `ext:${basename(f).replace(/\.csv$/i, "")}`;
    while (names.has(name)) name += "'";
    names.add(name);
    return {
      name,
      oof: values(readCsv(f), idCol, trainIds, columns, "train set (OOF)"),
      test: values(readCsv(testFiles[i]), idCol, testIds, columns, "test set"),
    };
  });
}
