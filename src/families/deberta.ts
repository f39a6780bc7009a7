/**
 * DeBERTa-v3 (`model_type` "deberta-v2"): disentangled attention over log-bucketed relative
 * positions, no absolute positions, one token type; sentencepiece unigram tokens laid out as
 * `[CLS] A [SEP] B [SEP]`. Hub checkpoints carry a `deberta.` prefix and task heads beside the
 * encoder (lm_predictions.*, pooler.*, classifier.*), which are left out.
 */
import type { EncoderFamily } from "./types.js";
import { parseDebertaConfig } from "./deberta/config.js";
import { debertaEmbeddings, debertaEncoder } from "./deberta/frozenLayers.js";
import { debertaStack } from "./deberta/trainLayers.js";
import { debertaTokenizerFromFolder } from "./deberta/tokenizer.js";

export const deberta: EncoderFamily = {
  modelTypes: ["deberta-v2"],
  name: "deberta",
  parseConfig: parseDebertaConfig,
  prefixes: ["deberta."],
  isEncoderTensor: (name) => /^(embeddings|encoder)\./.test(name),
  wordEmbeddings: "embeddings.word_embeddings.weight",
  tokens: { cls: "[CLS]", sep: "[SEP]", pad: "[PAD]", pairSeparators: 1 },
  tokenizerFromFolder: debertaTokenizerFromFolder,
  embeddings: debertaEmbeddings,
  encoder: debertaEncoder,
  trainable: debertaStack,
};
