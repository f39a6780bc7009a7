/**
 * ELECTRA discriminators (`model_type` "electra"): BERT's tokens and layers; the embeddings may be
 * narrower than the layers (`embedding_size` < `hidden_size`), their LayerNorm runs at that width
 * and the `embeddings_project` linear map to `hidden_size` belongs to the embeddings, so hidden
 * state 0 is the projected one, as in transformers' ElectraModel.
 */
import type { EncoderFamily } from "./types.js";
import { numberField } from "./config.js";
import { bertLikeEmbeddings, sequentialPositions } from "./bertLike/embeddings.js";
import { linear } from "./bertLike/frozenLayers.js";
import { bert } from "./bert.js";

/** BERT's tokens, layers and trainable stack; its own prefix, tensors and embeddings. */
export const electra: EncoderFamily = {
  ...bert,
  modelTypes: ["electra"],
  name: "electra",
  prefixes: ["electra."],
  // the discriminator / generator heads (discriminator_predictions.*, generator_*) are not used
  isEncoderTensor: (name) => /^(embeddings|embeddings_project|encoder)\./.test(name),
  embeddings: (c, inputs) => {
    const x = bertLikeEmbeddings(c, inputs, sequentialPositions(c, inputs.ids));
    const E = numberField(c.cfg.raw, "config.json", "embedding_size", c.cfg.hiddenSize);
    return E === c.cfg.hiddenSize ? x : linear(c, x, "embeddings_project");
  },
};
