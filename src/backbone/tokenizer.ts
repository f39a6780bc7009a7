/**
 * Tokenization for the backbone. `@huggingface/tokenizers` 0.2 ignores the truncation and
 * padding settings of tokenizer.json, so this module does them: segments are truncated
 * longest-first to fit `maxLength` with their [CLS]/[SEP] kept, and batches are padded here.
 */
import { readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

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

export class BertTokenizer {
  private readonly tok: Tokenizer;
  readonly cls: number;
  readonly sep: number;
  readonly pad: number;

  constructor(tokenizerFile: string, readonly maxLength: number) {
    const json = JSON.parse(readFileSync(tokenizerFile, "utf8")) as Record<string, unknown>;
    this.tok = new Tokenizer(json, {});
    const id = (t: string): number => {
      const v = this.tok.token_to_id(t);
      if (v === undefined) throw new Error(`${tokenizerFile}: no ${t} token`);
      return v;
    };
    this.cls = id("[CLS]");
    this.sep = id("[SEP]");
    this.pad = id("[PAD]");
    if (maxLength < 3) throw new Error(`maxLength must be at least 3, got ${maxLength}`);
  }

  /** Word pieces of one segment, no special tokens. */
  pieces(text: string): number[] {
    return text.length === 0 ? [] : this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  /**
   * Encodes one row of text columns: `[CLS] a [SEP]`, `[CLS] a [SEP] b [SEP]`, and for more columns
   * `[CLS] a [SEP] b [SEP] c [SEP] …` with type 0 for the first segment and 1 after it.
   */
  encode(segments: readonly string[]): Encoded {
    const parts = segments.map((s) => this.pieces(s));
    truncateLongestFirst(parts, this.maxLength - parts.length - 1);
    const n = 1 + parts.reduce((a, p) => a + p.length + 1, 0);
    const ids = new Int32Array(n);
    const types = new Uint8Array(n);
    let k = 0;
    ids[k++] = this.cls;
    parts.forEach((p, s) => {
      for (const t of p) {
        types[k] = s === 0 ? 0 : 1;
        ids[k++] = t;
      }
      types[k] = s === 0 ? 0 : 1;
      ids[k++] = this.sep;
    });
    return { ids, types };
  }

  /** The vocabulary strings of token ids (word pieces keep their ## prefix). */
  tokenStrings(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (i) => this.tok.id_to_token(i) ?? "[UNK]");
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
