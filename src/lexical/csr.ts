/**
 * Compact shared storage of one block's counts (documents × terms), written once per corpus:
 * per document, its term ids in increasing order as LEB128 varint gaps (ids are numbered by
 * decreasing corpus frequency, so the frequent terms every document has take one byte) and
 * one byte per count (255 = look it up in the overflow table). About 2–2.5 bytes a non-zero
 * instead of 12 for scipy's float64 + int32 CSR. Every array lives in a SharedArrayBuffer.
 */
import { ByteVec, IntVec, shared } from "./growable.js";

export interface EncodedBlock {
  kind: "word" | "char";
  /** terms stored (ids 0 .. nTerms-1) */
  nTerms: number;
  /** document i's gaps are gaps[bytePtr[i] .. bytePtr[i+1]), its counts counts[entryPtr[i] .. entryPtr[i+1]) */
  bytePtr: Uint32Array;
  entryPtr: Uint32Array;
  gaps: Uint8Array;
  counts: Uint8Array;
  /** entries whose count is ≥ 255: sorted entry indices and their counts */
  overflowAt: Int32Array;
  overflowCount: Int32Array;
  /** each term's position in code-point order of the terms (sklearn's column order and tie-break) */
  rank: Int32Array;
  /** terms left out by the corpus-wide frequency cap, and the largest training term frequency among them */
  capped: number;
  maxCappedTf: number;
  /** most entries of one document */
  maxRowNnz: number;
}

/** Accumulates documents one by one. */
export class BlockWriter {
  private gaps = new ByteVec();
  private counts = new ByteVec();
  private bytePtr = new IntVec();
  private entryPtr = new IntVec();
  private overAt = new IntVec(16);
  private overCount = new IntVec(16);
  private entries = 0;
  private maxRowNnz = 0;

  constructor() {
    this.bytePtr.push(0);
    this.entryPtr.push(0);
  }

  /** Appends one document: `ids` strictly increasing, `cnt[e]` the count of ids[e]. */
  add(ids: Int32Array, cnt: ArrayLike<number>, n: number): void {
    this.gaps.reserve(n * 5);
    this.counts.reserve(n);
    const g = this.gaps.data, c = this.counts.data;
    let q = this.gaps.length, prev = -1;
    for (let e = 0; e < n; e++) {
      let gap = ids[e] - prev;
      prev = ids[e];
      while (gap >= 128) {
        g[q++] = (gap & 127) | 128;
        gap >>>= 7;
      }
      g[q++] = gap;
      const k = cnt[e];
      c[this.counts.length + e] = k < 255 ? k : 255;
      if (k >= 255) {
        this.overAt.push(this.entries + e);
        this.overCount.push(k);
      }
    }
    this.gaps.length = q;
    this.counts.length += n;
    this.entries += n;
    this.maxRowNnz = Math.max(this.maxRowNnz, n);
    if (q > 0xffffffff || this.entries > 0xffffffff) throw new Error("tfidf: corpus too large for 32-bit offsets");
    this.bytePtr.push(q);
    this.entryPtr.push(this.entries);
  }

  finish(kind: "word" | "char", nTerms: number, rank: Int32Array, capped: number, maxCappedTf: number): EncodedBlock {
    return {
      kind,
      nTerms,
      bytePtr: shared(Uint32Array.from(this.bytePtr.data.subarray(0, this.bytePtr.length))),
      entryPtr: shared(Uint32Array.from(this.entryPtr.data.subarray(0, this.entryPtr.length))),
      gaps: shared(this.gaps.data.subarray(0, this.gaps.length)),
      counts: shared(this.counts.data.subarray(0, this.counts.length)),
      overflowAt: shared(this.overAt.data.subarray(0, this.overAt.length)),
      overflowCount: shared(this.overCount.data.subarray(0, this.overCount.length)),
      rank: shared(rank),
      capped,
      maxCappedTf,
      maxRowNnz: this.maxRowNnz,
    };
  }
}

/** The count of entry `e` (the overflow table answers for counts ≥ 255). */
export function countAt(b: EncodedBlock, e: number, byte: number): number {
  if (byte < 255) return byte;
  let lo = 0, hi = b.overflowAt.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (b.overflowAt[mid] < e) lo = mid + 1;
    else hi = mid;
  }
  return b.overflowCount[lo];
}

/** Decodes document `doc`: term ids into `ids`, counts into `cnt`; returns the number of entries. */
export function decodeRow(b: EncodedBlock, doc: number, ids: Int32Array, cnt: Int32Array): number {
  const g = b.gaps;
  let q = b.bytePtr[doc], id = -1;
  const e0 = b.entryPtr[doc], n = b.entryPtr[doc + 1] - e0;
  for (let e = 0; e < n; e++) {
    let x = g[q++], gap = x & 127, shift = 7;
    while (x > 127) {
      x = g[q++];
      gap |= (x & 127) << shift;
      shift += 7;
    }
    id += gap;
    ids[e] = id;
    cnt[e] = countAt(b, e0 + e, b.counts[e0 + e]);
  }
  return n;
}

/** Bytes held by a block's shared arrays. */
export function blockBytes(b: EncodedBlock): number {
  return [b.bytePtr, b.entryPtr, b.gaps, b.counts, b.overflowAt, b.overflowCount, b.rank].reduce((s, a) => s + a.byteLength, 0);
}
