/**
 * The one place that reads and writes CSV. RFC 4180 via papaparse, every field kept as the
 * exact string in the file (ids like `000123` or `1e5` must survive byte-exact), strict about
 * malformed input so that a bad row is reported, never silently shifted.
 */
import { readFileSync, existsSync, statSync } from "node:fs";
import Papa from "papaparse";
import { placeError, UserError } from "../util/errors.js";
import { writeFileAtomic } from "./atomic.js";

/** A parsed CSV: header and rows of raw strings. */
export interface CsvTable {
  file: string;
  header: string[];
  rows: string[][];
  /** 1-based record number in the file of each row (header = 1); differs from i+2 only after skipped blank lines. */
  rowNumbers: number[];
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeStrict(file: string, bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const prefix = new TextDecoder("utf-8").decode(bytes.subarray(0, bad));
    const parsed = Papa.parse<string[]>(prefix, { delimiter: ",", skipEmptyLines: false });
    const rec = parsed.data.length;
    const header = rec > 1 ? parsed.data[0] : undefined;
    const col = parsed.data[rec - 1]?.length ?? 1;
    throw placeError(
      { file, row: Math.max(rec, 1), column: header?.[col - 1] ?? `#${col}` },
      `invalid UTF-8 (byte offset ${bad})`,
    );
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let n = 0;
    if (c < 0x80) n = 0;
    else if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) n = 2;
    else if (c >= 0xf0 && c <= 0xf4) n = 3;
    else return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k] & 0xc0) !== 0x80) return i;
    const v = n === 2 ? ((c & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) : n === 3 ? ((c & 0x07) << 18) | ((b[i + 1] & 0x3f) << 12) : 0x800;
    if (n === 2 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) return i;
    if (n === 3 && (v < 0x10000 || v > 0x10ffff)) return i;
    i += n + 1;
  }
  return b.length;
}

/** Parses CSV text already decoded; `file` only names the source in errors. */
export function parseCsv(file: string, text: string): CsvTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) throw placeError({ file }, "file is empty (no header)");
  const firstBreak = text.search(/\r\n|\n|\r/);
  const newline = firstBreak < 0 ? "\n" : text[firstBreak] === "\r" && text[firstBreak + 1] === "\n" ? "\r\n" : text[firstBreak];
  const parsed = Papa.parse<string[]>(text, {
    delimiter: ",",
    newline: newline as "\r\n" | "\n" | "\r",
    quoteChar: '"',
    escapeChar: '"',
    header: false,
    dynamicTyping: false,
    skipEmptyLines: false,
  });
  const data = parsed.data;
  const header = data[0];
  const quoteErr = parsed.errors.find((e) => e.type === "Quotes");
  if (quoteErr) {
    const rec = (quoteErr.row ?? 0) + 1;
    const fields = data[rec - 1] ?? [];
    const colName = header?.[Math.max(0, Math.min(fields.length, header.length) - 1)];
    const what = quoteErr.code === "MissingQuotes" ? "unterminated quoted field" : "malformed quotes (a quoted field must end at a comma or line end)";
    throw placeError({ file, row: rec, column: colName }, what);
  }
  const seen = new Map<string, number>();
  header.forEach((h, i) => {
    if (seen.has(h)) throw placeError({ file, row: 1, column: h }, `duplicate column name (columns ${seen.get(h)! + 1} and ${i + 1})`);
    seen.set(h, i);
  });
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  for (let r = 1; r < data.length; r++) {
    const rec = data[r];
    // A trailing line break yields one empty record; interior blank lines are skipped like pandas does.
    if (rec.length === 1 && rec[0] === "" && header.length > 1) continue;
    if (rec.length === 1 && rec[0] === "" && r === data.length - 1) continue;
    if (rec.length !== header.length) {
      const col = rec.length < header.length ? header[rec.length] : `#${rec.length}`;
      throw placeError(
        { file, row: r + 1, column: col },
        `has ${rec.length} fields, header has ${header.length}` + (rec.length < header.length ? " (missing value)" : " (extra value: unquoted comma?)"),
      );
    }
    rows.push(rec);
    rowNumbers.push(r + 1);
  }
  return { file, header, rows, rowNumbers };
}

/** Reads and strictly parses a CSV file. Errors name the file, record and column. */
export function readCsv(file: string): CsvTable {
  if (!existsSync(file)) throw placeError({ file }, "file not found");
  if (!statSync(file).isFile()) throw placeError({ file }, "not a file");
  return parseCsv(file, decodeStrict(file, readFileSync(file)));
}

/** Index of a named column; a clear error when it is missing. */
export function columnIndex(table: CsvTable, name: string): number {
  const i = table.header.indexOf(name);
  if (i < 0) throw placeError({ file: table.file, row: 1, column: name }, `column not found (columns: ${table.header.join(", ")})`);
  return i;
}

/** All values of one column. */
export function column(table: CsvTable, name: string): string[] {
  const i = columnIndex(table, name);
  return table.rows.map((r) => r[i]);
}

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/** Quotes a field per RFC 4180 when it holds a comma, quote, CR or LF (or edge whitespace). */
export function quoteField(s: string): string {
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Shortest decimal that reads back to the same float64. Non-finite values are a bug here, never written. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) throw new UserError(`refusing to write a non-finite number (${x}) to a CSV`);
  return Object.is(x, -0) ? "0" : String(x);
}

/** Serialises rows; numbers via `formatNumber`, strings quoted when needed. LF line ends, final LF. */
export function formatCsv(header: readonly string[], rows: Iterable<readonly (string | number)[]>): string {
  const out: string[] = [header.map(quoteField).join(",")];
  for (const r of rows) out.push(r.map((v) => (typeof v === "number" ? formatNumber(v) : quoteField(v))).join(","));
  return out.join("\n") + "\n";
}

/** Writes a CSV atomically (temp file + rename): a kill never leaves half a file. */
export function writeCsv(file: string, header: readonly string[], rows: Iterable<readonly (string | number)[]>): void {
  writeFileAtomic(file, formatCsv(header, rows));
}
