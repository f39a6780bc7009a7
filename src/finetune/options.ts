/** Options of the `<head>-ft` models (the config's `finetune` block; README "Fine-tuned heads"), their defaults and validation. */
import { isObj, type Checks, type RawConfig } from "../models/checks.js";
import { parseHeadOptions, type WeightedLayerOptions } from "../heads/options.js";
import { UserError } from "../util/errors.js";

export interface FinetuneOptions {
  /** transformer layers trained above the cached hidden state of layer L − topLayers (1..L) */
  topLayers: number;
  /** maximum epochs; the best epoch on the early-stopping split is kept */
  epochs: number;
  /** peak learning rate of the transformer layers (AdamW) */
  lr: number;
  /** peak learning rate of the pooling head and the output layer */
  headLr: number;
  /** a batch holds at most this many padded tokens … */
  batchTokens: number;
  /** … and at most this many rows */
  batchRows: number;
  /** share of the steps with a linear warm-up; linear decay to zero after it */
  warmup: number;
  /** AdamW's decoupled weight decay (not applied to biases and LayerNorm gains) */
  weightDecay: number;
  /** the gradient's global L2 norm is clipped to this */
  clip: number;
  /** layer-wise learning-rate decay: layer i below the top trains at lr · llrd^i */
  llrd: number;
  /** stop after this many epochs without a better early-stopping loss */
  patience: number;
}

export const FINETUNE_DEFAULTS: FinetuneOptions = { topLayers: 2, epochs: 4, lr: 1e-4, headLr: 1e-3, batchTokens: 4096, batchRows: 16, warmup: 0.1, weightDecay: 0.01, clip: 1, llrd: 1, patience: 2 };

/** What a fine-tuned head's fold job receives: the `finetune` block, and the weighted-layer head's options (its pooling). */
export interface FinetuneModelOptions {
  weightedLayer: WeightedLayerOptions;
  finetune: FinetuneOptions;
}

/** The `finetune` block, key by key, over the defaults. */
export function parseFinetuneOptions(config: RawConfig, k: Checks): FinetuneOptions {
  const { num, frac } = k;
  if (config.finetune !== undefined && !isObj(config.finetune)) k.bad("finetune", "must be an object");
  const ft: RawConfig = { ...FINETUNE_DEFAULTS, ...(config.finetune as RawConfig | undefined) };
  return {
    topLayers: num(ft.topLayers, "finetune.topLayers", 1),
    epochs: num(ft.epochs, "finetune.epochs", 1),
    lr: num(ft.lr, "finetune.lr", 0, false),
    headLr: num(ft.headLr, "finetune.headLr", 0, false),
    batchTokens: num(ft.batchTokens, "finetune.batchTokens", 16),
    batchRows: num(ft.batchRows, "finetune.batchRows", 1),
    warmup: frac(ft.warmup, "finetune.warmup"),
    weightDecay: num(ft.weightDecay, "finetune.weightDecay", 0, false),
    clip: num(ft.clip, "finetune.clip", 0, false),
    llrd: frac(ft.llrd, "finetune.llrd"),
    patience: num(ft.patience, "finetune.patience", 1),
  };
}

/** The layer whose hidden states the fine-tuned heads start from: L − topLayers (0-based index of the layer's output). */
export function cachedLayer(numLayers: number, topLayers: number): number {
  if (topLayers > numLayers) throw new UserError(`"finetune.topLayers" ${topLayers} exceeds the model's ${numLayers} layers`);
  return numLayers - topLayers;
}

export function parseFinetuneModelOptions(config: RawConfig, k: Checks): FinetuneModelOptions {
  return { weightedLayer: parseHeadOptions(config, k).weightedLayer, finetune: parseFinetuneOptions(config, k) };
}
