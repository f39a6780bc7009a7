/**
 * One tfidf fold job (`train` in src/lexical/model.ts) on a small corpus, against the same fold
 * assembled here from its parts, each checked on its own elsewhere (the vocabulary and tf-idf
 * cells against scikit-learn in vectorizer.test.ts, the tuner in tune.test.ts): the fold's
 * vocabulary on its training rows only, the inner-CV λ, the validation rows' and the test rows'
 * predictions, and what the job reports. Small enough to run in well under a second
 * (model.test.ts holds the larger end-to-end cases).
 */
import { describe, expect, it } from "vitest";
import { buildCorpus, corpusBytes, train } from "../../src/lexical/model.js";
import { TFIDF_DEFAULTS, type TfidfOptions } from "../../src/lexical/options.js";
import { fitVocab } from "../../src/lexical/vocabulary.js";
import { FoldMatrix } from "../../src/lexical/foldMatrix.js";
import { tuneSparse } from "../../src/lexical/tune.js";
import { predictRows, toProbabilities } from "../../src/lexical/sparseLinear.js";
import { blockBytes } from "../../src/lexical/csr.js";
import type { FoldProblem } from "../../src/models/fold.js";
import type { Task } from "../../src/models/names.js";
import { mulberry32 } from "../../src/util/random.js";

const WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split(" ");

/** Two text columns per document; words lean towards the document's class. */
function docsOf(n: number, classes: number, seed: number): { docs: string[][]; label: number[] } {
  const r = mulberry32(seed);
  const docs: string[][] = [], label: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = (i * 5) % classes;
    const words = Array.from({ length: 8 }, () => (r() < 0.4 ? `c${k}x${Math.floor(r() * 2)}` : WORDS[Math.floor(r() * WORDS.length)]));
    docs.push([words.join(" "), r() < 0.5 ? "Note" : `note ${WORDS[k]}`]);
    label.push(k);
  }
  return { docs, label };
}

const OPTS: TfidfOptions = { ...TFIDF_DEFAULTS, lambdas: [1e-1, 1e-2, 1e-3], innerK: 3, word: { ngram: [1, 2], minDf: 2, maxDf: 1, maxFeatures: null }, char: { ngram: [2, 3], minDf: 2, maxDf: 0.9, maxFeatures: 300 } };

/** Fold 1 of 3 (rows i % 3 === 1 held out), train rows in a scrambled order. */
function problem(task: Task, y: Float64Array, c: number, strata: Int32Array, n: number): FoldProblem<"tfidf"> {
  const all = [...Array(n).keys()];
  return {
    head: "tfidf", fold: 1, task, c, y, strata,
    trainIdx: Int32Array.from(all.filter((i) => i % 3 !== 1).sort((a, b) => ((a * 7) % 11) - ((b * 7) % 11) || a - b)),
    validIdx: Int32Array.from(all.filter((i) => i % 3 === 1)),
    seed: 11,
  };
}

/** The fold built from its parts: vocabularies on the training rows, rows decoded on the fly, λ tuned on the training rows. */
async function byParts(docs: string[][], test: string[][], t: FoldProblem<"tfidf">, o: TfidfOptions) {
  const corpus = buildCorpus(docs, test, o);
  const blockOpts = [o.word, o.char].filter((b) => b !== null);
  const vocabs = corpus.blocks.map((b, k) => fitVocab(b, t.trainIdx, blockOpts[k]!, o.smoothIdf));
  const X = new FoldMatrix(corpus.blocks, vocabs, o.sublinearTf, docs.length + test.length);
  const w = t.task === "regression" ? t.c : 1;
  const y = Float64Array.from(Array.from(t.trainIdx).flatMap((i) => Array.from(t.y.subarray(i * w, i * w + w))));
  const tuned = tuneSparse(t.task, X, t.trainIdx, y, t.c, Int32Array.from(t.trainIdx, (i) => t.strata[i]), t.seed, o);
  const out = (rows: ArrayLike<number>) => (t.task === "regression" ? predictRows(X, rows, tuned.model) : toProbabilities(predictRows(X, rows, tuned.model), t.c));
  return { vocabs, tuned, oof: out(t.validIdx), test: out(Int32Array.from(test, (_, i) => docs.length + i)) };
}

