/**
 * `spm.model` → `tokenizer.json`, laid out as transformers' `DebertaV2Converter`
 * (src/transformers/convert_slow_tokenizer.py) writes it: normaliser [Lowercase?] Strip →
 * Precompiled(charsmap) → Replace(" {2,}", " "); Metaspace pre-tokeniser ("▁", prepend always);
 * a Unigram model over every piece with its score; control pieces as special added tokens,
 * user-defined ones as plain added tokens; `[CLS] A [SEP] (B [SEP])`. A `[MASK]` missing from the
 * pieces is appended after them, as the DeBERTa-v3 tokenizer does (id = number of pieces).
 */
import { UserError } from "../../util/errors.js";
import { PieceType, type SpmModel } from "./modelProto.js";

export interface ConvertOptions {
  doLowerCase?: boolean;
  splitByPunct?: boolean;
}

interface AddedToken {
  id: number;
  content: string;
  single_word: false;
  lstrip: false;
  rstrip: false;
  normalized: boolean;
  special: boolean;
}

const added = (id: number, content: string, special: boolean): AddedToken => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special });

export function spmToTokenizerJson(m: SpmModel, file: string, o: ConvertOptions = {}): Record<string, unknown> {
  if (m.modelType !== 1) throw new UserError(`${file}: sentencepiece model type ${m.modelType} is not unigram (DeBERTa-v3 uses unigram)`);
  const idOf = (p: string): number => m.pieces.findIndex((x) => x.piece === p);
  for (const t of ["[CLS]", "[SEP]", "[PAD]"]) if (idOf(t) < 0) throw new UserError(`${file}: no ${t} piece`);
  const addedTokens = m.pieces.flatMap((p, id) => (p.type === PieceType.CONTROL ? [added(id, p.piece, true)] : p.type === PieceType.USER_DEFINED ? [added(id, p.piece, false)] : []));
  if (m.pieces[m.unkId] && !addedTokens.some((t) => t.id === m.unkId)) addedTokens.push(added(m.unkId, m.pieces[m.unkId].piece, true));
  const vocab: [string, number][] = m.pieces.map((p) => [p.piece, p.score]);
  if (idOf("[MASK]") < 0) {
    addedTokens.push(added(vocab.length, "[MASK]", true));
    vocab.push(["[MASK]", 0]);
  }
  addedTokens.sort((a, b) => a.id - b.id);
  const normalizers: Record<string, unknown>[] = [];
  if (o.doLowerCase) normalizers.push({ type: "Lowercase" });
  normalizers.push({ type: "Strip", strip_left: true, strip_right: true });
  if (m.precompiledCharsmap.length > 0) normalizers.push({ type: "Precompiled", precompiled_charsmap: Buffer.from(m.precompiledCharsmap).toString("base64") });
  normalizers.push({ type: "Replace", pattern: { Regex: " {2,}" }, content: " " });
  const metaspace = { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true };
  const cls = idOf("[CLS]"), sep = idOf("[SEP]");
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: { type: "Sequence", normalizers },
    pre_tokenizer: { type: "Sequence", pretokenizers: [...(o.splitByPunct ? [{ type: "Punctuation", behavior: "Isolated" }] : []), metaspace] },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } }, { SpecialToken: { id: "[SEP]", type_id: 1 } },
      ],
      special_tokens: { "[CLS]": { id: "[CLS]", ids: [cls], tokens: ["[CLS]"] }, "[SEP]": { id: "[SEP]", ids: [sep], tokens: ["[SEP]"] } },
    },
    decoder: { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true },
    model: { type: "Unigram", unk_id: m.unkId, vocab, byte_fallback: m.byteFallback },
  };
}
