/**
 * A BERT checkpoint read straight from its `.safetensors` bytes, independently of src/: the format
 * is an 8-byte little-endian header length, a JSON header (dtype, shape, byte offsets per tensor),
 * then the raw little-endian tensors. And one encoder layer's weights in the layout of the
 * fine-tuning graph, written from its documented parameter contract (x·W matrices [in, out],
 * q/k/v packed side by side as [q | k | v]).
 */
import { readFileSync } from "node:fs";

export interface CheckpointTensor {
  dtype: string;
  shape: number[];
  /** the values, widened exactly to float32 */
  data: Float32Array;
}

/** IEEE 754 binary16 → number (every half is exact in float32). */
export function half(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The F16 / F32 tensors of the file whose names `keep` accepts, by name. */
export function readCheckpoint(file: string, keep: (name: string) => boolean = () => true): Map<string, CheckpointTensor> {
  const buf = readFileSync(file);
  const headerLength = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.toString("utf8", 8, 8 + headerLength)) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, CheckpointTensor>();
  for (const [name, t] of Object.entries(header)) {
    if (name === "__metadata__" || (t.dtype !== "F16" && t.dtype !== "F32") || !keep(name)) continue;
    const start = 8 + headerLength + t.data_offsets[0];
    const n = t.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = t.dtype === "F16" ? half(buf.readUInt16LE(start + 2 * i)) : buf.readFloatLE(start + 4 * i);
    out.set(name, { dtype: t.dtype, shape: t.shape, data });
  }
  return out;
}

/** Encoder layer `layer` of the checkpoint as the graph's `l?.<name>` parameters (PyTorch Linear weights are [out, in]). */
export function layerInGraphLayout(ckpt: Map<string, CheckpointTensor>, layer: number): Map<string, Float32Array> {
  const get = (n: string): CheckpointTensor => {
    const t = ckpt.get(`encoder.layer.${layer}.${n}`) ?? ckpt.get(`bert.encoder.layer.${layer}.${n}`);
    if (!t) throw new Error(`checkpoint has no encoder.layer.${layer}.${n}`);
    return t;
  };
  /** W [out, in] → Wᵀ [in, out] */
  const xW = (n: string): Float32Array => {
    const { shape: [rows, cols], data } = get(n);
    const out = new Float32Array(rows * cols);
    for (let o = 0; o < rows; o++) for (let i = 0; i < cols; i++) out[i * rows + o] = data[o * cols + i];
    return out;
  };
  const [q, k, v] = ["query", "key", "value"].map((n) => xW(`attention.self.${n}.weight`));
  const H = get("attention.self.query.weight").shape[0];
  const wqkv = new Float32Array(H * 3 * H);
  for (let i = 0; i < H; i++)
    for (let o = 0; o < H; o++) {
      wqkv[i * 3 * H + o] = q[i * H + o];
      wqkv[i * 3 * H + H + o] = k[i * H + o];
      wqkv[i * 3 * H + 2 * H + o] = v[i * H + o];
    }
  const bqkv = new Float32Array(3 * H);
  ["query", "key", "value"].forEach((n, j) => bqkv.set(get(`attention.self.${n}.bias`).data, j * H));
  return new Map([
    ["wqkv", wqkv], ["bqkv", bqkv],
    ["wo", xW("attention.output.dense.weight")], ["bo", get("attention.output.dense.bias").data],
    ["ln1g", get("attention.output.LayerNorm.weight").data], ["ln1b", get("attention.output.LayerNorm.bias").data],
    ["w1", xW("intermediate.dense.weight")], ["b1", get("intermediate.dense.bias").data],
    ["w2", xW("output.dense.weight")], ["b2", get("output.dense.bias").data],
    ["ln2g", get("output.LayerNorm.weight").data], ["ln2b", get("output.LayerNorm.bias").data],
  ]);
}
