/**
 * A fold's vocabulary on random count matrices against a brute-force reading of scikit-learn's
 * rules: min_df / max_df as counts or fractions of the fold's documents, max_features keeping the
 * largest term frequencies with ties taken in code-point order, idf smooth or not, and when the
 * corpus-wide cap makes the fold's vocabulary provably exact.
 */
import { describe, it, expect } from "vitest";
import { BlockWriter, type EncodedBlock } from "../../src/lexical/csr.js";
import { fitVocab, foldFrequencies, selectTerms } from "../../src/lexical/vocabulary.js";
import type { BlockOptions } from "../../src/lexical/options.js";
import { mulberry32, shuffled } from "../../src/util/random.js";

const NT = 40;

/** 60 documents over 40 terms; term t appears with probability falling in t; counts 1..4. */
function corpus(seed: number, capped = 0, maxCappedTf = 0): { b: EncodedBlock; docs: Map<number, number>[] } {
  const r = mulberry32(seed);
  const w = new BlockWriter();
  const docs: Map<number, number>[] = [];
  for (let d = 0; d < 60; d++) {
    const m = new Map<number, number>();
    for (let t = 0; t < NT; t++) if (r() < 0.9 / (1 + t / 6)) m.set(t, 1 + Math.floor(r() * 4));
    docs.push(m);
    const ids = Int32Array.from(m.keys());
    w.add(ids, Array.from(m.values()), ids.length);
  }
  const rank = Int32Array.from(shuffled([...Array(NT).keys()], seed));
  return { b: w.finish("char", NT, rank, capped, maxCappedTf), docs };
}

/** scikit-learn's selection, written directly: counts, bounds, then the top maxFeatures by (tf desc, code-point rank). */
function bruteForce(docs: Map<number, number>[], rows: number[], rank: Int32Array, o: BlockOptions): { keep: boolean[]; df: number[]; tf: number[] } {
  const df = new Array<number>(NT).fill(0), tf = new Array<number>(NT).fill(0);
  for (const r of rows) for (const [t, c] of docs[r]) (df[t] += 1), (tf[t] += c);
  const n = rows.length;
  const lo = o.minDf >= 1 ? o.minDf : o.minDf * n, hi = o.maxDf <= 1 ? o.maxDf * n : o.maxDf;
  let terms = [...Array(NT).keys()].filter((t) => df[t] > 0 && df[t] >= lo && df[t] <= hi);
  if (o.maxFeatures !== null) terms = terms.sort((a, b) => tf[b] - tf[a] || rank[a] - rank[b]).slice(0, o.maxFeatures);
  const keep = new Array<boolean>(NT).fill(false);
  for (const t of terms) keep[t] = true;
  return { keep, df, tf };
}

