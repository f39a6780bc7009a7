/**
 * DeBERTa-v2/v3 `config.json` (`model_type` "deberta-v2"): the common numbers plus the settings of
 * disentangled attention, read as transformers' `DebertaV2Config` / `DisentangledSelfAttention`
 * read them (max_relative_positions < 1 means max_position_embeddings; position_buckets > 0
 * switches on log-bucketed distances and sizes the relative table to 2 × buckets).
 */
import { UserError } from "../../util/errors.js";
import { numberField } from "../config.js";
import type { EncoderConfig } from "../types.js";

export interface DebertaSettings {
  /** attention term content→position / position→content */
  c2p: boolean;
  p2c: boolean;
  /** relative embeddings projected by the layer's own query/key projections */
  shareAttKey: boolean;
  /** LayerNorm over the relative embeddings (norm_rel_ebd "layer_norm") */
  normRelEmbeddings: boolean;
  /** log buckets (0: plain clipped distances) */
  positionBuckets: number;
  maxRelativePositions: number;
  /** rows of the relative table used: 2 × span */
  span: number;
  /** absolute position embeddings added to the words (DeBERTa-v3: false) */
  positionBiasedInput: boolean;
  /** width of the embedding table before `embed_proj` (= hidden size when absent) */
  embeddingSize: number;
}

export function parseDebertaConfig(raw: Record<string, unknown>, file: string): EncoderConfig {
  const num = (k: string, d?: number): number => numberField(raw, file, k, d);
  if (raw.hidden_act !== undefined && raw.hidden_act !== "gelu") throw new UserError(`${file}: hidden_act ${String(raw.hidden_act)} not supported (gelu only)`);
  if (num("conv_kernel_size", 0) > 0) throw new UserError(`${file}: conv_kernel_size > 0 (the convolution of DeBERTa-v2 xlarge/xxlarge) is not supported; DeBERTa-v3 checkpoints have none`);
  if (raw.relative_attention !== true) throw new UserError(`${file}: relative_attention must be true (DeBERTa-v3); a deberta-v2 config without it is not supported`);
  const H = num("hidden_size"), nh = num("num_attention_heads");
  if (H % nh !== 0 || (raw.attention_head_size !== undefined && raw.attention_head_size !== H / nh)) throw new UserError(`${file}: attention_head_size must be hidden_size / num_attention_heads`);
  const cfg: EncoderConfig = {
    modelType: "deberta-v2",
    hiddenSize: H,
    numLayers: num("num_hidden_layers"),
    numHeads: nh,
    intermediateSize: num("intermediate_size"),
    layerNormEps: num("layer_norm_eps", 1e-7),
    maxPositions: num("max_position_embeddings", 512),
    vocabSize: num("vocab_size", 0),
    typeVocabSize: num("type_vocab_size", 0),
    padTokenId: num("pad_token_id", 0),
    raw,
  };
  debertaSettings(cfg, file);
  return cfg;
}

/** The disentangled-attention settings of a parsed config. */
export function debertaSettings(cfg: EncoderConfig, file = "config.json"): DebertaSettings {
  const raw = cfg.raw;
  const att = raw.pos_att_type;
  const types = (Array.isArray(att) ? att.map(String) : typeof att === "string" ? att.toLowerCase().split("|") : []).map((s) => s.trim());
  for (const t of types) if (t !== "c2p" && t !== "p2c") throw new UserError(`${file}: pos_att_type "${t}" not supported (c2p, p2c)`);
  const buckets = numberField(raw, file, "position_buckets", -1);
  let maxRel = numberField(raw, file, "max_relative_positions", -1);
  if (maxRel < 1) maxRel = cfg.maxPositions;
  const norm = String(raw.norm_rel_ebd ?? "none").toLowerCase().split("|").map((s) => s.trim());
  return {
    c2p: types.includes("c2p"),
    p2c: types.includes("p2c"),
    shareAttKey: raw.share_att_key === true,
    normRelEmbeddings: norm.includes("layer_norm"),
    positionBuckets: buckets > 0 ? buckets : 0,
    maxRelativePositions: maxRel,
    span: buckets > 0 ? buckets : maxRel,
    positionBiasedInput: raw.position_biased_input !== false,
    embeddingSize: numberField(raw, file, "embedding_size", cfg.hiddenSize),
  };
}
