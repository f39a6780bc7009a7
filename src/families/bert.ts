/** BERT (`model_type` "bert"): WordPiece, `[CLS] A [SEP] B [SEP]` with token types 0/1, positions 0…T−1. */
import type { EncoderFamily } from "./types.js";
import { bertLikeConfig } from "./config.js";
import { bertLikeEmbeddings, sequentialPositions } from "./bertLike/embeddings.js";
import { bertLikeEncoder } from "./bertLike/frozenLayers.js";
import { bertLikeStack } from "./bertLike/trainLayers.js";

/** embeddings.* and encoder.*; the pooler and the pre-training heads (cls.*) are not used */
const isBertLikeEncoderTensor = (name: string): boolean => /^(embeddings|encoder)\./.test(name);

export const bert: EncoderFamily = {
  modelTypes: ["bert"],
  name: "bert",
  parseConfig: (raw, file) => bertLikeConfig(raw, file),
  prefixes: ["bert."],
  isEncoderTensor: isBertLikeEncoderTensor,
  wordEmbeddings: "embeddings.word_embeddings.weight",
  tokens: { cls: "[CLS]", sep: "[SEP]", pad: "[PAD]", pairSeparators: 1 },
  embeddings: (c, inputs) => bertLikeEmbeddings(c, inputs, sequentialPositions(c, inputs.ids)),
  encoder: bertLikeEncoder,
  trainable: (cfg) => bertLikeStack({ H: cfg.hiddenSize, numHeads: cfg.numHeads, inter: cfg.intermediateSize, eps: cfg.layerNormEps }),
};
