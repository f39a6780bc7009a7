/**
 * `headOptions.tfidf`: defaults for what is missing, values from JSON or from the command line
 * (strings), and a message naming the key and the allowed range for every value out of it.
 */
import { describe, it, expect } from "vitest";
import { parseTfidfOptions, TFIDF_DEFAULTS } from "../../src/lexical/options.js";

const bad = (key: string, what: string): never => {
  throw new Error(`${key} ${what}`);
};
const parse = (raw: unknown) => parseTfidfOptions(raw, bad);
const K = "headOptions.tfidf";

describe("tfidf options", () => {
  it("missing keys take the defaults, as copies", () => {
    for (const raw of [undefined, null, {}]) expect(parse(raw)).toEqual(TFIDF_DEFAULTS);
    const o = parse({});
    o.lambdas.push(1);
    o.word!.ngram[0] = 5;
    expect(TFIDF_DEFAULTS.lambdas).toHaveLength(8);
    expect(TFIDF_DEFAULTS.word!.ngram).toEqual([1, 2]);
    expect(parse({ word: {} }).word).toEqual(TFIDF_DEFAULTS.word);
  });

  it("values from JSON and from the command line", () => {
    const o = parse({
      word: { ngram: "1,3", minDf: "0.25", maxDf: 5, maxFeatures: "none" },
      char: { ngram: [3, 3], minDf: 1, maxDf: 0.5, maxFeatures: 7 },
      lowercase: "false", sublinearTf: false, smoothIdf: "true",
      lambdas: "1e-3, 2e-4", innerK: "2", patience: 0, tol: 0.5, maxIter: "1", cacheMiB: 0, candidateFactor: 1,
    });
    expect(o).toEqual({
      word: { ngram: [1, 3], minDf: 0.25, maxDf: 5, maxFeatures: null },
      char: { ngram: [3, 3], minDf: 1, maxDf: 0.5, maxFeatures: 7 },
      lowercase: false, sublinearTf: false, smoothIdf: true,
      lambdas: [1e-3, 2e-4], innerK: 2, patience: 0, tol: 0.5, maxIter: 1, cacheMiB: 0, candidateFactor: 1,
    });
    expect(parse({ lowercase: true, word: { maxFeatures: null }, char: { maxFeatures: "null" } })).toMatchObject({ lowercase: true, word: { maxFeatures: null }, char: { maxFeatures: null } });
    expect(parse({ maxIter: 8, cacheMiB: 0.5, candidateFactor: 1.5, word: { maxDf: 1, minDf: 0.999 } })).toMatchObject({ maxIter: 8, cacheMiB: 0.5, candidateFactor: 1.5, word: { maxDf: 1, minDf: 0.999 } });
  });

  it("a block is switched off by null, false, \"none\" or \"false\"; not both", () => {
    for (const off of [null, false, "none", "false"]) expect(parse({ char: off }).char).toBeNull();
    expect(parse({ word: null }).char).toEqual(TFIDF_DEFAULTS.char);
    expect(() => parse({ word: null, char: "none" })).toThrow(`${K} needs at least one of word and char`);
    expect(() => parse({ word: 3 })).toThrow(`${K}.word must be an object, or null to switch the block off`);
  });

  it("every out-of-range value names its key and what it must be", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ foo: 1 }, `${K}.foo is not an option (known: word, char, lowercase, sublinearTf, smoothIdf, lambdas, innerK, patience, tol, maxIter, cacheMiB, candidateFactor)`],
      [{ word: { ngram: [2, 1] } }, `${K}.word.ngram must be [min, max] with min ≤ max`],
      [{ word: { ngram: [1, 2, 3] } }, `${K}.word.ngram must be [min, max] with min ≤ max`],
      [{ word: { ngram: [1] } }, `${K}.word.ngram must be [min, max] with min ≤ max`],
      [{ char: { ngram: [2, 9] } }, `${K}.char.ngram max must be ≤ 8`],
      [{ char: { ngram: [0, 2] } }, `${K}.char.ngram[0] must be an integer ≥ 1 (got 0)`],
      [{ char: { ngram: [1, 2.5] } }, `${K}.char.ngram[1] must be an integer ≥ 1 (got 2.5)`],
      [{ char: { ngram: [] } }, `${K}.char.ngram must be a non-empty list of numbers`],
      [{ word: { minDf: 0 } }, `${K}.word.minDf must be an integer ≥ 1 (documents) or a fraction in (0, 1) (got 0)`],
      [{ word: { minDf: 1.5 } }, `${K}.word.minDf must be an integer ≥ 1 (documents) or a fraction in (0, 1) (got 1.5)`],
      [{ word: { maxDf: 0 } }, `${K}.word.maxDf must be a fraction in (0, 1] or an integer > 1 (documents) (got 0)`],
      [{ word: { maxDf: 1.5 } }, `${K}.word.maxDf must be a fraction in (0, 1] or an integer > 1 (documents) (got 1.5)`],
      [{ word: { maxFeatures: 0 } }, `${K}.word.maxFeatures must be an integer ≥ 1 or null (got 0)`],
      [{ lowercase: "yes" }, `${K}.lowercase must be true or false (got "yes")`],
      [{ sublinearTf: 1 }, `${K}.sublinearTf must be true or false (got 1)`],
      [{ smoothIdf: null }, `${K}.smoothIdf must be true or false (got null)`],
      [{ lambdas: [] }, `${K}.lambdas must be a non-empty list of numbers`],
      [{ lambdas: 0.1 }, `${K}.lambdas must be a non-empty list of numbers`],
      [{ lambdas: [1e-3, 0] }, `${K}.lambdas[1] must be a number > 0 (got 0)`],
      [{ lambdas: "1e-3,x" }, `${K}.lambdas[1] must be a number > 0 (got "x")`],
      [{ innerK: 1 }, `${K}.innerK must be an integer ≥ 2 (got 1)`],
      [{ innerK: 2.5 }, `${K}.innerK must be an integer ≥ 2 (got 2.5)`],
      [{ patience: -1 }, `${K}.patience must be an integer ≥ 0 (got -1)`],
      [{ patience: 0.5 }, `${K}.patience must be an integer ≥ 0 (got 0.5)`],
      [{ tol: 0 }, `${K}.tol must be a number in (0, 1) (got 0)`],
      [{ tol: 1 }, `${K}.tol must be a number in (0, 1) (got 1)`],
      [{ maxIter: 0 }, `${K}.maxIter must be an integer ≥ 1 (got 0)`],
      [{ cacheMiB: -1 }, `${K}.cacheMiB must be a number ≥ 0 (got -1)`],
      [{ cacheMiB: "" }, `${K}.cacheMiB must be a number ≥ 0 (got "")`],
      [{ cacheMiB: Infinity }, `${K}.cacheMiB must be a number ≥ 0 (got null)`],
      [{ candidateFactor: 0.5 }, `${K}.candidateFactor must be a number ≥ 1 (got 0.5)`],
    ];
    for (const [raw, msg] of cases) expect(() => parse(raw), JSON.stringify(raw)).toThrow(msg);
    expect(() => parse([1])).toThrow(`${K} must be an object`);
    expect(() => parse("word")).toThrow(`${K} must be an object`);
  });
});
