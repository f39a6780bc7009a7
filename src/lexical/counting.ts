/**
 * Builds one block of the corpus in two passes over the texts, so that no per-document list of
 * provisional ids is ever held: pass 1 counts each term's training document frequency and term
 * frequency (test rows never influence which terms exist); the terms that can enter some fold's
 * vocabulary are kept and numbered by decreasing frequency; pass 2 re-analyses every document
 * (train, then test) and writes its counts of kept terms.
 */
import type { BlockOptions } from "./options.js";
import { IntVec } from "./growable.js";
import { CharWbAnalyzer, WordAnalyzer, type Analyzer } from "./tokenize.js";
import { BlockWriter, type EncodedBlock } from "./csr.js";
import { compareCodePoints } from "./unicode.js";

export interface BuiltBlock {
  block: EncodedBlock;
  /** the kept terms by id (dropped by buildCorpus; fixtures and info use them) */
  terms: string[];
}

type Docs = readonly (readonly string[])[];

/** Appends the term ids of every text column of a document (n-grams never cross columns). */
function analyzeDoc(an: Analyzer, cols: readonly string[], lowercase: boolean, insert: boolean, out: IntVec): void {
  out.length = 0;
  for (const c of cols) an.analyze(lowercase ? c.toLowerCase() : c, insert, out);
}

/** Pass 1: training document and term frequencies of every term seen. */
function countTraining(an: Analyzer, train: Docs, lowercase: boolean): { df: Int32Array; tf: Float64Array } {
  let df = new Int32Array(1 << 16), tf = new Float64Array(1 << 16), last = new Int32Array(1 << 16).fill(-1);
  const out = new IntVec(1 << 14);
  for (let doc = 0; doc < train.length; doc++) {
    analyzeDoc(an, train[doc], lowercase, true, out);
    if (an.table.size > df.length) {
      const cap = Math.max(an.table.size, df.length * 2);
      df = grow(df, new Int32Array(cap));
      tf = grow(tf, new Float64Array(cap));
      last = grow(last, new Int32Array(cap).fill(-1));
    }
    const ids = out.data;
    for (let e = 0; e < out.length; e++) {
      const t = ids[e];
      tf[t]++;
      if (last[t] !== doc) {
        last[t] = doc;
        df[t]++;
      }
    }
  }
  return { df: df.subarray(0, an.table.size), tf: tf.subarray(0, an.table.size) };
}

function grow<T extends Int32Array | Float64Array>(a: T, b: T): T {
  b.set(a as never);
  return b;
}

/**
 * The terms kept: training df ≥ minDf (when a document count: no fold can count more documents
 * than the whole training set), and with maxFeatures the top candidateFactor · maxFeatures by
 * training frequency (each fold checks that no left-out term could have entered its vocabulary).
 */
function candidates(df: Int32Array, tf: Float64Array, o: BlockOptions, factor: number): { kept: Int32Array; capped: number; maxCappedTf: number } {
  const minCount = o.minDf >= 1 ? o.minDf : 1;
  const eligible: number[] = [];
  for (let t = 0; t < df.length; t++) if (df[t] >= minCount) eligible.push(t);
  const limit = o.maxFeatures === null ? Infinity : Math.ceil(factor * o.maxFeatures);
  if (eligible.length <= limit) return { kept: Int32Array.from(eligible), capped: 0, maxCappedTf: 0 };
  const byTf = Int32Array.from(eligible).sort((a, b) => tf[b] - tf[a] || a - b);
  return { kept: byTf.slice(0, limit), capped: byTf.length - limit, maxCappedTf: tf[byTf[limit]] };
}

/** Builds one block: analysis, counting, term numbering and the encoded documents. */
export function buildBlock(kind: "word" | "char", train: Docs, test: Docs, o: BlockOptions, lowercase: boolean, factor: number): BuiltBlock {
  const an: Analyzer = kind === "word" ? new WordAnalyzer(o.ngram[0], o.ngram[1]) : new CharWbAnalyzer(o.ngram[0], o.ngram[1]);
  const { df, tf } = countTraining(an, train, lowercase);
  const { kept, capped, maxCappedTf } = candidates(df, tf, o, factor);
  const termOf = an.termOf();
  const keptTerms = Array.from(kept, (t) => termOf(t));
  // code-point order of the kept terms: sklearn's column order, and its tie-break here
  const byCp = Array.from(kept.keys()).sort((a, b) => compareCodePoints(keptTerms[a], keptTerms[b]));
  const cpRank = new Int32Array(kept.length);
  byCp.forEach((k, r) => (cpRank[k] = r));
  // ids by decreasing training frequency: small varint gaps, hot weights first in memory
  const order = Array.from(kept.keys()).sort((a, b) => tf[kept[b]] - tf[kept[a]] || cpRank[a] - cpRank[b]);
  const finalId = new Int32Array(df.length).fill(-1);
  const rank = new Int32Array(kept.length);
  const terms = new Array<string>(kept.length);
  order.forEach((k, id) => {
    finalId[kept[k]] = id;
    rank[id] = cpRank[k];
    terms[id] = keptTerms[k];
  });
  return { block: encode(an, [train, test], finalId, kept.length, lowercase).finish(kind, kept.length, rank, capped, maxCappedTf), terms };
}

/** Pass 2: every document's counts of kept terms, ids increasing. */
function encode(an: Analyzer, parts: Docs[], finalId: Int32Array, nTerms: number, lowercase: boolean): BlockWriter {
  const w = new BlockWriter();
  const out = new IntVec(1 << 14);
  const cnt = new Int32Array(nTerms);
  let touched = new Int32Array(1 << 12), vals = new Int32Array(1 << 12);
  for (const docs of parts)
    for (const cols of docs) {
      analyzeDoc(an, cols, lowercase, false, out);
      let m = 0;
      for (let e = 0; e < out.length; e++) {
        const f = finalId[out.data[e]];
        if (f < 0) continue;
        if (cnt[f]++ === 0) {
          if (m === touched.length) touched = grow(touched, new Int32Array(m * 2));
          touched[m++] = f;
        }
      }
      const ids = touched.subarray(0, m).sort();
      if (vals.length < m) vals = new Int32Array(touched.length);
      for (let e = 0; e < m; e++) {
        vals[e] = cnt[ids[e]];
        cnt[ids[e]] = 0;
      }
      w.add(ids, vals, m);
    }
  return w;
}
