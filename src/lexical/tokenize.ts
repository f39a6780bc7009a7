/**
 * scikit-learn's two analyzers, on one already-lowercased text column:
 * - "word": tokens are maximal runs of ≥ 2 word characters (`(?u)\b\w\w+\b` with Python's Unicode
 *   `\w`, counted in code points), then n-grams of tokens joined by one space;
 * - "char_wb": for each whitespace-separated word (`str.split()`), the word padded with one space
 *   on each side, its character n-grams (in code points); a padded word no longer than n gives
 *   one n-gram (itself) and ends the word (sklearn's "short word" rule).
 * The analyzers emit term ids straight from code points into a TupleTable, allocating no string
 * per n-gram (test/lexical/analyzers.test.ts holds the readable string versions they are checked against).
 */
import { isSpace, isWordChar } from "./unicode.js";
import type { IntVec } from "./growable.js";
import { TupleTable } from "./tupleTable.js";

/** Calls `visit(start, end)` (UTF-16 indices) for every token of `text`. */
function scanTokens(text: string, visit: (start: number, end: number) => void): void {
  let start = -1, len = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const step = cp > 0xffff ? 2 : 1;
    if (isWordChar(cp)) {
      if (start < 0) (start = i), (len = 0);
      len++;
    } else if (start >= 0) {
      if (len >= 2) visit(start, i);
      start = -1;
    }
    i += step;
  }
  if (start >= 0 && len >= 2) visit(start, text.length);
}

/** Calls `visit(cps, len)` with each whitespace-separated word padded by spaces: cps[0 .. len). */
function scanPaddedWords(cps: Int32Array, buf: Int32Array, visit: (padded: Int32Array, len: number) => void): void {
  let n = 0;
  for (let i = 0; i <= cps.length; i++) {
    if (i === cps.length || isSpace(cps[i])) {
      if (n > 0) {
        buf[0] = 32;
        buf[n + 1] = 32;
        visit(buf, n + 2);
      }
      n = 0;
    } else buf[1 + n++] = cps[i];
  }
}

/** Calls `emit(start, n)` for every char_wb n-gram window of one padded word, sklearn's rule. */
function windows(len: number, lo: number, hi: number, emit: (start: number, n: number) => void): void {
  for (let n = lo; n <= hi; n++) {
    if (len <= n) {
      emit(0, len);
      return;
    }
    for (let off = 0; off + n <= len; off++) emit(off, n);
  }
}

/** An analyzer: appends the term ids of one column's n-grams to `out` (unknown terms skipped when not inserting). */
export interface Analyzer {
  readonly table: TupleTable;
  analyze(text: string, insert: boolean, out: IntVec): void;
  /** The term of an id, for the kept terms only (vocabulary order, fixtures, info). */
  termOf(): (id: number) => string;
}

export class WordAnalyzer implements Analyzer {
  readonly table: TupleTable;
  private tokenIds = new Map<string, number>();
  private tokens: string[] = [];
  private ids: Int32Array = new Int32Array(256);

  constructor(private lo: number, private hi: number) {
    this.table = new TupleTable(hi);
  }

  analyze(text: string, insert: boolean, out: IntVec): void {
    let m = 0;
    scanTokens(text, (a, b) => {
      const tok = text.slice(a, b);
      let id = this.tokenIds.get(tok);
      if (id === undefined && insert) {
        id = this.tokens.length;
        this.tokenIds.set(tok, id);
        this.tokens.push(tok);
      }
      if (m === this.ids.length) this.ids = growInts(this.ids);
      this.ids[m++] = id ?? -1;
    });
    const ids = this.ids;
    for (let n = this.lo; n <= this.hi; n++)
      for (let i = 0; i + n <= m; i++) {
        let known = true;
        for (let k = 0; k < n && known; k++) known = ids[i + k] >= 0;
        const t = known ? this.table.id(ids, i, n, insert) : -1;
        if (t >= 0) out.push(t);
      }
  }

  termOf(): (id: number) => string {
    const tuple = this.table.tuples();
    return (id) => Array.from(tuple(id), (t) => this.tokens[t]).join(" ");
  }
}

export class CharWbAnalyzer implements Analyzer {
  readonly table: TupleTable;
  private cps: Int32Array = new Int32Array(1024);
  private buf: Int32Array = new Int32Array(1026);

  constructor(private lo: number, private hi: number) {
    this.table = new TupleTable(hi);
  }

  analyze(text: string, insert: boolean, out: IntVec): void {
    if (this.cps.length < text.length) {
      this.cps = new Int32Array(text.length * 2);
      this.buf = new Int32Array(text.length * 2 + 2);
    }
    let m = 0;
    for (let i = 0; i < text.length; ) {
      const cp = text.codePointAt(i)!;
      this.cps[m++] = cp;
      i += cp > 0xffff ? 2 : 1;
    }
    const table = this.table, lo = this.lo, hi = this.hi;
    scanPaddedWords(this.cps.subarray(0, m), this.buf, (w, len) =>
      windows(len, lo, hi, (s, n) => {
        const t = table.id(w, s, n, insert);
        if (t >= 0) out.push(t);
      }),
    );
  }

  termOf(): (id: number) => string {
    const tuple = this.table.tuples();
    return (id) => String.fromCodePoint(...tuple(id));
  }
}

function growInts(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
