/**
 * What the fine-tuning graph reads besides the cached layer: the standardisation of each head's
 * pooled vector (from the frozen features of the fold's training rows — the pretrained layers'
 * own output, so the head starts on the scale its frozen twin was fitted on) and, for
 * weightedLayer, the frozen layers' vectors of a batch (heads/layerRows.ts).
 */
import type { HeadName } from "../models/names.js";
import type { FeatureSplit } from "../store/features.js";
import { fitStandardizer } from "../heads/linear.js";
import { layerStats } from "../heads/layerRows.js";
import { TokenSource, tokenStats } from "../heads/tokenSource.js";

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
  if (head === "weightedLayer") {
    const { mu, scale } = layerStats(train, rows, layers.array, layers.from);
    return { mu: Float32Array.from(mu), sd: new Float32Array(mu.length).fill(scale) };
  }
  const X = train.load(head);
  const s = fitStandardizer(X.data as Float32Array, X.shape[1], rows);
  return { mu: Float32Array.from(s.mu), sd: Float32Array.from(s.sd) };
}
