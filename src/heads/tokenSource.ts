/**
 * Token states of a feature split, read row by row from tokens.npy (or a cached lower layer,
 * hidden_<l>.npy, which shares its offsets) with positioned reads: a head never holds the whole
 * (possibly many-GB) file, and workers share the OS page cache.
 */
import { join } from "node:path";
import { NpyReader } from "../io/npy.js";
import type { ArrayName, FeatureSplit } from "../store/features.js";
import { halfsToFloats } from "../io/safetensors.js";

export class TokenSource {
  private readonly npy: NpyReader;
  readonly offsets: Float64Array;
  readonly H: number;

  constructor(split: FeatureSplit, array: ArrayName = "tokens") {
    this.npy = new NpyReader(join(split.dir, `${array}.npy`));
    this.H = this.npy.info.shape[1];
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
      this.npy.readInto(bytes, i * T * H * 2, this.offsets[rows[i]] * H, len * H);
      mask.fill(1, i * T, i * T + len);
    }
    return { tokens, mask, T };
  }

  close(): void {
    this.npy.close();
  }
}

/** Per-feature mean and standard deviation of the token states of the given rows (float64 sums). */
export function tokenStats(src: TokenSource, rows: Int32Array): { mu: Float32Array; sd: Float32Array } {
  const H = src.H;
  const s = new Float64Array(H), ss = new Float64Array(H);
  let n = 0;
  for (let i = 0; i < rows.length; i += 64) {
    const part = rows.subarray(i, i + 64);
    const b = src.batch(part);
    const x = halfsToFloats(b.tokens);
    for (let r = 0; r < b.mask.length; r++) {
      if (!b.mask[r]) continue;
      n++;
      for (let j = 0; j < H; j++) {
        const v = x[r * H + j];
        s[j] += v;
        ss[j] += v * v;
      }
    }
  }
  const mu = Float32Array.from(s, (v) => v / Math.max(1, n));
  const sd = Float32Array.from(ss, (v, j) => Math.sqrt(Math.max(v / Math.max(1, n) - mu[j] * mu[j], 0)) || 1);
  return { mu, sd };
}