describe("fold vocabulary", () => {
  const rowSets = [[...Array(60).keys()], [...Array(60).keys()].filter((i) => i % 3 !== 0), [...Array(60).keys()].filter((i) => i % 2 === 0)];
  const options: BlockOptions[] = [
    { ngram: [1, 1], minDf: 1, maxDf: 1, maxFeatures: null },
    { ngram: [1, 1], minDf: 3, maxDf: 0.9, maxFeatures: null },
    { ngram: [1, 1], minDf: 0.1, maxDf: 30, maxFeatures: null },
    { ngram: [1, 1], minDf: 2, maxDf: 1, maxFeatures: 12 },
    { ngram: [1, 1], minDf: 0.05, maxDf: 0.5, maxFeatures: 5 },
    { ngram: [1, 1], minDf: 1, maxDf: 1, maxFeatures: 1 },
    { ngram: [1, 1], minDf: 1, maxDf: 1, maxFeatures: 1000 },
  ];

  it("frequencies, selection, columns and idf match the brute force on every rows × options pair", () => {
    for (const seed of [1, 2, 3]) {
      const { b, docs } = corpus(seed);
      for (const rows of rowSets)
        for (const o of options) {
          const label = JSON.stringify({ seed, n: rows.length, o });
          const want = bruteForce(docs, rows, b.rank, o);
          const { df, tf } = foldFrequencies(b, Int32Array.from(rows));
          expect(Array.from(df), label).toEqual(want.df);
          expect(Array.from(tf), label).toEqual(want.tf);
          const { keep } = selectTerms(b, df, tf, rows.length, o);
          expect(Array.from(keep, (k) => k === 1), label).toEqual(want.keep);
          for (const smooth of [true, false]) {
            const v = fitVocab(b, rows, o, smooth);
            let col = 0;
            for (let t = 0; t < NT; t++) {
              expect(v.col[t], label).toBe(want.keep[t] ? col++ : -1);
              const n = rows.length, d = want.df[t];
              expect(v.idf[t], label).toBeCloseTo(want.keep[t] ? (smooth ? Math.log((1 + n) / (1 + d)) + 1 : Math.log(n / d) + 1) : 0, 13);
            }
            expect(v.size).toBe(col);
            expect(v.exact).toBe(true);
          }
        }
    }
  });

  it("ties at the max_features cut go to the earlier term in code-point order", () => {
    // one document, every term once: all tie; the kept ones are the lowest ranks
    const w = new BlockWriter();
    w.add(Int32Array.from([0, 1, 2, 3, 4]), [2, 1, 1, 1, 1], 5);
    const rank = Int32Array.from([4, 3, 0, 2, 1]);
    const b = w.finish("word", 5, rank, 0, 0);
    const { df, tf } = foldFrequencies(b, [0]);
    const o: BlockOptions = { ngram: [1, 1], minDf: 1, maxDf: 1, maxFeatures: 3 };
    const r = selectTerms(b, df, tf, 1, o);
    // term 0 (tf 2) is above the threshold; of the tied terms 2 (rank 0) and 4 (rank 1) fill the rest
    expect(Array.from(r.keep)).toEqual([1, 0, 1, 0, 1]);
    expect(r.threshold).toBe(1);
    expect(selectTerms(b, df, tf, 1, { ...o, maxFeatures: 5 }).threshold).toBe(0);
  });

  it("max_df below min_df is an error naming both", () => {
    const { b } = corpus(1);
    const { df, tf } = foldFrequencies(b, [0, 1, 2, 3]);
    expect(() => selectTerms(b, df, tf, 4, { ngram: [1, 1], minDf: 3, maxDf: 0.5, maxFeatures: null })).toThrow("tfidf: maxDf is 2 documents, fewer than minDf's 3");
    expect(() => selectTerms(b, df, tf, 4, { ngram: [1, 1], minDf: 2, maxDf: 0.5, maxFeatures: null })).not.toThrow();
  });

  it("exact only when the corpus cut nothing, or the fold's own cut lies above every term the corpus left out", () => {
    const rows = [...Array(60).keys()];
    const o: BlockOptions = { ngram: [1, 1], minDf: 1, maxDf: 1, maxFeatures: 8 };
    const { b: plain } = corpus(4);
    const threshold = selectTerms(plain, ...(Object.values(foldFrequencies(plain, rows)) as [Int32Array, Float64Array]), 60, o).threshold;
    expect(threshold).toBeGreaterThan(1);
    expect(fitVocab(corpus(4, 0, 0).b, rows, o, true).exact).toBe(true);
    expect(fitVocab(corpus(4, 5, threshold - 1).b, rows, o, true).exact).toBe(true);
    expect(fitVocab(corpus(4, 5, threshold).b, rows, o, true).exact).toBe(false);
    expect(fitVocab(corpus(4, 5, 1).b, rows, { ...o, maxFeatures: null }, true).exact).toBe(false);
    expect(fitVocab(corpus(4, 5, 1).b, rows, { ...o, maxFeatures: 1000 }, true).exact).toBe(false);
  });
});
