/**
 * Tokenization for the backbone. `@huggingface/tokenizers` 0.2 ignores the truncation, padding
 * and special-token settings of tokenizer.json, so this module does them with the conventions of
 * the model's family (src/families/): segments are truncated longest-first to fit `maxLength`
 * with every special token kept, and batches are padded here.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { openPieceCodec, type PieceCodec } from "../tokenizers/pieceCodec.js";
import type { TokenConventions } from "../families/types.js";
import { bert } from "../families/bert.js";
import { readModelConfig } from "../families/registry.js";
import { UserError } from "../util/errors.js";

/** One tokenized row: ids, token types; all valid (no padding yet). */
export interface Encoded {
  ids: Int32Array;
  types: Uint8Array;
}

/** A padded batch ready for the model. */
export interface Batch {
  size: number;
  seqLen: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  /** valid tokens per row */
  lengths: Int32Array;
}

/**
 * The tokenizer of a model folder, with its family's conventions (from config.json; a folder
 * without one, prepared from an ONNX file, uses BERT's).
 */
export function openTokenizer(modelDir: string, maxLength: number): EncoderTokenizer {
  const cfgFile = join(modelDir, "config.json");
  if (!existsSync(cfgFile)) return new EncoderTokenizer(join(modelDir, "tokenizer.json"), maxLength);
  const { family, cfg } = readModelConfig(cfgFile);
  return new EncoderTokenizer(join(modelDir, "tokenizer.json"), maxLength, family.tokens, cfg.typeVocabSize > 1);
}

export class EncoderTokenizer {
  private readonly tok: PieceCodec;
  readonly cls: number;
  readonly sep: number;
  readonly pad: number;

  /** `typeIds`: segments after the first get token type 1 (else every token has type 0). */
  constructor(tokenizerFile: string, readonly maxLength: number, private readonly conventions: TokenConventions = bert.tokens, private readonly typeIds = true) {
    const json = JSON.parse(readFileSync(tokenizerFile, "utf8")) as Record<string, unknown>;
    this.tok = openPieceCodec(json);
    const id = (t: string): number => {
      const v = this.tok.tokenToId(t);
      if (v === undefined) throw new UserError(`${tokenizerFile}: no ${t} token, which this model family's rows start or end with`);
      return v;
    };
    this.cls = id(conventions.cls);
    this.sep = id(conventions.sep);
    this.pad = id(conventions.pad);
    if (maxLength < 2 + conventions.pairSeparators) throw new Error(`maxLength must be at least ${2 + conventions.pairSeparators}, got ${maxLength}`);
  }

  /** Word pieces of one segment, no special tokens. */
  pieces(text: string): number[] {
    return text.length === 0 ? [] : this.tok.encode(text);
  }

  /**
   * Encodes one row of text columns: `[CLS] a [SEP]`, `[CLS] a [SEP] b [SEP]`, and for more columns
   * `[CLS] a [SEP] b [SEP] c [SEP] …` (RoBERTa: `<s> a </s></s> b </s>`), with type 0 for the
   * first segment and 1 after it where the model has token types.
   */
  encode(segments: readonly string[]): Encoded {
    const parts = segments.map((s) => this.pieces(s));
    const gap = this.conventions.pairSeparators;
    truncateLongestFirst(parts, this.maxLength - 2 - (parts.length - 1) * gap);
    const n = 2 + (parts.length - 1) * gap + parts.reduce((a, p) => a + p.length, 0);
    const ids = new Int32Array(n);
    const types = new Uint8Array(n);
    let k = 0;
    ids[k++] = this.cls;
    parts.forEach((p, s) => {
      const type = s > 0 && this.typeIds ? 1 : 0;
      if (s > 0) for (let j = 1; j < gap; j++) (types[k] = type), (ids[k++] = this.sep);
      for (const t of p) (types[k] = type), (ids[k++] = t);
      types[k] = type;
      ids[k++] = this.sep;
    });
    return { ids, types };
  }

  /** The vocabulary strings of token ids (word pieces keep their ## prefix). */
  tokenStrings(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (i) => this.tok.idToToken(i) ?? "[UNK]");
  }

  /** Pads rows to the longest in the batch and builds the attention mask. */
  padBatch(rows: readonly Encoded[]): Batch {
    const seqLen = rows.reduce((m, r) => Math.max(m, r.ids.length), 0);
    const size = rows.length;
    const inputIds = new BigInt64Array(size * seqLen).fill(BigInt(this.pad));
    const attentionMask = new BigInt64Array(size * seqLen);
    const tokenTypeIds = new BigInt64Array(size * seqLen);
    const lengths = new Int32Array(size);
    rows.forEach((r, i) => {
      lengths[i] = r.ids.length;
      for (let j = 0; j < r.ids.length; j++) {
        inputIds[i * seqLen + j] = BigInt(r.ids[j]);
        attentionMask[i * seqLen + j] = 1n;
        tokenTypeIds[i * seqLen + j] = BigInt(r.types[j]);
      }
    });
    return { size, seqLen, inputIds, attentionMask, tokenTypeIds, lengths };
  }
}

/** Hugging Face's "longest_first": drop one token from the currently longest segment until it fits. */
export function truncateLongestFirst(parts: number[][], budget: number): void {
  let total = parts.reduce((a, p) => a + p.length, 0);
  const b = Math.max(0, budget);
  while (total > b) {
    let longest = 0;
    for (let i = 1; i < parts.length; i++) if (parts[i].length > parts[longest].length) longest = i;
    const excess = total - b;
    const second = parts.reduce((m, p, i) => (i === longest ? m : Math.max(m, p.length)), 0);
    const cut = Math.max(1, Math.min(excess, parts[longest].length - second));
    parts[longest].length -= cut;
    total -= cut;
  }
}
