/**
 * One fold's tf-idf matrix, never materialised: a cell is computed when its row is read, from
 * the stored count (sublinear tf), the fold's idf of its term and the row's norm in the fold's
 * vocabulary. Blocks are stacked like `scipy.sparse.hstack` of separately l2-normalised
 * vectorisers: block b's columns follow block b-1's, and each block has unit norm (or is zero).
 * Cells are float32 (the cache below holds them so; decoded rows are rounded the same way, so
 * results never depend on the cache budget).
 */
import { decodeRow, type EncodedBlock } from "./csr.js";
import type { FoldVocab } from "./vocabulary.js";

/** Where one row's cells are: idx / val [start .. end) (the matrix's own arrays, or scratch). */
export interface RowCursor {
  idx: Int32Array;
  val: Float32Array;
  start: number;
  end: number;
  /** Points the cursor at row i (valid until the next call). */
  at(i: number): void;
}

/** A row-readable sparse matrix: what the linear solvers see. */
export interface SparseRows {
  readonly d: number;
  cursor(): RowCursor;
}

/** tf of a count: 1 + ln(count) (sublinear) or the count itself, tabulated for stored bytes. */
function tfTable(sublinear: boolean): Float64Array {
  return Float64Array.from({ length: 256 }, (_, c) => (c === 0 ? 0 : c === 255 ? -1 : sublinear ? 1 + Math.log(c) : c));
}

export class FoldMatrix implements SparseRows {
  readonly d: number;
  readonly maxRowNnz: number;
  private offsets: number[];
  /** per block: 1 / l2 norm of every document (0 for an empty row) */
  private invNorm: Float64Array[];
  private tf: Float64Array;

  constructor(private blocks: readonly EncodedBlock[], private vocabs: readonly FoldVocab[], private sublinear: boolean, nDocs: number) {
    this.tf = tfTable(sublinear);
    this.offsets = [];
    let d = 0;
    // columns: the fold's vocabulary, block after block (terms in id order within a block)
    for (const v of vocabs) {
      this.offsets.push(d);
      d += v.size;
    }
    this.d = d;
    this.maxRowNnz = blocks.reduce((s, b) => s + b.maxRowNnz, 0);
    this.invNorm = blocks.map((b, k) => this.norms(b, vocabs[k], nDocs));
  }

  private tfOfCount(c: number): number {
    return this.sublinear ? 1 + Math.log(c) : c;
  }

  /** Once per fold and block, so it decodes through decodeRow; the hot row() inlines the decoding. */
  private norms(b: EncodedBlock, v: FoldVocab, nDocs: number): Float64Array {
    const out = new Float64Array(nDocs), idf = v.idf;
    const ids = new Int32Array(b.maxRowNnz), cnt = new Int32Array(b.maxRowNnz);
    for (let doc = 0; doc < nDocs; doc++) {
      let s = 0;
      for (let e = 0, n = decodeRow(b, doc, ids, cnt); e < n; e++) {
        const w = idf[ids[e]];
        if (w !== 0) {
          const t = this.tfOfCount(cnt[e]) * w;
          s += t * t;
        }
      }
      out[doc] = s > 0 ? 1 / Math.sqrt(s) : 0;
    }
    return out;
  }

  /**
   * Writes row doc's cells into idx / val; returns how many. The varint decoding of csr.ts's
   * decodeRow is inlined here on purpose: every pass over uncached rows runs this loop, and building
   * all rows of 3,000 IMDB reviews (6.0 M cells, the default word 1–2 and char_wb 2–5 blocks) took
   * 67.7 ms inlined against 86.1 ms through decodeRow into scratch arrays (×1.27, median of 7
   * interleaved runs on 2 cores; the same cells to the bit).
   */
  row(doc: number, idx: Int32Array, val: Float32Array): number {
    let n = 0;
    const tf = this.tf;
    for (let k = 0; k < this.blocks.length; k++) {
      const inv = this.invNorm[k][doc];
      if (inv === 0) continue;
      const b = this.blocks[k], idf = this.vocabs[k].idf, col = this.vocabs[k].col, off = this.offsets[k];
      const g = b.gaps, counts = b.counts, first = n;
      let q = b.bytePtr[doc], id = -1;
      for (let e = b.entryPtr[doc], end = b.entryPtr[doc + 1]; e < end; e++) {
        let x = g[q++], gap = x & 127, shift = 7;
        while (x > 127) {
          x = g[q++];
          gap |= (x & 127) << shift;
          shift += 7;
        }
        id += gap;
        const w = idf[id];
        if (w === 0) continue;
        idx[n] = off + col[id];
        // a count ≥ 255 reads tf[255] = -1 here and is fixed below (rare: no call in the hot loop)
        val[n++] = tf[counts[e]] * w * inv;
      }
      if (hasOverflow(b, doc)) this.fixOverflow(b, k, doc, idx, val, first, n);
    }
    return n;
  }

