/**
 * Reads a sentencepiece `spm.model` (a protobuf `ModelProto`, see sentencepiece_model.proto in
 * google/sentencepiece): the pieces with their scores and types, the trainer's unknown id and
 * model type, and the normaliser spec with its precompiled character map. Only the fields a
 * unigram tokenizer needs are decoded; the rest is skipped by wire type.
 */
import { readFileSync } from "node:fs";
import { UserError } from "../../util/errors.js";

/** sentencepiece's piece types */
export const PieceType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

export interface SpmPiece {
  piece: string;
  score: number;
  type: number;
}

export interface SpmModel {
  pieces: SpmPiece[];
  /** 1 unigram, 2 BPE, 3 word, 4 char */
  modelType: number;
  unkId: number;
  byteFallback: boolean;
  /** the normaliser's name (nmt_nfkc, identity …) and its compiled rules (empty for identity) */
  normalizerName: string;
  precompiledCharsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array, readonly file: string) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): number {
    let v = 0, mul = 1, b: number;
    do {
      if (this.pos >= this.buf.length) throw new UserError(`${this.file}: not a sentencepiece model (truncated varint)`);
      b = this.buf[this.pos++];
      v += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    return v;
  }
  bytes(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.buf.length) throw new UserError(`${this.file}: not a sentencepiece model (field runs past the end)`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  float(): number {
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new UserError(`${this.file}: not a sentencepiece model (wire type ${wire})`);
  }
  /** Calls `field(number, wire)` for each field; the callback returns false to have it skipped. */
  fields(field: (n: number, wire: number) => boolean): void {
    while (!this.done) {
      const key = this.varint();
      if (!field(Math.floor(key / 8), key & 7)) this.skip(key & 7);
    }
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function readPiece(r: Reader): SpmPiece {
  const p: SpmPiece = { piece: "", score: 0, type: PieceType.NORMAL };
  r.fields((n, w) => {
    if (n === 1 && w === 2) p.piece = utf8.decode(r.bytes());
    else if (n === 2 && w === 5) p.score = r.float();
    else if (n === 3 && w === 0) p.type = r.varint();
    else return false;
    return true;
  });
  return p;
}

/** Decodes the bytes of a `ModelProto`. */
export function parseSpmModel(buf: Uint8Array, file: string): SpmModel {
  const m: SpmModel = { pieces: [], modelType: 1, unkId: 0, byteFallback: false, normalizerName: "", precompiledCharsmap: new Uint8Array(0), addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true };
  const r = new Reader(buf, file);
  r.fields((n, w) => {
    if (w !== 2 || n < 1 || n > 3) return false;
    const sub = new Reader(r.bytes(), file);
    if (n === 1) m.pieces.push(readPiece(sub));
    else if (n === 2)
      sub.fields((k, wt) => {
        if (wt !== 0 || ![3, 35, 40].includes(k)) return false;
        const v = sub.varint();
        if (k === 3) m.modelType = v;
        else if (k === 35) m.byteFallback = v !== 0;
        else m.unkId = v;
        return true;
      });
    else
      sub.fields((k, wt) => {
        if (k === 1 && wt === 2) m.normalizerName = utf8.decode(sub.bytes());
        else if (k === 2 && wt === 2) m.precompiledCharsmap = new Uint8Array(sub.bytes());
        else if (k >= 3 && k <= 5 && wt === 0) {
          const v = sub.varint() !== 0;
          if (k === 3) m.addDummyPrefix = v;
          else if (k === 4) m.removeExtraWhitespaces = v;
          else m.escapeWhitespaces = v;
        } else return false;
        return true;
      });
    return true;
  });
  if (m.pieces.length === 0) throw new UserError(`${file}: not a sentencepiece model (no pieces)`);
  return m;
}

/** Reads and decodes `spm.model`; anything unreadable is a one-line UserError naming the file. */
export function readSpmModel(file: string): SpmModel {
  try {
    return parseSpmModel(readFileSync(file), file);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${file}: not a sentencepiece model (${(e as Error).message})`);
  }
}
