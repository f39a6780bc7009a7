/**
 * A base-size DeBERTa-v3 checkpoint with random weights for the benchmark (12 layers, hidden 768,
 * 256 log buckets over 512 positions, shared attention keys, LayerNorm'd relative embeddings, no
 * absolute positions), with the default WordPiece tokenizer: DeBERTa-v3 rows are laid out with the
 * same [CLS]/[SEP]/[PAD] tokens, and speed depends on the token count, not on the vocabulary.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeSafetensors, type Tensor } from "../io/safetensors.js";
import { mulberry32 } from "../util/random.js";
import { normalTensor } from "./randomTensor.js";

export function writeSyntheticDeberta(dir: string, tokenizer: Record<string, unknown>, seed: number): string {
  const V = Object.keys((tokenizer.model as { vocab: Record<string, number> }).vocab).length;
  const H = 768, I = 3072, L = 12, buckets = 256;
  const config = {
    model_type: "deberta-v2", hidden_size: H, num_hidden_layers: L, num_attention_heads: 12, intermediate_size: I, hidden_act: "gelu", layer_norm_eps: 1e-7,
    vocab_size: V, max_position_embeddings: 512, type_vocab_size: 0, pad_token_id: 0, relative_attention: true, pos_att_type: ["p2c", "c2p"],
    position_buckets: buckets, max_relative_positions: -1, share_att_key: true, norm_rel_ebd: "layer_norm", position_biased_input: false,
  };
  const rnd = mulberry32(seed);
  const w = new Map<string, Tensor>();
  const ln = (p: string): void => {
    w.set(`${p}.weight`, { shape: [H], data: new Float32Array(H).fill(1) });
    w.set(`${p}.bias`, { shape: [H], data: new Float32Array(H) });
  };
  const dense = (p: string, out: number, inp: number): void => {
    w.set(`${p}.weight`, normalTensor([out, inp], rnd, 0.02));
    w.set(`${p}.bias`, { shape: [out], data: new Float32Array(out) });
  };
  w.set("embeddings.word_embeddings.weight", normalTensor([V, H], rnd, 0.02));
  ln("embeddings.LayerNorm");
  w.set("encoder.rel_embeddings.weight", normalTensor([2 * buckets, H], rnd, 0.02));
  ln("encoder.LayerNorm");
  for (let l = 0; l < L; l++) {
    const p = `encoder.layer.${l}`;
    for (const n of ["query_proj", "key_proj", "value_proj"]) dense(`${p}.attention.self.${n}`, H, H);
    dense(`${p}.attention.output.dense`, H, H);
    ln(`${p}.attention.output.LayerNorm`);
    dense(`${p}.intermediate.dense`, I, H);
    dense(`${p}.output.dense`, H, I);
    ln(`${p}.output.LayerNorm`);
  }
  writeFileSync(join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tokenizer));
  writeSafetensors(join(dir, "model.safetensors"), w);
  return dir;
}
