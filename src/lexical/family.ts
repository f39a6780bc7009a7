/**
 * The `tfidf` model as a model family (src/models/family.ts): it reads the texts, not the
 * feature export — their n-grams are counted once per run and shared by its fold jobs.
 */
import { isObj } from "../models/checks.js";
import type { ModelFamily } from "../models/family.js";
import { info } from "../util/progress.js";
import { parseTfidfOptions, type TfidfOptions } from "./options.js";

/** What a tfidf fold job receives. */
export interface LexicalOptions {
  tfidf: TfidfOptions;
}

export const lexicalFamily: ModelFamily<LexicalOptions> = {
  names: ["tfidf"],
  label: "tfidf",
  parseOptions: (config, k) => ({ tfidf: parseTfidfOptions(isObj(config.headOptions) ? config.headOptions.tfidf : undefined, k.bad) }),
  cacheOptions: (_name, o) => ({ tfidf: o.tfidf }),
  trainer: () => new URL("./trainer.ts", import.meta.url),
  priorSeconds(_name, s) {
    const c = Math.max(1, s.classes);
    // ≈ 30 passes per λ over ~2,500 stored n-grams per 200 tokens, 3 inner folds × 6 λ, one multiply-add per class;
    // softmax needs more passes as classes grow (43 classes: 270–400 s measured per fold job on 6,000 sentences)
    return ((30 * 18 * 0.67 * s.tokens * 12.5 * c) / 0.5e9) * (c > 1 ? 2 * Math.max(1, c / 24) : 1) + 1;
  },
  /** the n-gram counts of every train and test text (loaded only by the runs that list tfidf) */
  async shared(texts, o) {
    const { buildCorpus, corpusBytes } = await import("./corpus.js");
    const t0 = performance.now();
    const corpus = buildCorpus(texts.train, texts.test, o.tfidf);
    info(`tfidf: n-grams of ${texts.train.length + texts.test.length} texts counted in ${((performance.now() - t0) / 1000).toFixed(1)} s (${(corpusBytes(corpus) / 2 ** 20).toFixed(0)} MiB, shared by the fold jobs)`);
    return corpus;
  },
};
