/**
 * Token states of a feature split, read row by row from tokens.npy (or a cached lower layer,
 * hidden_<l>.npy, which shares its offsets) with positioned reads: a head never holds the whole
 * (possibly many-GB) file, and workers share the OS page cache.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { readNpyInfo } from "../io/npy.js";
import type { ArrayName, FeatureSplit } from "../features/store.js";

export class TokenSource {
  private readonly fd: number;
  private readonly dataOffset: number;
  readonly offsets: Float64Array;
  readonly H: number;

  constructor(split: FeatureSplit, array: ArrayName = "tokens") {
    const file = join(split.dir, `${array}.npy`);
    this.fd = openSync(file, "r");
    const info = readNpyInfo(this.fd, file);
    this.dataOffset = info.dataOffset;
    this.H = info.shape[1];
    this.offsets = split.offsets();
  }

  length(row: number): number {
    return this.offsets[row + 1] - this.offsets[row];
  }

  /** Packs rows into a zero-padded [B × T × H] float16 batch and its [B × T] mask. */
  batch(rows: ArrayLike<number>): { tokens: Uint16Array; mask: Float32Array; T: number } {
    const H = this.H;
    let T = 1;
    for (let i = 0; i < rows.length; i++) T = Math.max(T, this.length(rows[i]));
    const tokens = new Uint16Array(rows.length * T * H);
    const mask = new Float32Array(rows.length * T);
    const bytes = Buffer.from(tokens.buffer);
    for (let i = 0; i < rows.length; i++) {
      const len = this.length(rows[i]);
      readSync(this.fd, bytes, i * T * H * 2, len * H * 2, this.dataOffset + this.offsets[rows[i]] * H * 2);
      mask.fill(1, i * T, i * T + len);
    }
    return { tokens, mask, T };
  }

  close(): void {
    closeSync(this.fd);
  }
}
