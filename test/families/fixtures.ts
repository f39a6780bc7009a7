/** The transformers-made checkpoints of the BERT-like families (test/fixtures/encoders/generate.py). */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const FIXTURES = join(import.meta.dirname, "../fixtures/encoders");
export const FAMILY_FIXTURES = ["roberta", "xlm-roberta", "electra"] as const;

/** The DeBERTa-v3 fixtures (test/fixtures/deberta/generate.py): a tiny spm.model and two checkpoints, with what sentencepiece and transformers made of them. */
export const DEBERTA_FIXTURES = join(import.meta.dirname, "../fixtures/deberta");
export const debertaExpected = JSON.parse(readFileSync(join(DEBERTA_FIXTURES, "expected.json"), "utf8")) as {
  maxLength: number;
  texts: string[][];
  spmIds: number[][];
  transformersIds: number[][];
  normalizerProbe: Record<string, string>;
  models: Record<string, { numLayers: number; hiddenSize: number; seqLen: number; rows: number[] }>;
};