  cursor(): RowCursor {
    const idx = new Int32Array(this.maxRowNnz), val = new Float32Array(this.maxRowNnz);
    const cur: RowCursor = { idx, val, start: 0, end: 0, at: (i) => (cur.end = this.row(i, idx, val)) };
    return cur;
  }

  /** Exact values of the entries of `doc` whose count did not fit in a byte. */
  private fixOverflow(b: EncodedBlock, k: number, doc: number, idx: Int32Array, val: Float32Array, from: number, to: number): void {
    const ids = new Int32Array(b.entryPtr[doc + 1] - b.entryPtr[doc]), cnt = new Int32Array(ids.length);
    decodeRow(b, doc, ids, cnt);
    const off = this.offsets[k], idf = this.vocabs[k].idf, inv = this.invNorm[k][doc];
    for (let e = 0, o = from; e < ids.length && o < to; e++) {
      if (idf[ids[e]] === 0) continue;
      if (cnt[e] >= 255) val[o] = this.tfOfCount(cnt[e]) * idf[ids[e]] * inv;
      if (idx[o] !== off + this.vocabs[k].col[ids[e]]) throw new Error("tfidf: overflow fix-up out of step");
      o++;
    }
  }
}

/** Whether any entry of `doc` has a count ≥ 255 (binary search in the sorted overflow entries). */
function hasOverflow(b: EncodedBlock, doc: number): boolean {
  const at = b.overflowAt;
  if (at.length === 0) return false;
  const lo0 = b.entryPtr[doc], hi0 = b.entryPtr[doc + 1];
  let lo = 0, hi = at.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (at[mid] < lo0) lo = mid + 1;
    else hi = mid;
  }
  return lo < at.length && at[lo] < hi0;
}

/** A plain CSR matrix of float32 cells, its rows addressed through `posOf` (row id → stored row). */
export class CsrMatrix implements SparseRows {
  constructor(readonly d: number, readonly ptr: Float64Array, readonly cols: Int32Array, readonly vals: Float32Array, readonly posOf: (i: number) => number = (i) => i) {}

  /** From (row, column, value) triples of an n-row matrix. */
  static fromTriples(n: number, d: number, cells: readonly (readonly [number, number, number])[]): CsrMatrix {
    const sorted = [...cells].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const ptr = new Float64Array(n + 1);
    for (const [r] of sorted) ptr[r + 1]++;
    for (let i = 0; i < n; i++) ptr[i + 1] += ptr[i];
    return new CsrMatrix(d, ptr, Int32Array.from(sorted, (x) => x[1]), Float32Array.from(sorted, (x) => x[2]));
  }

  cursor(): RowCursor {
    const cur: RowCursor = {
      idx: this.cols,
      val: this.vals,
      start: 0,
      end: 0,
      at: (i) => {
        const p = this.posOf(i);
        cur.start = this.ptr[p];
        cur.end = this.ptr[p + 1];
      },
    };
    return cur;
  }
}

/**
 * A fold's training rows decoded once into a CSR matrix (8 bytes a cell), when they fit in the
 * budget: the solvers read every training row dozens of times, and a cached row costs nothing to
 * find, instead of a varint decode and two gathers per cell. Other rows are decoded on the fly.
 */
export function cacheRows(src: FoldMatrix, rows: Int32Array, nDocs: number, budgetBytes: number): SparseRows {
  const idx = new Int32Array(src.maxRowNnz), val = new Float32Array(src.maxRowNnz);
  let nnz = 0;
  for (let p = 0; p < rows.length && nnz * 8 <= budgetBytes; p++) nnz += src.row(rows[p], idx, val);
  if (nnz * 8 > budgetBytes) return src;
  const ptr = new Float64Array(rows.length + 1), cols = new Int32Array(nnz), vals = new Float32Array(nnz);
  const posOf = new Int32Array(nDocs).fill(-1);
  rows.forEach((doc, p) => {
    posOf[doc] = p;
    const n = src.row(doc, cols.subarray(ptr[p]), vals.subarray(ptr[p]));
    ptr[p + 1] = ptr[p] + n;
  });
  const cached = new CsrMatrix(src.d, ptr, cols, vals, (i) => posOf[i]);
  return {
    d: src.d,
    cursor: () => {
      const a = cached.cursor(), b = src.cursor();
      // one cursor object whose arrays switch with the row's home (the hot loops read fields)
      const cur: RowCursor = {
        idx: a.idx, val: a.val, start: 0, end: 0,
        at: (i) => {
          const from = posOf[i] >= 0 ? a : b;
          from.at(i);
          cur.idx = from.idx;
          cur.val = from.val;
          cur.start = from.start;
          cur.end = from.end;
        },
      };
      return cur;
    },
  };
}
