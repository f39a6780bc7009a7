/**
 * A fold's tf-idf rows, computed on read, against the formula written out per cell: per block,
 * tf (1 + ln count, or the count) × idf of the fold's vocabulary terms, the block l2-normalised,
 * blocks side by side; counts past a byte included. The cache of training rows reads the same.
 */
import { describe, it, expect } from "vitest";
import { BlockWriter, type EncodedBlock } from "../../src/lexical/csr.js";
import { FoldMatrix, cacheRows, CsrMatrix, type SparseRows } from "../../src/lexical/foldMatrix.js";
import type { FoldVocab } from "../../src/lexical/vocabulary.js";
import { mulberry32 } from "../../src/util/random.js";

const N = 40;

function block(seed: number, nTerms: number): { b: EncodedBlock; docs: Map<number, number>[] } {
  const r = mulberry32(seed);
  const w = new BlockWriter();
  const docs: Map<number, number>[] = [];
  for (let d = 0; d < N; d++) {
    const m = new Map<number, number>();
    if (d % 9 !== 4) for (let t = 0; t < nTerms; t++) if (r() < 0.3) m.set(t, r() < 0.1 ? 250 + Math.floor(r() * 100) : 1 + Math.floor(r() * 5));
    docs.push(m);
    w.add(Int32Array.from(m.keys()), Array.from(m.values()), m.size);
  }
  return { b: w.finish("word", nTerms, new Int32Array(nTerms), 0, 0), docs };
}

/** A vocabulary keeping every term but those where `drop` says so; idf 1 + t/10. */
function vocab(nTerms: number, drop: (t: number) => boolean): FoldVocab {
  const col = new Int32Array(nTerms).fill(-1), idf = new Float64Array(nTerms);
  let size = 0;
  for (let t = 0; t < nTerms; t++) if (!drop(t)) (col[t] = size++), (idf[t] = 1 + t / 10);
  return { col, idf, size, exact: true };
}

/** Row d as column → value, from the formula. */
function expected(parts: { docs: Map<number, number>[]; v: FoldVocab }[], d: number, sublinear: boolean): Map<number, number> {
  const out = new Map<number, number>();
  let off = 0;
  for (const { docs, v } of parts) {
    const cells = [...docs[d]].filter(([t]) => v.col[t] >= 0).map(([t, c]) => [off + v.col[t], (sublinear ? 1 + Math.log(c) : c) * v.idf[t]] as const);
    const norm = Math.sqrt(cells.reduce((s, [, x]) => s + x * x, 0));
    for (const [j, x] of cells) out.set(j, Math.fround(x / norm));
    off += v.size;
  }
  return out;
}

function read(X: SparseRows, d: number): Map<number, number> {
  const cur = X.cursor();
  cur.at(d);
  const out = new Map<number, number>();
  for (let e = cur.start; e < cur.end; e++) out.set(cur.idx[e], cur.val[e]);
  return out;
}

describe("fold matrix", () => {
  const word = block(1, 12), char = block(2, 20);
  const parts = [{ docs: word.docs, v: vocab(12, (t) => t % 4 === 1) }, { docs: char.docs, v: vocab(20, (t) => t > 15) }];

  for (const sublinear of [true, false])
    it(`every row of two stacked blocks equals the formula (sublinear ${sublinear})`, () => {
      const X = new FoldMatrix([word.b, char.b], parts.map((p) => p.v), sublinear, N);
      expect(X.d).toBe(9 + 16);
      expect(X.maxRowNnz).toBe(word.b.maxRowNnz + char.b.maxRowNnz);
      for (let d = 0; d < N; d++) {
        const want = expected(parts, d, sublinear), got = read(X, d);
        expect([...got.keys()], `row ${d}`).toEqual([...want.keys()]);
        for (const [j, x] of want) expect(got.get(j)!, `row ${d} col ${j}`).toBeCloseTo(x, 6);
      }
      expect(read(X, 4).size).toBe(0);
    });

  it("a block whose terms all left the vocabulary contributes nothing, the other keeps unit norm", () => {
    const X = new FoldMatrix([word.b, char.b], [vocab(12, () => true), parts[1].v], true, N);
    expect(X.d).toBe(16);
    for (let d = 0; d < N; d++) {
      const got = read(X, d);
      const norm = Math.sqrt([...got.values()].reduce((s, x) => s + x * x, 0));
      if (got.size) expect(norm).toBeCloseTo(1, 6);
    }
  });

  it("cached training rows read exactly as decoded rows; other rows still decode; no budget, no cache", () => {
    const X = new FoldMatrix([word.b, char.b], parts.map((p) => p.v), true, N);
    const rows = Int32Array.from([5, 0, 33, 12, 4, 20]);
    const cached = cacheRows(X, rows, N, 1 << 20);
    expect(cached).not.toBe(X);
    expect(cached.d).toBe(X.d);
    const cur = cached.cursor();
    for (const d of [...rows, 1, 39, 5]) {
      cur.at(d);
      const got = new Map<number, number>();
      for (let e = cur.start; e < cur.end; e++) got.set(cur.idx[e], cur.val[e]);
      expect(got, `row ${d}`).toEqual(read(X, d));
    }
    const nnz = [...rows].reduce((s, d) => s + read(X, d).size, 0);
    expect(cacheRows(X, rows, N, 8 * nnz)).not.toBe(X);
    expect(cacheRows(X, rows, N, 8 * nnz - 1)).toBe(X);
    expect(cacheRows(X, rows, N, 0)).toBe(X);
  });

  it("CSR from triples: rows sorted by row then column, rows without cells empty", () => {
    const m = CsrMatrix.fromTriples(3, 4, [[2, 3, 1.5], [0, 2, 2], [2, 0, -1], [0, 1, 4]]);
    expect(Array.from(m.ptr)).toEqual([0, 2, 2, 4]);
    expect(Array.from(m.cols)).toEqual([1, 2, 0, 3]);
    expect(Array.from(m.vals)).toEqual([4, 2, -1, 1.5]);
    expect(read(m, 1).size).toBe(0);
    expect(read(m, 2)).toEqual(new Map([[0, -1], [3, 1.5]]));
  });
});
