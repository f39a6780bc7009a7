/**
 * The tfidf model end to end on small synthetic corpora: determinism, a two-target regression,
 * a 43-class problem, and a corpus that crosses to another thread by structured clone.
 */
import { describe, expect, it } from "vitest";
import { buildCorpus, train } from "../../src/lexical/model.js";
import { TFIDF_DEFAULTS, parseTfidfOptions, type TfidfOptions } from "../../src/lexical/options.js";
import type { FoldTask } from "../../src/heads/types.js";
import type { Task } from "../../src/config.js";
import { mulberry32 } from "../../src/util/random.js";
import { stratifiedFolds } from "../../src/folds/kfold.js";
import { rowsWhere } from "../../src/util/rows.js";
import { logloss } from "../../src/validation/metrics.js";

const VOCAB = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega".split(" ");

/** Documents whose words lean towards their class's part of the vocabulary. */
function corpusOf(n: number, classes: number, seed: number): { docs: string[][]; label: number[] } {
  const r = mulberry32(seed);
  const docs: string[][] = [], label: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % classes;
    const words = Array.from({ length: 12 }, () => (r() < 0.35 ? `cls${k}w${Math.floor(r() * 3)}` : VOCAB[Math.floor(r() * VOCAB.length)]));
    docs.push([words.join(" "), r() < 0.5 ? "Title!" : `title ${VOCAB[k % VOCAB.length]}`]);
    label.push(k);
  }
  return { docs, label };
}

function task(kind: Task, y: Float64Array, c: number, strata: Int32Array, fold: number): FoldTask {
  const folds = stratifiedFolds(strata, 4, 7);
  return {
    head: "mean", fold, task: kind, c, y, strata,
    trainIdx: rowsWhere(folds, (x) => x !== fold), validIdx: rowsWhere(folds, (x) => x === fold),
    seed: 1000 + fold, options: {} as FoldTask["options"], // the tfidf model reads no head options
  };
}

const small: TfidfOptions = { ...TFIDF_DEFAULTS, lambdas: [1e-2, 1e-3, 1e-4] };

describe("tfidf model", () => {
  it("is deterministic: two runs give byte-identical predictions", async () => {
    const { docs, label } = corpusOf(240, 2, 1);
    const y = Float64Array.from(label);
    const t = task("binary", y, 1, Int32Array.from(label), 0);
    const runs = [];
    for (let k = 0; k < 2; k++) runs.push(await train(buildCorpus(docs, docs.slice(0, 30), small), t, small));
    const bytes = (a: Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    expect(bytes(runs[0].oof).equals(bytes(runs[1].oof))).toBe(true);
    expect(bytes(runs[0].test).equals(bytes(runs[1].test))).toBe(true);
    expect(runs[0].oof.length).toBe(t.validIdx.length);
    expect(runs[0].test.length).toBe(30);
    expect(runs[0].info.vocabularyExact).toBe(true);
  });

  it("regression: two targets, a λ each, both better than the mean", async () => {
    const { docs } = corpusOf(320, 4, 2);
    const count = (d: string[], w: string): number => d.join(" ").split(/\s+/).filter((x) => x.startsWith(w)).length;
    const y = new Float64Array(docs.length * 2);
    docs.forEach((d, i) => {
      y[2 * i] = 1900 + 10 * count(d, "cls1") - 5 * count(d, "alpha");
      y[2 * i + 1] = count(d, "cls2") / 12;
    });
    const strata = Int32Array.from(docs, (_, i) => i % 5);
    const t = task("regression", y, 2, strata, 1);
    const r = await train(buildCorpus(docs, [], small), t, small);
    expect((r.info.lambda as number[]).length).toBe(2);
    expect(r.oof.length).toBe(t.validIdx.length * 2);
    for (let k = 0; k < 2; k++) {
      let mean = 0, se = 0, sm = 0;
      t.trainIdx.forEach((i) => (mean += y[2 * i + k] / t.trainIdx.length));
      t.validIdx.forEach((i, p) => {
        se += (r.oof[2 * p + k] - y[2 * i + k]) ** 2;
        sm += (mean - y[2 * i + k]) ** 2;
      });
      expect(se).toBeLessThan(0.7 * sm);
    }
  });

  it("43 classes: probabilities summing to 1, log loss under 0.6 × the uniform prior's", async () => {
    const { docs, label } = corpusOf(43 * 12, 43, 3);
    const t = task("multiclass", Float64Array.from(label), 43, Int32Array.from(label), 2);
    const r = await train(buildCorpus(docs, docs.slice(0, 5), small), t, small);
    expect(r.oof.length).toBe(t.validIdx.length * 43);
    for (let i = 0; i < t.validIdx.length; i++) expect(r.oof.subarray(i * 43, i * 43 + 43).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const yv = Array.from(t.validIdx, (i) => label[i]);
    expect(logloss(yv, r.oof, 43)).toBeLessThan(0.6 * Math.log(43));
  });

  it("a structured clone shares the corpus's big arrays and trains the same", async () => {
    const { docs, label } = corpusOf(160, 2, 4);
    const corpus = buildCorpus(docs, [], small);
    const clone = structuredClone(corpus);
    for (const b of clone.blocks) for (const a of [b.gaps, b.counts, b.bytePtr, b.entryPtr, b.rank]) expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    corpus.blocks[0].counts[0]++; // same memory: the clone sees the write
    expect(clone.blocks[0].counts[0]).toBe(corpus.blocks[0].counts[0]);
    corpus.blocks[0].counts[0]--;
    const t = task("binary", Float64Array.from(label), 1, Int32Array.from(label), 3);
    const [a, b] = [await train(corpus, t, small), await train(clone, t, small)];
    expect(Array.from(b.oof)).toEqual(Array.from(a.oof));
  });

  it("options: defaults, CLI strings, errors name the key", () => {
    const bad = (key: string, what: string): never => {
      throw new Error(`${key} ${what}`);
    };
    expect(parseTfidfOptions(undefined, bad)).toEqual(TFIDF_DEFAULTS);
    const o = parseTfidfOptions({ char: { maxFeatures: "5000", ngram: "3,4" }, word: null, lambdas: "1e-4,1e-5", innerK: "4" }, bad);
    expect(o.char).toEqual({ ngram: [3, 4], minDf: 2, maxDf: 1, maxFeatures: 5000 });
    expect(o.word).toBeNull();
    expect(o.lambdas).toEqual([1e-4, 1e-5]);
    expect(o.innerK).toBe(4);
    expect(() => parseTfidfOptions({ char: { minDf: 0 } }, bad)).toThrow("headOptions.tfidf.char.minDf");
    expect(() => parseTfidfOptions({ word: null, char: null }, bad)).toThrow("headOptions.tfidf");
    expect(() => parseTfidfOptions({ typo: 1 }, bad)).toThrow("headOptions.tfidf.typo");
  });
});
