/**
 * Building one block of the corpus, against a brute-force count of word unigrams: which terms are
 * kept (training document frequency ≥ min_df; with max_features, the factor · max_features most
 * frequent, ties by first appearance), their ids (frequency descending, then code-point order),
 * their code-point ranks, every document's counts (test rows too, but test rows never make a term),
 * and what the cap left out.
 */
import { describe, it, expect } from "vitest";
import { buildBlock } from "../../src/lexical/counting.js";
import { decodeRow } from "../../src/lexical/csr.js";
import { buildCorpus, corpusBytes, corpusFingerprint } from "../../src/lexical/corpus.js";
import { blockBytes } from "../../src/lexical/csr.js";
import { TFIDF_DEFAULTS, type BlockOptions } from "../../src/lexical/options.js";
import { compareCodePoints } from "../../src/lexical/unicode.js";
import { mulberry32 } from "../../src/util/random.js";

const WORDS = ["apple", "Bb", "cc", "dd", "ee", "ff", "gg", "hh", "ii", "jj", "kk", "zz", "éé", "中文"];

function docs(seed: number, n: number): string[][] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const len = Math.floor(r() * 12);
    const words = Array.from({ length: len }, () => WORDS[Math.floor(Math.pow(r(), 2) * WORDS.length)]);
    const cut = Math.floor(r() * (len + 1));
    // two text columns: a document's words split between them
    return [words.slice(0, cut).join(" "), words.slice(cut).join(", ")];
  });
}

function brute(train: string[][], o: BlockOptions, factor: number, lowercase: boolean) {
  const norm = (s: string) => (lowercase ? s.toLowerCase() : s);
  const tokens = (cols: string[]) => cols.flatMap((c) => norm(c).split(/[ ,]+/).filter((w) => w.length >= 2));
  const tf = new Map<string, number>(), df = new Map<string, number>();
  for (const d of train) {
    const ts = tokens(d);
    for (const t of ts) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const t of new Set(ts)) df.set(t, (df.get(t) ?? 0) + 1);
  }
  const firstSeen = [...tf.keys()];
  const minCount = o.minDf >= 1 ? o.minDf : 1;
  let kept = firstSeen.filter((t) => df.get(t)! >= minCount);
  const limit = o.maxFeatures === null ? Infinity : Math.ceil(factor * o.maxFeatures);
  let capped = 0, maxCappedTf = 0;
  if (kept.length > limit) {
    const byTf = [...kept].sort((a, b) => tf.get(b)! - tf.get(a)! || firstSeen.indexOf(a) - firstSeen.indexOf(b));
    capped = byTf.length - limit;
    maxCappedTf = tf.get(byTf[limit])!;
    kept = byTf.slice(0, limit);
  }
  const byCp = [...kept].sort(compareCodePoints);
  const terms = [...kept].sort((a, b) => tf.get(b)! - tf.get(a)! || byCp.indexOf(a) - byCp.indexOf(b));
  return { terms, rank: terms.map((t) => byCp.indexOf(t)), capped, maxCappedTf, tokens };
}

describe("corpus block", () => {
  const train = docs(1, 50), test = docs(2, 20).map((d) => [d[0] + " unseenword", d[1]]);
  const cases: [BlockOptions, number, boolean][] = [
    [{ ngram: [1, 1], minDf: 1, maxDf: 1, maxFeatures: null }, 2, true],
    [{ ngram: [1, 1], minDf: 3, maxDf: 1, maxFeatures: null }, 2, false],
    [{ ngram: [1, 1], minDf: 0.5, maxDf: 1, maxFeatures: 4 }, 1.5, true],
    [{ ngram: [1, 1], minDf: 2, maxDf: 1, maxFeatures: 3 }, 1, true],
  ];

  for (const [o, factor, lowercase] of cases)
    it(`terms, ids, ranks, counts and the cap: ${JSON.stringify({ minDf: o.minDf, maxFeatures: o.maxFeatures, factor, lowercase })}`, () => {
      const want = brute(train, o, factor, lowercase);
      const { block, terms } = buildBlock("word", train, test, o, lowercase, factor);
      expect(terms).toEqual(want.terms);
      expect(Array.from(block.rank)).toEqual(want.rank);
      expect([block.kind, block.nTerms, block.capped, block.maxCappedTf]).toEqual(["word", want.terms.length, want.capped, want.maxCappedTf]);
      const ids = new Int32Array(block.maxRowNnz), cnt = new Int32Array(block.maxRowNnz);
      [...train, ...test].forEach((d, i) => {
        const counts = new Map<number, number>();
        for (const t of want.tokens(d)) {
          const id = want.terms.indexOf(t);
          if (id >= 0) counts.set(id, (counts.get(id) ?? 0) + 1);
        }
        const n = decodeRow(block, i, ids, cnt);
        const got = new Map(Array.from(ids.subarray(0, n), (id, e) => [id, cnt[e]]));
        expect(got, `document ${i}`).toEqual(new Map([...counts].sort((a, b) => a[0] - b[0])));
      });
      expect(block.maxRowNnz).toBe(Math.max(...[...train, ...test].map((d) => new Set(want.tokens(d).filter((t) => want.terms.includes(t))).size)));
    });

  it("more than 2^16 distinct training terms grow the counters", () => {
    const many = Array.from({ length: 700 }, (_, d) => [Array.from({ length: 100 }, (_, k) => `w${d * 100 + k}`).join(" ") + " common"]);
    const { terms, block } = buildBlock("word", many, [], { ngram: [1, 1], minDf: 1, maxDf: 1, maxFeatures: null }, true, 2);
    expect(terms.length).toBe(70_001);
    expect(terms[0]).toBe("common");
    const ids = new Int32Array(block.maxRowNnz), cnt = new Int32Array(block.maxRowNnz);
    expect(decodeRow(block, 699, ids, cnt)).toBe(101);
    expect(ids[0]).toBe(0);
  });

  it("the corpus: word block before char block, its fingerprint and size", () => {
    const o = { ...TFIDF_DEFAULTS, word: { ngram: [1, 2] as [number, number], minDf: 1, maxDf: 1, maxFeatures: null }, char: { ngram: [2, 3] as [number, number], minDf: 1, maxDf: 1, maxFeatures: 50 } };
    const c = buildCorpus(train, test, o);
    expect([c.nTrain, c.nTest]).toEqual([50, 20]);
    expect(c.blocks.map((b) => b.kind)).toEqual(["word", "char"]);
    expect(c.fingerprint).toBe(corpusFingerprint(o));
    expect(JSON.parse(c.fingerprint)).toEqual({ word: o.word, char: o.char, lowercase: true, factor: 2 });
    expect(corpusBytes(c)).toBe(blockBytes(c.blocks[0]) + blockBytes(c.blocks[1]));
    expect(buildCorpus(train, test, { ...o, word: null }).blocks.map((b) => b.kind)).toEqual(["char"]);
    expect(buildCorpus(train, test, { ...o, char: null }).blocks.map((b) => b.kind)).toEqual(["word"]);
  });
});
