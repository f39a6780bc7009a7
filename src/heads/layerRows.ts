/**
 * Per-layer vectors ([CLS] or mean, float32 [N, L+1, H] in the feature export) read a few layers
 * and a few rows at a time with positioned reads: at 49,000 rows the whole array is 527 MB, of
 * which the weighted-layer heads need three layers.
 */
import { join } from "node:path";
import type { FeatureSplit } from "../store/features.js";
import { NpyReader } from "../io/npy.js";

/** Rows at a time when streaming a per-row array. */
const CHUNK = 1024;

/** Calls `visit(row, vectors)` for each of `rows` (ascending), their layers from..L as [L+1−from × H], read a chunk of rows at a time. */
function eachRow(split: FeatureSplit, array: "layers_cls" | "layers_mean", from: number, rows: Int32Array, visit: (row: number, v: Float32Array) => void): void {
  const H = split.manifest.hiddenSize, L1 = split.manifest.numLayers + 1;
  const want = new Uint8Array(split.rows);
  for (const r of rows) want[r] = 1;
  for (let start = 0; start < split.rows; start += CHUNK) {
    const part = split.loadRows(array, start, Math.min(split.rows, start + CHUNK)).data as Float32Array;
    for (let i = 0; i < part.length / (L1 * H); i++) if (want[start + i]) visit(start + i, part.subarray((i * L1 + from) * H, (i + 1) * L1 * H));
  }
}

/**
 * The weighted-layer heads' standardisation from the fold's training rows: the per-feature mean
 * over layers from..L, and one global scale (one scale keeps the Σw-normalised mix meaningful).
 */
export function layerStats(train: FeatureSplit, rows: Int32Array, array: "layers_cls" | "layers_mean", from: number): { mu: Float64Array; scale: number } {
  const H = train.manifest.hiddenSize;
  const mu = new Float64Array(H);
  let cnt = 0;
  eachRow(train, array, from, rows, (_, v) => {
    for (let o = 0; o < v.length; o += H, cnt++) for (let j = 0; j < H; j++) mu[j] += v[o + j];
  });
  for (let j = 0; j < H; j++) mu[j] /= cnt;
  let ss = 0;
  eachRow(train, array, from, rows, (_, v) => {
    for (let o = 0; o < v.length; o += H) for (let j = 0; j < H; j++) ss += (v[o + j] - mu[j]) ** 2;
  });
  return { mu, scale: Math.sqrt(ss / (cnt * H)) || 1 };
}

/** Layers from..L of every row, standardised ((v − mu) / scale), float32 [N × (L+1−from) × H], streamed from disk. */
export function standardisedLayers(split: FeatureSplit, array: "layers_cls" | "layers_mean", from: number, mu: Float64Array, scale: number): Float32Array {
  const H = split.manifest.hiddenSize, nL = split.manifest.numLayers + 1 - from;
  const out = new Float32Array(split.rows * nL * H);
  eachRow(split, array, from, Int32Array.from({ length: split.rows }, (_, i) => i), (row, v) => {
    for (let k = 0; k < v.length; k++) out[row * nL * H + k] = (v[k] - mu[k % H]) / scale;
  });
  return out;
}

/** The cached [CLS] / mean vectors of layers from..from+count−1 of given rows, [rows × count × H], read per batch. */
export class LayerRows {
  private readonly npy: NpyReader;
  private readonly H: number;
  private readonly L1: number;

  constructor(split: FeatureSplit, array: "layers_cls" | "layers_mean", private readonly from: number, readonly count: number) {
    this.npy = new NpyReader(join(split.dir, `${array}.npy`));
    this.H = split.manifest.hiddenSize;
    this.L1 = split.manifest.numLayers + 1;
  }

  read(rows: ArrayLike<number>): Float32Array {
    const { H, L1, count } = this;
    const out = new Float32Array(rows.length * count * H);
    const bytes = Buffer.from(out.buffer);
    for (let i = 0; i < rows.length; i++) this.npy.readInto(bytes, i * count * H * 4, (rows[i] * L1 + this.from) * H, count * H);
    return out;
  }

  close(): void {
    this.npy.close();
  }
}
