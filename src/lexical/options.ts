/** Options of the `tfidf` model (`headOptions.tfidf` in the config), their defaults and validation. */

/** One vectoriser block, with scikit-learn's TfidfVectorizer meaning of each field. */
export interface BlockOptions {
  /** n-gram range, inclusive */
  ngram: [number, number];
  /** ≥ 1: a document count; in (0, 1): a fraction of the fold's training documents (sklearn min_df) */
  minDf: number;
  /** ≤ 1: a fraction of the fold's training documents; > 1: a document count (sklearn max_df) */
  maxDf: number;
  /** keep the terms of largest training frequency (sklearn max_features); null = no cap */
  maxFeatures: number | null;
}

export interface TfidfOptions {
  /** analyzer "word", token_pattern `(?u)\b\w\w+\b`; null = block off */
  word: BlockOptions | null;
  /** analyzer "char_wb"; null = block off */
  char: BlockOptions | null;
  lowercase: boolean;
  sublinearTf: boolean;
  smoothIdf: boolean;
  /** L2 grid for mean loss + λ/2·‖W‖² (sklearn: C = 1/(n·λ), Ridge alpha = n·λ), any order */
  lambdas: number[];
  /** inner CV folds on the fold's training rows */
  innerK: number;
  /** the L2 path (strong → weak) stops after the inner-CV loss rose this many grid steps in a row; 0 = whole grid */
  patience: number;
  /** logistic / softmax stop when ‖∇‖∞ ≤ tol·λ (sklearn's tol: its objective is ours / λ); ridge when ‖residual‖ ≤ tol·‖Xᵀy‖ */
  tol: number;
  maxIter: number;
  /** a fold's training rows are decoded once into float32 cells when they fit in this many MiB (0 = never) */
  cacheMiB: number;
  /** with maxFeatures, the corpus stores the top candidateFactor · maxFeatures terms by training frequency (folds verify exactness) */
  candidateFactor: number;
}

export const TFIDF_DEFAULTS: TfidfOptions = {
  word: { ngram: [1, 2], minDf: 2, maxDf: 1, maxFeatures: 200_000 },
  char: { ngram: [2, 5], minDf: 2, maxDf: 1, maxFeatures: 200_000 },
  lowercase: true,
  sublinearTf: true,
  smoothIdf: true,
  lambdas: [3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6],
  innerK: 3,
  patience: 2,
  tol: 0.1,
  maxIter: 300,
  cacheMiB: 256,
  candidateFactor: 2,
};

type Bad = (key: string, what: string) => never;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A number from the config or the CLI (where it arrives as a string). */
function num(v: unknown, key: string, bad: Bad, ok: (n: number) => boolean, what: string): number {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  return typeof n === "number" && Number.isFinite(n) && ok(n) ? n : bad(key, `must be ${what} (got ${JSON.stringify(v)})`);
}

function bool(v: unknown, key: string, bad: Bad): boolean {
  if (v === true || v === "true") return true;
  if (v === false || v === "false") return false;
  return bad(key, `must be true or false (got ${JSON.stringify(v)})`);
}

/** A list of numbers: a JSON array or "a,b,c" from the CLI. */
function numList(v: unknown, key: string, bad: Bad): unknown[] {
  const arr = typeof v === "string" ? v.split(",") : v;
  return Array.isArray(arr) && arr.length > 0 ? arr : bad(key, "must be a non-empty list of numbers");
}

const posInt = (n: number): boolean => Number.isInteger(n) && n >= 1;

