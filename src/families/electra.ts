/**
 * ELECTRA discriminators (`model_type` "electra"): BERT's tokens and layers; the embeddings may be
 * narrower than the layers (`embedding_size` < `hidden_size`), their LayerNorm runs at that width
 * and the `embeddings_project` linear map to `hidden_size` belongs to the embeddings, so hidden
 * state 0 is the projected one, as in transformers' ElectraModel.
 */
import type { EncoderFamily } from "./types.js";
import { bertLikeConfig, numberField } from "./config.js";
import { bertLikeEmbeddings, sequentialPositions } from "./bertLike/embeddings.js";
import { bertLikeEncoder, linear } from "./bertLike/frozenLayers.js";
import { bertLikeStack } from "./bertLike/trainLayers.js";
import { bert } from "./bert.js";

export const electra: EncoderFamily = {
  modelTypes: ["electra"],
  name: "electra",
  parseConfig: (raw, file) => bertLikeConfig(raw, file),
  prefixes: ["electra."],
  // the discriminator / generator heads (discriminator_predictions.*, generator_*) are not used
  isEncoderTensor: (name) => /^(embeddings|embeddings_project|encoder)\./.test(name),
  wordEmbeddings: "embeddings.word_embeddings.weight",
  tokens: bert.tokens,
  embeddings: (c, inputs) => {
    const x = bertLikeEmbeddings(c, inputs, sequentialPositions(c, inputs.ids));
    const E = numberField(c.cfg.raw, "config.json", "embedding_size", c.cfg.hiddenSize);
    return E === c.cfg.hiddenSize ? x : linear(c, x, "embeddings_project");
  },
  encoder: bertLikeEncoder,
  trainable: (cfg) => bertLikeStack({ H: cfg.hiddenSize, numHeads: cfg.numHeads, inter: cfg.intermediateSize, eps: cfg.layerNormEps }),
};