describe("a tfidf fold job equals the fold assembled from its parts", () => {
  it("binary, both blocks: probabilities of the held-out and the test rows, λ, vocabulary sizes, the path", async () => {
    const { docs, label } = docsOf(45, 2, 1);
    const test = docsOf(7, 2, 2).docs;
    const t = problem("binary", Float64Array.from(label), 1, Int32Array.from(label), docs.length);
    const want = await byParts(docs, test, t, OPTS);
    const got = await train(buildCorpus(docs, test, OPTS), t, OPTS);
    expect(got.head).toBe("tfidf");
    expect(got.fold).toBe(1);
    expect(Array.from(got.oof)).toEqual(Array.from(want.oof));
    expect(Array.from(got.test)).toEqual(Array.from(want.test));
    expect(got.oof.length).toBe(15);
    expect(got.test.length).toBe(7);
    expect(got.info.lambda).toEqual(want.tuned.lambda);
    expect(got.info.vocabulary).toEqual({ word: want.vocabs[0].size, char: want.vocabs[1].size });
    expect(want.vocabs[0].size).toBeGreaterThan(10);
    expect(got.info.vocabularyExact).toBe(want.vocabs.every((v) => v.exact));
    // the defaults' cache budget holds these rows
    expect(got.info.rowsCached).toBe(true);
    expect(got.info.innerLoss).toEqual(want.tuned.path.map((p) => [p.lambda, ...p.loss]));
    expect(got.info.passes).toBe(want.tuned.passes);
    expect(got.info.refitPasses).toBe(want.tuned.refitPasses);
    expect(got.info.notConverged).toBe(want.tuned.notConverged);
    expect(got.seconds).toBeGreaterThanOrEqual(0);
  });

  it("3 classes, the char block alone, no row cache: k probabilities per row", async () => {
    const o: TfidfOptions = { ...OPTS, word: null, cacheMiB: 0 };
    const { docs, label } = docsOf(42, 3, 3);
    const test = docsOf(4, 3, 4).docs;
    const t = problem("multiclass", Float64Array.from(label), 3, Int32Array.from(label), docs.length);
    const want = await byParts(docs, test, t, o);
    const got = await train(buildCorpus(docs, test, o), t, o);
    expect(Array.from(got.oof)).toEqual(Array.from(want.oof));
    expect(Array.from(got.test)).toEqual(Array.from(want.test));
    expect(got.oof.length).toBe(14 * 3);
    expect(got.info.vocabulary).toEqual({ char: want.vocabs[0].size });
    expect(got.info.rowsCached).toBe(false);
  });

  it("two regression targets: values, not probabilities; a λ per target", async () => {
    const { docs } = docsOf(36, 4, 5);
    const count = (d: string[], w: string) => d.join(" ").split(/\s+/).filter((x) => x.startsWith(w)).length;
    const y = Float64Array.from(docs.flatMap((d) => [10 + 3 * count(d, "c1") - count(d, "alpha"), count(d, "c2") / 8]));
    const t = problem("regression", y, 2, Int32Array.from(docs, (_, i) => i % 4), docs.length);
    const test = docsOf(5, 4, 6).docs;
    const want = await byParts(docs, test, t, OPTS);
    const got = await train(buildCorpus(docs, test, OPTS), t, OPTS);
    expect(Array.from(got.oof)).toEqual(Array.from(want.oof));
    expect(Array.from(got.test)).toEqual(Array.from(want.test));
    expect(got.oof.length).toBe(12 * 2);
    expect((got.info.lambda as number[]).length).toBe(2);
    // values above 1: not squashed into probabilities
    expect(Math.max(...got.oof)).toBeGreaterThan(5);
  });

  it("a corpus counted with other vectoriser options is refused; its size is the sum of its blocks", async () => {
    const { docs, label } = docsOf(30, 2, 7);
    const corpus = buildCorpus(docs, [], OPTS);
    const t = problem("binary", Float64Array.from(label), 1, Int32Array.from(label), docs.length);
    for (const other of [{ ...OPTS, lowercase: false }, { ...OPTS, word: null }, { ...OPTS, candidateFactor: OPTS.candidateFactor + 1 }, { ...OPTS, char: { ...OPTS.char!, ngram: [2, 4] as [number, number] } }])
      await expect(train(corpus, t, other)).rejects.toThrow("tfidf: the corpus was counted with other vectoriser options");
    // options the counting does not depend on are accepted
    await expect(train(corpus, t, { ...OPTS, lambdas: [1e-2], sublinearTf: !OPTS.sublinearTf })).resolves.toBeDefined();
    expect(corpusBytes(corpus)).toBe(blockBytes(corpus.blocks[0]) + blockBytes(corpus.blocks[1]));
    expect(corpus.blocks.map((b) => b.kind)).toEqual(["word", "char"]);
    expect([corpus.nTrain, corpus.nTest]).toEqual([30, 0]);
  });
});
