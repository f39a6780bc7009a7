/**
 * Text → piece ids for one tokenizer.json: sentencepiece's exact normaliser and unigram model
 * when the file is a converted sentencepiece tokenizer with a precompiled character map
 * (DeBERTa-v3), `@huggingface/tokenizers` otherwise.
 */
import { Tokenizer } from "@huggingface/tokenizers";
import { SentencePieceEncoder } from "./sentencepiece/encoder.js";

export interface PieceCodec {
  /** piece ids of one text, no special tokens */
  encode(text: string): number[];
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
}

export function openPieceCodec(json: Record<string, unknown>): PieceCodec {
  const exact = SentencePieceEncoder.fromTokenizerJson(json);
  if (exact) return exact;
  const tok = new Tokenizer(json, {});
  return {
    encode: (text) => tok.encode(text, { add_special_tokens: false }).ids,
    tokenToId: (t) => tok.token_to_id(t),
    idToToken: (i) => tok.id_to_token(i),
  };
}
