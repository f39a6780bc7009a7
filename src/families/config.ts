/** Reading the config.json fields shared by the BERT-like families. */
import { UserError } from "../util/errors.js";
import type { EncoderConfig } from "./types.js";

/** A numeric field (or its default); a missing or non-numeric one is a UserError naming the file. */
export function numberField(raw: Readonly<Record<string, unknown>>, file: string, key: string, fallback?: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== "number") throw new UserError(`${file}: "${key}" missing`);
  return v;
}

/**
 * The config of a BERT-style encoder (post-LayerNorm layers, exact GELU). `positionOffset`: rows of
 * the position table a row cannot use (RoBERTa reserves padding_idx + 1 of them).
 */
export function bertLikeConfig(raw: Record<string, unknown>, file: string, positionOffset = 0): EncoderConfig {
  const num = (k: string, d?: number): number => numberField(raw, file, k, d);
  if (raw.hidden_act !== undefined && raw.hidden_act !== "gelu") throw new UserError(`${file}: hidden_act ${String(raw.hidden_act)} not supported (gelu only)`);
  if (raw.position_embedding_type !== undefined && raw.position_embedding_type !== "absolute") throw new UserError(`${file}: position_embedding_type ${String(raw.position_embedding_type)} not supported (absolute only)`);
  return {
    modelType: String(raw.model_type ?? "bert"),
    hiddenSize: num("hidden_size"),
    numLayers: num("num_hidden_layers"),
    numHeads: num("num_attention_heads"),
    intermediateSize: num("intermediate_size"),
    layerNormEps: num("layer_norm_eps", 1e-12),
    maxPositions: num("max_position_embeddings", 512) - positionOffset,
    vocabSize: num("vocab_size", 0),
    typeVocabSize: num("type_vocab_size", 2),
    padTokenId: num("pad_token_id", 0),
    raw,
  };
}
