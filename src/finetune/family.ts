/**
 * The fine-tuned twins of the pooling heads (`<head>-ft`) as one model family
 * (src/models/family.ts): the top `finetune.topLayers` layers trained with the head over the
 * hidden state of layer L − topLayers, which the feature pass stores for them.
 */
import type { ModelFamily } from "../models/family.js";
import { FINETUNED_NAMES, finetunedHead } from "../models/names.js";
import { cachedLayer, parseFinetuneModelOptions, type FinetuneModelOptions } from "./options.js";

export const finetuneFamily: ModelFamily<FinetuneModelOptions> = {
  names: FINETUNED_NAMES,
  label: "the fine-tuned heads",
  parseOptions: parseFinetuneModelOptions,
  // so that changing `finetune` never recomputes a frozen head, and the weighted-layer options only the heads that pool by them
  cacheOptions: (name, o) => ({ ...(finetunedHead(name) === "weightedLayer" ? { weightedLayer: o.weightedLayer } : {}), finetune: o.finetune }),
  trainer: () => new URL("./train.ts", import.meta.url),
  /**
   * forward + backward of topLayers layers ≈ 72·H² FLOPs per token each, over the fit rows (72% of train) per epoch;
   * and each step's fixed cost per trained layer (its 12·H² weights pass through the gradient outputs and AdamW
   * at every step, whatever the batch's size):
   * ≈ 0.09 s, from 43 classes of 6,000 sentences against the frozen heads in the same run (an -ft job took
   * 6.6× a mean job, 17× an attention job), where 16-row batches of 33 tokens make the steps cost as much as their FLOPs
   */
  priorSeconds(_name, s, { finetune }) {
    const H = s.hidden, k = finetune.topLayers, e = finetune.epochs;
    // forward passes over the OOF fold and the test rows, and the early-stopping rows each epoch
    const inferTokens = 0.2 * s.tokens + s.testTokens + 0.08 * s.tokens * e;
    const steps = e * Math.max((0.72 * s.rows) / finetune.batchRows, (0.72 * s.tokens) / finetune.batchTokens);
    return (72 * H * H * k * (0.72 * s.tokens * e) + 24 * H * H * k * inferTokens) / 100e9 + 0.09 * k * steps + 3;
  },
  lowerLayer: (_name, { finetune }, numLayers) => cachedLayer(numLayers, finetune.topLayers),
};
