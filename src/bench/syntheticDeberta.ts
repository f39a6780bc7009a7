/**
 * A base-size DeBERTa-v3 checkpoint with random weights for the benchmark (12 layers, hidden 768,
 * 256 log buckets over 512 positions, shared attention keys, LayerNorm'd relative embeddings, no
 * absolute positions), with the default WordPiece tokenizer: DeBERTa-v3 rows are laid out with the
 * same [CLS]/[SEP]/[PAD] tokens, and speed depends on the token count, not on the vocabulary.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeSafetensors } from "../io/safetensors.js";
import { mulberry32 } from "../util/random.js";
import { RandomCheckpoint } from "./randomTensor.js";

export function writeSyntheticDeberta(dir: string, tokenizer: Record<string, unknown>, seed: number): string {
  const V = Object.keys((tokenizer.model as { vocab: Record<string, number> }).vocab).length;
  const H = 768, I = 3072, L = 12, buckets = 256;
  const config = {
    model_type: "deberta-v2", hidden_size: H, num_hidden_layers: L, num_attention_heads: 12, intermediate_size: I, hidden_act: "gelu", layer_norm_eps: 1e-7,
    vocab_size: V, max_position_embeddings: 512, type_vocab_size: 0, pad_token_id: 0, relative_attention: true, pos_att_type: ["p2c", "c2p"],
    position_buckets: buckets, max_relative_positions: -1, share_att_key: true, norm_rel_ebd: "layer_norm", position_biased_input: false,
  };
  const rnd = mulberry32(seed);
  const w = new RandomCheckpoint(rnd);
  w.normal("embeddings.word_embeddings.weight", [V, H]);
  w.layerNorm("embeddings.LayerNorm", H);
  w.normal("encoder.rel_embeddings.weight", [2 * buckets, H]);
  w.layerNorm("encoder.LayerNorm", H);
  for (let l = 0; l < L; l++) w.encoderLayer(`encoder.layer.${l}`, ["query_proj", "key_proj", "value_proj"], H, I);
  writeFileSync(join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tokenizer));
  writeSafetensors(join(dir, "model.safetensors"), w.tensors);
  return dir;
}
