/** The `tfidf` fold job: the n-gram counts shared by the run (src/lexical/family.ts) → src/lexical/model.ts. */
import type { FoldAnswer, FoldTask } from "../models/fold.js";
import type { LexicalCorpus } from "./corpus.js";
import type { LexicalOptions } from "./family.js";
import { train as trainLexical } from "./model.js";

/** Reads only the shared n-gram counts of what a fold job is handed (src/heads/types.ts FeatureSources). */
export function train(sources: { shared?: LexicalCorpus }, t: FoldTask<LexicalOptions>): Promise<FoldAnswer<string>> {
  if (!sources.shared) throw new Error("tfidf: no n-gram counts were handed to the job");
  return trainLexical(sources.shared, t, t.options.tfidf);
}
