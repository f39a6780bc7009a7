/**
 * Synthetic feature exports in the real on-disk format, for testing what each head can learn.
 * Token states come from a seeded generator; the pooled arrays are made with the heads' own
 * pooling definitions.
 */
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeCsv } from "../../src/io/csv.js";
import { writeFileAtomic } from "../../src/io/atomic.js";
import { ExportWriter, FEATURE_FORMAT, FeatureSplit, type Manifest } from "../../src/store/features.js";
import { mulberry32 } from "../../src/util/random.js";
import { pool as meanPool } from "../../src/heads/mean.js";
import { pool as maxPool } from "../../src/heads/max.js";
import { pool as minPool } from "../../src/heads/min.js";
import type { FeatureSources } from "../../src/heads/types.js";

export interface SyntheticRow {
  /** [T × H] token states */
  tokens: Float32Array;
  /** [L1 × H] per-layer vectors (used as both layers_cls and layers_mean) */
  layers: Float32Array;
}

export function gaussian(seed: number): () => number {
  const r = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

function halfBits(x: number): number {
  const f = new Float32Array([x]);
  const i = new Uint32Array(f.buffer)[0];
  const sign = (i >>> 16) & 0x8000;
  let e = ((i >>> 23) & 0xff) - 127 + 15;
  let m = i & 0x7fffff;
  if (e <= 0) return sign;
  if (e >= 31) return sign | 0x7c00;
  // round to nearest even
  const rest = m & 0x1fff;
  m >>= 13;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
    }
  }
  return sign | (e << 10) | m;
}

export function writeSplit(dir: string, rows: SyntheticRow[], H: number, L1: number): FeatureSplit {
  mkdirSync(dir, { recursive: true });
  const N = rows.length;
  const T = rows.reduce((a, r) => a + r.tokens.length / H, 0);
  const w = new ExportWriter(dir, N, T, H, L1);
  for (const r of rows) {
    const t = r.tokens.length / H;
    w.write({
      mean: Float32Array.from(meanPool(r.tokens, t, H)),
      max: Float32Array.from(maxPool(r.tokens, t, H)),
      min: Float32Array.from(minPool(r.tokens, t, H)),
      layersCls: r.layers,
      layersMean: r.layers,
      tokens: Uint16Array.from(r.tokens, halfBits),
      hidden: [],
    });
  }
  w.close();
  writeCsv(join(dir, "ids.csv"), ["id"], rows.map((_, i) => [String(i)]));
  const m: Manifest = { format: FEATURE_FORMAT, onnxSha256: "synthetic", tokenizerSha256: "synthetic", maxLength: 0, rows: N, tokens: T, hiddenSize: H, numLayers: L1 - 1, textColumns: ["text"], rowHashes: rows.map((_, i) => String(i)) };
  writeFileAtomic(join(dir, "manifest.json"), JSON.stringify(m));
  return FeatureSplit.open(dir);
}

/** Writes train and test splits to a temp folder. */
export function syntheticSources(train: SyntheticRow[], test: SyntheticRow[], H: number, L1: number): FeatureSources {
  const root = mkdtempSync(join(tmpdir(), "pb-syn-"));
  return { train: writeSplit(join(root, "train"), train, H, L1), test: writeSplit(join(root, "test"), test, H, L1) };
}
