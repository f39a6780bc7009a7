/**
 * What the fine-tuning graph reads besides the cached layer: the standardisation of each head's
 * pooled vector (from the frozen features of the fold's training rows — the pretrained layers'
 * own output, so the head starts on the scale its frozen twin was fitted on) and, for
 * weightedLayer, the frozen layers' vectors of a batch, read from disk per batch.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import type { HeadName } from "../config.js";
import type { FeatureSplit } from "../features/store.js";
import { readNpyInfo } from "../io/npy.js";
import { fitStandardizer } from "../heads/linear.js";
import { tokenStats } from "../heads/attention.js";
import { TokenSource } from "../heads/tokenSource.js";

/** Rows at a time when streaming a per-row array. */
const CHUNK = 1024;

/**
 * pmu / psd of the graph: per-feature mean and sd of the frozen pooled vectors (mean, max, min),
 * of the last layer's tokens (attention), or the frozen weightedLayer head's per-feature centring
 * with one global scale over the mixed layers.
 */
export function pooledStats(head: HeadName, train: FeatureSplit, rows: Int32Array, layers: { array: "layers_cls" | "layers_mean"; from: number }): { mu: Float32Array; sd: Float32Array } {
  if (head === "attention") {
    const src = new TokenSource(train);
    try {
      return tokenStats(src, rows);
    } finally {
      src.close();
    }
  }
  if (head === "weightedLayer") return layerStats(train, rows, layers.array, layers.from);
  const X = train.load(head);
  const s = fitStandardizer(X.data as Float32Array, X.shape[1], rows);
  return { mu: Float32Array.from(s.mu), sd: Float32Array.from(s.sd) };
}

/** Per-feature mean over the rows' layers from..L and one global sd (as the frozen weightedLayer head), streamed. */
function layerStats(train: FeatureSplit, rows: Int32Array, array: "layers_cls" | "layers_mean", from: number): { mu: Float32Array; sd: Float32Array } {
  const H = train.manifest.hiddenSize, L1 = train.manifest.numLayers + 1;
  const want = new Uint8Array(train.rows);
  for (const r of rows) want[r] = 1;
  const sum = new Float64Array(H), sq = new Float64Array(H);
  let n = 0;
  for (let start = 0; start < train.rows; start += CHUNK) {
    const part = train.loadRows(array, start, Math.min(train.rows, start + CHUNK)).data as Float32Array;
    for (let i = 0; i < part.length / (L1 * H); i++) {
      if (!want[start + i]) continue;
      for (let l = from; l < L1; l++, n++)
        for (let j = 0; j < H; j++) {
          const v = part[(i * L1 + l) * H + j];
          sum[j] += v;
          sq[j] += v * v;
        }
    }
  }
  const mu = Float32Array.from(sum, (s) => s / Math.max(1, n));
  let ss = 0;
  for (let j = 0; j < H; j++) ss += sq[j] - n * mu[j] * mu[j];
  const scale = Math.sqrt(Math.max(ss, 0) / Math.max(1, n * H)) || 1;
  return { mu, sd: new Float32Array(H).fill(scale) };
}

/** The cached [CLS] / mean vectors of layers from..from+count−1 of given rows, [rows × count × H], read per batch. */
export class LayerRows {
  private readonly fd: number;
  private readonly dataOffset: number;
  private readonly H: number;
  private readonly L1: number;

  constructor(split: FeatureSplit, array: "layers_cls" | "layers_mean", private readonly from: number, readonly count: number) {
    const file = join(split.dir, `${array}.npy`);
    this.fd = openSync(file, "r");
    this.dataOffset = readNpyInfo(this.fd, file).dataOffset;
    this.H = split.manifest.hiddenSize;
    this.L1 = split.manifest.numLayers + 1;
  }

  read(rows: ArrayLike<number>): Float32Array {
    const { H, L1, count } = this;
    const out = new Float32Array(rows.length * count * H);
    const bytes = Buffer.from(out.buffer);
    for (let i = 0; i < rows.length; i++) readSync(this.fd, bytes, i * count * H * 4, count * H * 4, this.dataOffset + (rows[i] * L1 + this.from) * H * 4);
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}
