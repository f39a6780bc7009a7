/** The parts of a Hugging Face BERT `config.json` that the graph and the reference forward need. */
import { readFileSync } from "node:fs";

export interface BertConfig {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  layerNormEps: number;
  maxPositions: number;
}

export function readBertConfig(file: string): BertConfig {
  const c = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const num = (k: string, d?: number): number => {
    const v = c[k] ?? d;
    if (typeof v !== "number") throw new Error(`${file}: "${k}" missing`);
    return v;
  };
  if (c.hidden_act !== undefined && c.hidden_act !== "gelu") throw new Error(`${file}: hidden_act ${String(c.hidden_act)} not supported (gelu only)`);
  return {
    hiddenSize: num("hidden_size"),
    numLayers: num("num_hidden_layers"),
    numHeads: num("num_attention_heads"),
    intermediateSize: num("intermediate_size"),
    layerNormEps: num("layer_norm_eps", 1e-12),
    maxPositions: num("max_position_embeddings", 512),
  };
}
