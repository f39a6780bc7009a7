/**
 * NumPy `.npy` format 1.0 (little-endian, C order) — the on-disk feature format, so that the
 * cache is readable with `numpy.load` and memory-mappable from Python.
 */
import { openSync, readSync, closeSync, fstatSync, fsyncSync, writeSync } from "node:fs";
import { placeError } from "../util/errors.js";

export type NpyDtype = "<f4" | "<f2" | "<i8" | "<f8";

/** Typed array holding each dtype's elements (float16 as raw bits). */
export type NpyArray = Float32Array | Uint16Array | BigInt64Array | Float64Array;

export const BYTES: Record<NpyDtype, number> = { "<f4": 4, "<f2": 2, "<i8": 8, "<f8": 8 };

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00]);

/** The full header (magic, length, dict, padding) for an array of this dtype and shape. */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Buffer {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${dims}, }`;
  const unpadded = MAGIC.length + 2 + dict.length + 1;
  dict += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const len = Buffer.alloc(2);
  len.writeUInt16LE(dict.length);
  return Buffer.concat([MAGIC, len, Buffer.from(dict, "latin1")]);
}

/** Header facts of an `.npy` file. */
export interface NpyInfo {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset where the data starts. */
  dataOffset: number;
}

/** Parses the header of an open `.npy` file descriptor. */
function readNpyInfo(fd: number, file: string): NpyInfo {
  const pre = Buffer.alloc(10);
  if (readSync(fd, pre, 0, 10, 0) !== 10 || !pre.subarray(0, 6).equals(MAGIC.subarray(0, 6))) throw placeError({ file }, "not an .npy file");
  if (pre[6] !== 1) throw placeError({ file }, `unsupported .npy version ${pre[6]}.${pre[7]}`);
  const hlen = pre.readUInt16LE(8);
  const hb = Buffer.alloc(hlen);
  readSync(fd, hb, 0, hlen, 10);
  const h = hb.toString("latin1");
  const descr = /'descr':\s*'([^']+)'/.exec(h)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(h)?.[1];
  const shapeStr = /'shape':\s*\(([^)]*)\)/.exec(h)?.[1];
  if (!descr || !(descr in BYTES) || fortran !== "False" || shapeStr === undefined) throw placeError({ file }, `unsupported .npy header ${h.trim()}`);
  const shape = shapeStr.split(",").map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  return { dtype: descr as NpyDtype, shape, dataOffset: 10 + hlen };
}

/**
 * An open `.npy` file read a few elements at a time with positioned reads, so a caller never holds
 * a (possibly many-GB) array and worker threads share the OS page cache.
 */
export class NpyReader {
  private readonly fd: number;
  readonly info: NpyInfo;
  private readonly bytesPer: number;

  constructor(readonly file: string) {
    this.fd = openSync(file, "r");
    this.info = readNpyInfo(this.fd, file);
    this.bytesPer = BYTES[this.info.dtype];
  }

  /** Copies `count` elements starting at flat element index `start` into `into` at byte `at`. */
  readInto(into: Buffer, at: number, start: number, count: number): void {
    readSync(this.fd, into, at, count * this.bytesPer, this.info.dataOffset + start * this.bytesPer);
  }

  close(): void {
    closeSync(this.fd);
  }
}

function makeArray(dtype: NpyDtype, buf: Buffer): NpyArray {
  // copy into a fresh, aligned ArrayBuffer
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  switch (dtype) {
    case "<f4": return new Float32Array(ab);
    case "<f2": return new Uint16Array(ab);
    case "<i8": return new BigInt64Array(ab);
    case "<f8": return new Float64Array(ab);
  }
}

/** A loaded array. */
export interface Npy<T extends NpyArray = NpyArray> {
  dtype: NpyDtype;
  shape: number[];
  data: T;
}

/**
 * Reads rows [start, end) along the first axis of an `.npy` file without loading the rest —
 * token files can be many GB.
 */
export function readNpyRows(file: string, start?: number, end?: number): Npy {
  const fd = openSync(file, "r");
  try {
    const info = readNpyInfo(fd, file);
    const rowElems = info.shape.slice(1).reduce((a, b) => a * b, 1);
    const n = info.shape[0] ?? 1;
    const s = start ?? 0;
    const e = Math.min(end ?? n, n);
    const rowBytes = rowElems * BYTES[info.dtype];
    const expected = info.dataOffset + n * rowBytes;
    if (fstatSync(fd).size !== expected) throw placeError({ file }, `truncated or oversized .npy (size ${fstatSync(fd).size}, expected ${expected})`);
    const buf = Buffer.alloc(Math.max(0, e - s) * rowBytes);
    let got = 0;
    while (got < buf.length) {
      const k = readSync(fd, buf, got, buf.length - got, info.dataOffset + s * rowBytes + got);
      if (k === 0) break;
      got += k;
    }
    return { dtype: info.dtype, shape: [Math.max(0, e - s), ...info.shape.slice(1)], data: makeArray(info.dtype, buf) };
  } finally {
    closeSync(fd);
  }
}

/** Reads a whole `.npy` file. */
export function readNpy(file: string): Npy {
  return readNpyRows(file);
}

/** Raw little-endian bytes of a typed array (this code only runs on little-endian hosts). */
export function bytesOf(a: NpyArray | Int32Array | Uint8Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Appends rows to an `.npy` file whose full shape is known up front, with buffered writes.
 * `close()` fsyncs; the caller renames the folder, so a partial file is never taken as done.
 */
export class NpyWriter {
  private readonly fd: number;
  private buf: Buffer;
  private used = 0;
  private written = 0;
  private readonly expected: number;

  constructor(readonly file: string, dtype: NpyDtype, shape: readonly number[], bufferBytes = 4 << 20) {
    this.fd = openSync(file, "w");
    const h = npyHeader(dtype, shape);
    writeAll(this.fd, h);
    this.expected = shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
    this.buf = Buffer.alloc(bufferBytes);
  }

  write(a: NpyArray | Int32Array): void {
    const src = bytesOf(a);
    if (src.length > this.buf.length - this.used) this.flush();
    if (src.length > this.buf.length) {
      writeAll(this.fd, src);
      this.written += src.length;
      return;
    }
    src.copy(this.buf, this.used);
    this.used += src.length;
  }

  private flush(): void {
    if (this.used === 0) return;
    writeAll(this.fd, this.buf.subarray(0, this.used));
    this.written += this.used;
    this.used = 0;
  }

  close(): void {
    this.flush();
    if (this.written !== this.expected) {
      closeSync(this.fd);
      throw new Error(`${this.file}: wrote ${this.written} bytes, shape needs ${this.expected}`);
    }
    fsyncSync(this.fd);
    closeSync(this.fd);
  }
}

function writeAll(fd: number, b: Buffer): void {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off);
}
