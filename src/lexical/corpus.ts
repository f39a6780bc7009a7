/** The counted corpus: every document (train rows, then test rows) analysed once for all folds. */
import type { TfidfOptions } from "./options.js";
import { blockBytes, type EncodedBlock } from "./csr.js";
import { buildBlock } from "./counting.js";

/**
 * Plain object of SharedArrayBuffer-backed typed arrays and small metadata: a structured clone
 * (postMessage to a worker thread) shares the big arrays instead of copying them.
 */
export interface LexicalCorpus {
  nTrain: number;
  nTest: number;
  /** the enabled blocks, word before char (the stacking order) */
  blocks: EncodedBlock[];
  /** the options the corpus was counted with (a fold must use the same blocks) */
  fingerprint: string;
}

type Docs = readonly (readonly string[])[];

/** What the counting depends on; train() refuses options that would need a different corpus. */
export function corpusFingerprint(o: TfidfOptions): string {
  return JSON.stringify({ word: o.word, char: o.char, lowercase: o.lowercase, factor: o.candidateFactor });
}

/** Builds the corpus and keeps each block's terms by id (for fixtures and diagnostics). */
export function buildCorpusWithTerms(train: Docs, test: Docs, o: TfidfOptions): { corpus: LexicalCorpus; terms: string[][] } {
  const blocks: EncodedBlock[] = [], terms: string[][] = [];
  for (const kind of ["word", "char"] as const) {
    const bo = o[kind];
    if (!bo) continue;
    const b = buildBlock(kind, train, test, bo, o.lowercase, o.candidateFactor);
    blocks.push(b.block);
    terms.push(b.terms);
  }
  return { corpus: { nTrain: train.length, nTest: test.length, blocks, fingerprint: corpusFingerprint(o) }, terms };
}

/** Counts every document once (train rows then test rows); `train[i]` = row i's text columns in configured order. */
export function buildCorpus(train: Docs, test: Docs, o: TfidfOptions): LexicalCorpus {
  return buildCorpusWithTerms(train, test, o).corpus;
}

/** Bytes of shared memory a corpus holds. */
export function corpusBytes(c: LexicalCorpus): number {
  return c.blocks.reduce((s, b) => s + blockBytes(b), 0);
}
