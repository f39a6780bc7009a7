/**
 * The `tfidf` model beside the pooling heads: word and character n-gram TF-IDF (scikit-learn's
 * TfidfVectorizer semantics, fitted on each fold's training rows) → a linear model tuned by inner
 * CV. The corpus is counted once for all folds; a fold derives its vocabulary, idf and row norms
 * from the stored counts and reads tf-idf cells on the fly.
 */
import type { FoldAnswer, FoldProblem } from "../models/fold.js";
import { takeRows } from "../util/rows.js";
import { corpusFingerprint, type LexicalCorpus } from "./corpus.js";
import { FoldMatrix, cacheRows } from "./foldMatrix.js";
import type { TfidfOptions } from "./options.js";
import { predictRows, toProbabilities } from "./sparseLinear.js";
import { tuneSparse } from "./tune.js";
import { fitVocab } from "./vocabulary.js";

export { buildCorpus, corpusBytes, type LexicalCorpus } from "./corpus.js";

/** One fold: vectoriser statistics and a tuned linear model on t.trainIdx; predicts t.validIdx and every test row. */
export async function train<Name extends string>(corpus: LexicalCorpus, t: FoldProblem<Name>, opts: TfidfOptions): Promise<FoldAnswer<Name>> {
  const t0 = performance.now();
  if (corpusFingerprint(opts) !== corpus.fingerprint) throw new Error("tfidf: the corpus was counted with other vectoriser options");
  const blockOpts = [opts.word, opts.char].filter((b) => b !== null);
  const vocabs = corpus.blocks.map((b, k) => fitVocab(b, t.trainIdx, blockOpts[k], opts.smoothIdf));
  const nDocs = corpus.nTrain + corpus.nTest;
  const onTheFly = new FoldMatrix(corpus.blocks, vocabs, opts.sublinearTf, nDocs);
  const X = cacheRows(onTheFly, t.trainIdx, nDocs, opts.cacheMiB * 2 ** 20);
  const w = t.task === "regression" ? t.c : 1;
  const y = takeRows(t.y, t.trainIdx, w);
  const strata = Int32Array.from(t.trainIdx, (i) => t.strata[i]);
  const tuned = tuneSparse(t.task, X, t.trainIdx, y, t.c, strata, t.seed, opts);
  const predict = (rows: ArrayLike<number>): Float64Array => {
    const z = predictRows(X, rows, tuned.model);
    return t.task === "regression" ? z : toProbabilities(z, t.c);
  };
  const testRows = Int32Array.from({ length: corpus.nTest }, (_, i) => corpus.nTrain + i);
  return {
    head: t.head,
    fold: t.fold,
    oof: predict(t.validIdx),
    test: predict(testRows),
    seconds: (performance.now() - t0) / 1000,
    info: {
      lambda: tuned.lambda,
      vocabulary: Object.fromEntries(corpus.blocks.map((b, k) => [b.kind, vocabs[k].size])),
      vocabularyExact: vocabs.every((v) => v.exact),
      rowsCached: X !== onTheFly,
      innerLoss: tuned.path.map((p) => [p.lambda, ...p.loss]),
      passes: tuned.passes,
      refitPasses: tuned.refitPasses,
      notConverged: tuned.notConverged,
    },
  };
}
