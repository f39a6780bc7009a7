/**
 * The vectoriser against scikit-learn 1.2.1's TfidfVectorizer (test/fixtures/tfidf/make_fixture.py):
 * same vocabularies in the same (code-point) order, same idf, same tf-idf cells of every row
 * (train and test) when fitted on a subset of the training rows only.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildCorpusWithTerms } from "../../src/lexical/corpus.js";
import { fitVocab } from "../../src/lexical/vocabulary.js";
import { FoldMatrix } from "../../src/lexical/foldMatrix.js";
import { TFIDF_DEFAULTS, type BlockOptions, type TfidfOptions } from "../../src/lexical/options.js";
import { charWbNgrams, wordNgrams, wordTokens } from "../reference/analyzers.js";
import { compareCodePoints } from "../../src/lexical/unicode.js";

interface Case {
  name: string;
  word: BlockOptions;
  char: BlockOptions;
  sublinearTf: boolean;
  smoothIdf: boolean;
  blocks: Record<"word" | "char", { vocab: string[]; idf: number[] }>;
  cells: [number, number, number][];
}
const fx = JSON.parse(readFileSync(new URL("../fixtures/tfidf/vectorizer.json", import.meta.url), "utf8")) as { train: string[][]; test: string[][]; fitRows: number[]; cases: Case[] };

function run(c: Case) {
  const o: TfidfOptions = { ...TFIDF_DEFAULTS, word: c.word, char: c.char, sublinearTf: c.sublinearTf, smoothIdf: c.smoothIdf };
  const { corpus, terms } = buildCorpusWithTerms(fx.train, fx.test, o);
  const rows = Int32Array.from(fx.fitRows);
  const vocabs = corpus.blocks.map((b, k) => fitVocab(b, rows, k === 0 ? c.word : c.char, c.smoothIdf));
  const X = new FoldMatrix(corpus.blocks, vocabs, c.sublinearTf, corpus.nTrain + corpus.nTest);
  return { corpus, terms, vocabs, X };
}

describe("tf-idf vectoriser vs scikit-learn", () => {
  for (const c of fx.cases)
    it(`${c.name}: vocabularies, idf and every cell`, () => {
      const { corpus, terms, vocabs, X } = run(c);
      // a count past 255 ("spam" × 300) takes the overflow table's path
      expect(corpus.blocks.every((b) => b.overflowAt.length > 0)).toBe(true);
      expect(X.d).toBe(vocabs[0].size + vocabs[1].size);
      // our fold columns, in sklearn's hstack order: per block, vocabulary terms in code-point order
      const skCol = new Map<string, number>();
      let offset = 0;
      (["word", "char"] as const).forEach((kind, k) => {
        const mine = terms[k].filter((_, t) => vocabs[k].col[t] >= 0).sort(compareCodePoints);
        expect(mine).toEqual(c.blocks[kind].vocab);
        const idf = Object.fromEntries(terms[k].map((t, id) => [t, vocabs[k].idf[id]]));
        c.blocks[kind].vocab.forEach((t, j) => {
          expect(idf[t]).toBeCloseTo(c.blocks[kind].idf[j], 12);
          skCol.set(`${k}:${t}`, offset + j);
        });
        offset += c.blocks[kind].vocab.length;
      });
      // our column (block offset + fold column) → sklearn's column
      const toSk = new Int32Array(X.d).fill(-1);
      let base = 0;
      vocabs.forEach((v, k) => {
        terms[k].forEach((t, id) => {
          if (v.col[id] >= 0) toSk[base + v.col[id]] = skCol.get(`${k}:${t}`)!;
        });
        base += v.size;
      });
      const want = new Map(c.cells.map(([r, col, x]) => [`${r}:${col}`, x]));
      const idx = new Int32Array(X.maxRowNnz), val = new Float32Array(X.maxRowNnz);
      let seen = 0;
      for (let r = 0; r < fx.train.length + fx.test.length; r++) {
        const n = X.row(r, idx, val);
        for (let e = 0; e < n; e++) {
          const key = `${r}:${toSk[idx[e]]}`;
          expect(want.has(key), `row ${r} term ${key}`).toBe(true);
          expect(Math.abs(val[e] - want.get(key)!)).toBeLessThan(1e-7); // cells are float32
          seen++;
        }
      }
      expect(seen).toBe(c.cells.length);
    });

  it("the cutting case does cut (min_df and max_features both bite)", () => {
    const c = fx.cases.find((x) => x.name === "cutting")!;
    const plain = fx.cases.find((x) => x.name === "plain")!;
    expect(c.word.maxFeatures).toBe(c.blocks.word.vocab.length);
    expect(c.char.maxFeatures).toBe(c.blocks.char.vocab.length);
    expect(c.blocks.char.vocab.length).toBeLessThan(plain.blocks.char.vocab.length / 10);
    const { vocabs } = run(c);
    expect(vocabs.every((v) => v.exact)).toBe(true);
  });

  it("string analyzers: Python's \\w, whitespace and short-word rules", () => {
    expect(wordTokens("a bb café_1 x\u0308y 😀ab 𝔘𝔫 ½½ 中文")).toEqual(["bb", "café_1", "ab", "𝔘𝔫", "½½", "中文"]);
    expect(wordNgrams(["aa", "bb", "cc"], 1, 2)).toEqual(["aa", "bb", "cc", "aa bb", "bb cc"]);
    expect(charWbNgrams("a\u001cbc\ufeffd", 2, 5)).toEqual([" a", "a ", " a ", " b", "bc", "c\ufeff", "\ufeffd", "d ", " bc", "bc\ufeff", "c\ufeffd", "\ufeffd ", " bc\ufeff", "bc\ufeffd", "c\ufeffd ", " bc\ufeffd", "bc\ufeffd "]);
    expect(charWbNgrams("😀", 2, 3)).toEqual([" 😀", "😀 ", " 😀 "]);
  });
});
