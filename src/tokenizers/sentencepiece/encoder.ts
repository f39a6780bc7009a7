/**
 * A sentencepiece unigram tokenizer rebuilt from a `tokenizer.json` in the layout of
 * `toTokenizerJson.ts` (transformers' DebertaV2Converter): the exact normaliser and Viterbi of
 * sentencepiece instead of `@huggingface/tokenizers`' approximation of the precompiled map, so
 * ids match the `spm.model` the checkpoint was trained with.
 */
import { PieceType, type SpmPiece } from "./modelProto.js";
import { SpmNormalizer } from "./normalizer.js";
import { UnigramModel } from "./unigram.js";

interface Json {
  normalizer?: { type?: string; normalizers?: { type?: string; precompiled_charsmap?: string }[] } | null;
  pre_tokenizer?: { type?: string; pretokenizers?: { type?: string; prepend_scheme?: string }[] } | null;
  model?: { type?: string; unk_id?: number; vocab?: [string, number][] };
  added_tokens?: { id: number; content: string; special: boolean }[];
}

export class SentencePieceEncoder {
  private constructor(
    private readonly lower: boolean,
    private readonly normalizer: SpmNormalizer,
    private readonly model: UnigramModel,
    private readonly vocab: readonly string[],
  ) {
    this.ids = new Map(vocab.map((v, i) => [v, i]));
  }
  private readonly ids: Map<string, number>;

  /** The exact encoder if `json` is a converted sentencepiece unigram tokenizer with a precompiled map; otherwise undefined. */
  static fromTokenizerJson(file: Record<string, unknown>): SentencePieceEncoder | undefined {
    const json = file as Json;
    const norms = json.normalizer?.type === "Sequence" ? json.normalizer.normalizers ?? [] : [];
    const kinds = norms.map((n) => n.type ?? "");
    const pre = json.pre_tokenizer?.type === "Sequence" ? json.pre_tokenizer.pretokenizers ?? [] : [];
    const layout = kinds.join(",").replace(/^Lowercase,/, "");
    if (layout !== "Strip,Precompiled,Replace" || json.model?.type !== "Unigram" || !json.model.vocab) return undefined;
    if (pre.length !== 1 || pre[0].type !== "Metaspace" || pre[0].prepend_scheme !== "always") return undefined;
    const vocab = json.model.vocab;
    const unkId = json.model.unk_id ?? 0;
    const addedById = new Map((json.added_tokens ?? []).map((t) => [t.id, t]));
    const pieces: SpmPiece[] = vocab.map(([piece, score], id) => {
      const a = addedById.get(id);
      const type = id === unkId ? PieceType.UNKNOWN : a ? (a.special ? PieceType.CONTROL : PieceType.USER_DEFINED) : PieceType.NORMAL;
      return { piece, score, type };
    });
    const charsmap = Buffer.from(norms.find((n) => n.type === "Precompiled")?.precompiled_charsmap ?? "", "base64");
    const userDefined = pieces.filter((p) => p.type === PieceType.USER_DEFINED).map((p) => p.piece);
    const normalizer = new SpmNormalizer({ charsmap: new Uint8Array(charsmap), addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true, userDefined });
    return new SentencePieceEncoder(kinds[0] === "Lowercase", normalizer, new UnigramModel(pieces, unkId), vocab.map((v) => v[0]));
  }

  /** Piece ids of one text, no special tokens. */
  encode(text: string): number[] {
    return this.model.encode(this.normalizer.normalize(this.lower ? text.toLowerCase() : text));
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.vocab[id];
  }
}
