/** The transformers-made checkpoints of the BERT-like families (test/fixtures/encoders/generate.py). */
import { join } from "node:path";

export const FIXTURES = join(import.meta.dirname, "../fixtures/encoders");
export const FAMILY_FIXTURES = ["roberta", "xlm-roberta", "electra"] as const;
