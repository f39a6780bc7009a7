/**
 * RoBERTa and XLM-RoBERTa (`model_type` "roberta", "xlm-roberta"): BERT's layers; byte-level BPE
 * (RoBERTa) or Unigram/Metaspace (XLM-R) tokens laid out as `<s> A </s></s> B </s>`, one token
 * type (no token_type_ids input), and position ids that start at padding_idx + 1 and skip padding,
 * as transformers' `create_position_ids_from_input_ids` computes them from the ids.
 */
import { DT } from "../onnx/graphBuilder.js";
import type { EncoderFamily, GraphContext } from "./types.js";
import { bertLikeConfig } from "./config.js";
import { bertLikeEmbeddings } from "./bertLike/embeddings.js";
import { bert } from "./bert.js";

/** cumsum(ids ≠ pad) · (ids ≠ pad) + pad: padding tokens sit at position `pad`, the others count up from pad + 1 */
function paddingAwarePositions(c: GraphContext, ids: string): string {
  const g = c.g;
  const pad = g.ints("padding_idx", [], [c.cfg.padTokenId]);
  const notPad = g.op("Cast", [g.op("Not", [g.op("Equal", [ids, pad])])], { to: DT.INT64 });
  const counted = g.op("CumSum", [notPad, g.ints("axis_1", [], [1])]);
  return g.op("Add", [g.op("Mul", [counted, notPad]), pad]);
}

/** BERT's weight names, layers and trainable stack; its own config, prefix, tokens and positions. */
export const roberta: EncoderFamily = {
  ...bert,
  modelTypes: ["roberta", "xlm-roberta"],
  name: "roberta",
  parseConfig: (raw, file) => {
    const cfg = bertLikeConfig(raw, file, 0);
    return { ...cfg, maxPositions: cfg.maxPositions - cfg.padTokenId - 1 };
  },
  // XLM-R checkpoints use the `roberta.` prefix too
  prefixes: ["roberta."],
  tokens: { cls: "<s>", sep: "</s>", pad: "<pad>", pairSeparators: 2 },
  embeddings: (c, inputs) => bertLikeEmbeddings(c, inputs, paddingAwarePositions(c, inputs.ids)),
};
