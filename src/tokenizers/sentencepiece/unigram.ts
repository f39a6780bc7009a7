/**
 * sentencepiece's unigram segmentation, exactly: the Viterbi path over the normalised text with
 * float32 path scores (ties keep the first path found, starts and lengths ascending), an unknown
 * character scored min_score − 10, and consecutive unknowns merged into one — as
 * `unigram::Model::EncodeOptimized` and `SentencePieceProcessor::Encode` of google/sentencepiece.
 * Control, unknown, unused and byte pieces are never matched in text (a literal "[CLS]" in the text
 * is spelled out, not turned into the control token).
 */
import { PieceType, type SpmPiece } from "./modelProto.js";

const UNK_PENALTY = 10;

export class UnigramModel {
  private readonly ids = new Map<string, number>();
  private readonly maxChars: number;
  private readonly unkScore: number;

  constructor(private readonly pieces: readonly SpmPiece[], private readonly unkId: number) {
    let maxChars = 1, min = Infinity;
    pieces.forEach((p, id) => {
      if (p.type !== PieceType.NORMAL && p.type !== PieceType.USER_DEFINED) return;
      this.ids.set(p.piece, id);
      maxChars = Math.max(maxChars, [...p.piece].length);
      if (p.type === PieceType.NORMAL) min = Math.min(min, p.score);
    });
    this.maxChars = maxChars;
    this.unkScore = Math.fround((Number.isFinite(min) ? min : 0) - UNK_PENALTY);
  }

  /** Piece ids of a normalised text. */
  encode(normalized: string): number[] {
    const chars = [...normalized];
    const n = chars.length;
    const score = new Float64Array(n + 1).fill(NaN);
    const from = new Int32Array(n + 1);
    const idAt = new Int32Array(n + 1);
    score[0] = 0;
    for (let s = 0; s < n; s++) {
      let piece = "";
      let single = false;
      const relax = (e: number, id: number, sc: number): void => {
        const cand = Math.fround(score[s] + sc);
        if (Number.isNaN(score[e]) || cand > score[e]) {
          score[e] = cand;
          from[e] = s;
          idAt[e] = id;
        }
      };
      for (let len = 1; len <= this.maxChars && s + len <= n; len++) {
        piece += chars[s + len - 1];
        const id = this.ids.get(piece);
        if (id === undefined) continue;
        if (len === 1) single = true;
        relax(s + len, id, this.pieces[id].type === PieceType.USER_DEFINED ? 0 : this.pieces[id].score);
      }
      if (!single) relax(s + 1, this.unkId, this.unkScore);
    }
    const out: number[] = [];
    for (let e = n; e > 0; e = from[e]) out.push(idAt[e]);
    out.reverse();
    return out.filter((id, i) => !(id === this.unkId && i > 0 && out[i - 1] === this.unkId));
  }
}