function parseBlock(raw: unknown, def: BlockOptions, key: string, bad: Bad): BlockOptions | null {
  if (raw === null || raw === false || raw === "none" || raw === "false") return null;
  if (raw === undefined) return { ...def, ngram: [...def.ngram] };
  if (!isObj(raw)) return bad(key, "must be an object, or null to switch the block off");
  const ng = raw.ngram === undefined ? def.ngram : numList(raw.ngram, `${key}.ngram`, bad).map((x, i) => num(x, `${key}.ngram[${i}]`, bad, posInt, "an integer ≥ 1"));
  if (ng.length !== 2 || ng[0] > ng[1]) bad(`${key}.ngram`, "must be [min, max] with min ≤ max");
  if (ng[1] > 8) bad(`${key}.ngram`, "max must be ≤ 8");
  const minDf = raw.minDf === undefined ? def.minDf : num(raw.minDf, `${key}.minDf`, bad, (n) => (n > 0 && n < 1) || posInt(n), "an integer ≥ 1 (documents) or a fraction in (0, 1)");
  const maxDf = raw.maxDf === undefined ? def.maxDf : num(raw.maxDf, `${key}.maxDf`, bad, (n) => (n > 0 && n <= 1) || posInt(n), "a fraction in (0, 1] or an integer > 1 (documents)");
  const mf = raw.maxFeatures;
  const maxFeatures = mf === undefined ? def.maxFeatures : mf === null || mf === "null" || mf === "none" ? null : num(mf, `${key}.maxFeatures`, bad, posInt, "an integer ≥ 1 or null");
  return { ngram: [ng[0], ng[1]], minDf, maxDf, maxFeatures };
}

/** Validates `headOptions.tfidf`; missing keys take TFIDF_DEFAULTS. */
export function parseTfidfOptions(raw: unknown, bad: Bad): TfidfOptions {
  const K = "headOptions.tfidf";
  if (raw === undefined || raw === null) raw = {};
  if (!isObj(raw)) return bad(K, "must be an object");
  const known = new Set(Object.keys(TFIDF_DEFAULTS));
  for (const k of Object.keys(raw)) if (!known.has(k)) bad(`${K}.${k}`, `is not an option (known: ${[...known].join(", ")})`);
  const d = TFIDF_DEFAULTS;
  const o: TfidfOptions = {
    word: parseBlock(raw.word, d.word!, `${K}.word`, bad),
    char: parseBlock(raw.char, d.char!, `${K}.char`, bad),
    lowercase: raw.lowercase === undefined ? d.lowercase : bool(raw.lowercase, `${K}.lowercase`, bad),
    sublinearTf: raw.sublinearTf === undefined ? d.sublinearTf : bool(raw.sublinearTf, `${K}.sublinearTf`, bad),
    smoothIdf: raw.smoothIdf === undefined ? d.smoothIdf : bool(raw.smoothIdf, `${K}.smoothIdf`, bad),
    lambdas: raw.lambdas === undefined ? [...d.lambdas] : numList(raw.lambdas, `${K}.lambdas`, bad).map((x, i) => num(x, `${K}.lambdas[${i}]`, bad, (n) => n > 0, "a number > 0")),
    innerK: raw.innerK === undefined ? d.innerK : num(raw.innerK, `${K}.innerK`, bad, (n) => posInt(n) && n >= 2, "an integer ≥ 2"),
    patience: raw.patience === undefined ? d.patience : num(raw.patience, `${K}.patience`, bad, (n) => Number.isInteger(n) && n >= 0, "an integer ≥ 0"),
    tol: raw.tol === undefined ? d.tol : num(raw.tol, `${K}.tol`, bad, (n) => n > 0 && n < 1, "a number in (0, 1)"),
    maxIter: raw.maxIter === undefined ? d.maxIter : num(raw.maxIter, `${K}.maxIter`, bad, posInt, "an integer ≥ 1"),
    cacheMiB: raw.cacheMiB === undefined ? d.cacheMiB : num(raw.cacheMiB, `${K}.cacheMiB`, bad, (n) => n >= 0, "a number ≥ 0"),
    candidateFactor: raw.candidateFactor === undefined ? d.candidateFactor : num(raw.candidateFactor, `${K}.candidateFactor`, bad, (n) => n >= 1, "a number ≥ 1"),
  };
  if (!o.word && !o.char) bad(K, "needs at least one of word and char");
  return o;
}
