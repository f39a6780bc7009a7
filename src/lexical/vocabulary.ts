/**
 * One fold's vectoriser statistics, from the stored counts of its training rows only: document
 * and term frequencies, sklearn's min_df / max_df / max_features selection, idf. Nothing of the
 * OOF rows or of the test rows enters.
 */
import type { BlockOptions } from "./options.js";
import { decodeRow, type EncodedBlock } from "./csr.js";

export interface FoldVocab {
  /** term id → fold column (in term-id order), -1 when the term is not in the fold's vocabulary */
  col: Int32Array;
  /** term id → idf, 0 when not in the vocabulary */
  idf: Float64Array;
  size: number;
  /** false when the corpus-wide frequency cap may have left out a term this fold would keep */
  exact: boolean;
}

/** Document and term frequencies over `rows`. */
export function foldFrequencies(b: EncodedBlock, rows: ArrayLike<number>): { df: Int32Array; tf: Float64Array } {
  const df = new Int32Array(b.nTerms), tf = new Float64Array(b.nTerms);
  const ids = new Int32Array(b.maxRowNnz), cnt = new Int32Array(b.maxRowNnz);
  for (let r = 0; r < rows.length; r++) {
    const n = decodeRow(b, rows[r], ids, cnt);
    for (let e = 0; e < n; e++) {
      df[ids[e]]++;
      tf[ids[e]] += cnt[e];
    }
  }
  return { df, tf };
}

/** sklearn's `_limit_features`, ties at the max_features cut broken by code-point order (a stable sort's choice). */
export function selectTerms(b: EncodedBlock, df: Int32Array, tf: Float64Array, nDocs: number, o: BlockOptions): { keep: Uint8Array; threshold: number } {
  const minDoc = o.minDf >= 1 ? o.minDf : o.minDf * nDocs;
  const maxDoc = o.maxDf <= 1 ? o.maxDf * nDocs : o.maxDf;
  if (maxDoc < minDoc) throw new Error(`tfidf: maxDf is ${maxDoc} documents, fewer than minDf's ${minDoc}`);
  const keep = new Uint8Array(b.nTerms);
  let kept = 0;
  for (let t = 0; t < b.nTerms; t++) if (df[t] > 0 && df[t] >= minDoc && df[t] <= maxDoc) (keep[t] = 1), kept++;
  if (o.maxFeatures === null || kept <= o.maxFeatures) return { keep, threshold: 0 };
  const tfs = new Float64Array(kept);
  let k = 0;
  for (let t = 0; t < b.nTerms; t++) if (keep[t]) tfs[k++] = tf[t];
  tfs.sort();
  const T = tfs[kept - o.maxFeatures];
  // every term above T stays; of those at T, the first in code-point order fill the rest
  let above = 0;
  const atT: number[] = [];
  for (let t = 0; t < b.nTerms; t++) if (keep[t]) (tf[t] > T ? above++ : tf[t] === T ? atT.push(t) : (keep[t] = 0));
  atT.sort((x, y) => b.rank[x] - b.rank[y]);
  for (let i = o.maxFeatures - above; i < atT.length; i++) keep[atT[i]] = 0;
  return { keep, threshold: T };
}

/** The fold's vocabulary and idf (sklearn: smooth → ln((1+n)/(1+df)) + 1, else ln(n/df) + 1). */
export function fitVocab(b: EncodedBlock, rows: ArrayLike<number>, o: BlockOptions, smoothIdf: boolean): FoldVocab {
  const n = rows.length;
  const { df, tf } = foldFrequencies(b, rows);
  const { keep, threshold } = selectTerms(b, df, tf, n, o);
  const col = new Int32Array(b.nTerms).fill(-1);
  const idf = new Float64Array(b.nTerms);
  let size = 0;
  for (let t = 0; t < b.nTerms; t++) {
    if (!keep[t]) continue;
    col[t] = size++;
    idf[t] = smoothIdf ? Math.log((1 + n) / (1 + df[t])) + 1 : Math.log(n / df[t]) + 1;
  }
  // a term the corpus left out has at most maxCappedTf here: it could only matter if the fold's
  // vocabulary was not cut (it might have been eligible) or the cut fell at or below that frequency
  const cut = o.maxFeatures !== null && threshold > 0;
  const exact = b.capped === 0 || (cut && b.maxCappedTf < threshold);
  return { col, idf, size, exact };
}
