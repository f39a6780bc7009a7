/** The embeddings of the BERT-like families: word + position (+ token type) → LayerNorm. */
import type { GraphContext, GraphInputs } from "../types.js";
import { layerNorm } from "./frozenLayers.js";

/** 0, 1, …, T−1 for every row (BERT, ELECTRA). */
export function sequentialPositions(c: GraphContext, ids: string): string {
  const g = c.g;
  const seqLen = g.op("Gather", [g.op("Shape", [ids]), g.intList([1])], { axis: 0 });
  const seqScalar = g.op("Squeeze", [seqLen, g.intList([0])]);
  const zero = g.ints("zero_i64", [], [0]);
  const one = g.ints("one_i64", [], [1]);
  return g.op("Range", [zero, seqScalar, one]);
}

/**
 * Sum of the word, position and token-type embeddings, normalised. A model with one token type
 * has no token_type_ids input: its single row is added as a constant.
 */
export function bertLikeEmbeddings(c: GraphContext, inputs: GraphInputs, positions: string): string {
  const g = c.g;
  const words = g.op("Gather", [c.init("embeddings.word_embeddings.weight"), inputs.ids]);
  const sum = g.op("Add", [words, g.op("Gather", [c.init("embeddings.position_embeddings.weight"), positions])]);
  const typed = inputs.types
    ? g.op("Add", [sum, g.op("Gather", [c.init("embeddings.token_type_embeddings.weight"), inputs.types])])
    : g.op("Add", [sum, typeRowZero(c)]);
  return layerNorm(c, typed, "embeddings.LayerNorm");
}

function typeRowZero(c: GraphContext): string {
  const t = c.tensor("embeddings.token_type_embeddings.weight");
  const H = t.shape[1];
  return c.g.floats("embeddings.token_type_embeddings.row0", [H], t.data.subarray(0, H));
}
