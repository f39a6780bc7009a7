/** Minimal safetensors reader: header JSON + raw little-endian tensors, F16/F32 widened to Float32Array. */
import { readFileSync, writeFileSync } from "node:fs";
import { placeError } from "../util/errors.js";

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/** IEEE 754 half → float, exact (every half is representable as a float). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const HALF_TABLE = (() => {
  const t = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) t[i] = halfToFloat(i);
  return t;
})();

/** Widens raw float16 bits to float32. */
export function halfsToFloats(bits: Uint16Array, out = new Float32Array(bits.length)): Float32Array {
  for (let i = 0; i < bits.length; i++) out[i] = HALF_TABLE[bits[i]];
  return out;
}

/** Reads the floating-point tensors of a `.safetensors` file (those `keep` accepts). */
export function readSafetensors(file: string, keep: (name: string) => boolean = () => true): Map<string, Tensor> {
  const buf = readFileSync(file);
  const n = buf.length >= 8 ? Number(buf.readBigUInt64LE(0)) : Infinity;
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    if (8 + n > buf.length) throw new Error("header runs past the end");
    header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8")) as typeof header;
  } catch (e) {
    throw placeError({ file }, `not a safetensors file (${(e as Error).message})`);
  }
  const base = 8 + n;
  const out = new Map<string, Tensor>();
  for (const [name, t] of Object.entries(header)) {
    if (name === "__metadata__" || !keep(name)) continue;
    const [a, b] = t.data_offsets;
    const bytes = buf.subarray(base + a, base + b);
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    if (t.dtype === "F16") out.set(name, { shape: t.shape, data: halfsToFloats(new Uint16Array(ab)) });
    else if (t.dtype === "F32") out.set(name, { shape: t.shape, data: new Float32Array(ab) });
    else if (t.dtype === "I64" || t.dtype === "I32") continue;
    else throw placeError({ file }, `tensor ${name}: unsupported dtype ${t.dtype}`);
  }
  return out;
}

/** Writes float32 tensors as a `.safetensors` file (header JSON padded to 8 bytes, then the data). */
export function writeSafetensors(file: string, tensors: ReadonlyMap<string, Tensor>): void {
  const header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const parts: Uint8Array[] = [len, Buffer.from(json)];
  for (const t of tensors.values()) parts.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  writeFileSync(file, Buffer.concat(parts));
}
