/**
 * Work-in-progress chunks of the feature pass. Each finished chunk is one file written
 * atomically, named by the hash of its rows, so a killed run resumes at the first missing
 * chunk and recomputes nothing already on disk.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { writeFileAtomic } from "../io/atomic.js";
import { bytesOf } from "../io/npy.js";
import type { RowFeatures } from "../backbone/backbone.js";

const MAGIC = "PBP2";

interface PartHeader {
  hashes: string[];
  lengths: number[];
  H: number;
  L1: number;
  /** lower layers whose token states follow each row's tokens */
  hiddenLayers: number[];
}

/** Writes a chunk: header JSON, then each row's arrays back to back. */
export function writePart(file: string, hashes: readonly string[], rows: readonly RowFeatures[], H: number, L1: number, hiddenLayers: readonly number[]): void {
  const header: PartHeader = { hashes: [...hashes], lengths: rows.map((r) => r.tokens.length / H), H, L1, hiddenLayers: [...hiddenLayers] };
  const hb = Buffer.from(JSON.stringify(header), "utf8");
  const pre = Buffer.alloc(8);
  pre.write(MAGIC, 0, "latin1");
  pre.writeUInt32LE(hb.length, 4);
  const chunks: Buffer[] = [pre, hb];
  for (const r of rows) chunks.push(bytesOf(r.mean), bytesOf(r.max), bytesOf(r.min), bytesOf(r.layersCls), bytesOf(r.layersMean), bytesOf(r.tokens), ...r.hidden.map(bytesOf));
  writeFileAtomic(file, Buffer.concat(chunks));
}

/** Random access to the rows of one chunk file. */
export class PartReader {
  private readonly fd: number;
  readonly header: PartHeader;
  private readonly starts: number[] = [];

  constructor(readonly file: string) {
    this.fd = openSync(file, "r");
    const pre = Buffer.alloc(8);
    readSync(this.fd, pre, 0, 8, 0);
    if (pre.toString("latin1", 0, 4) !== MAGIC) throw new Error(`${file}: not a poolblend chunk`);
    const hb = Buffer.alloc(pre.readUInt32LE(4));
    readSync(this.fd, hb, 0, hb.length, 8);
    this.header = JSON.parse(hb.toString("utf8")) as PartHeader;
    const { H, L1, hiddenLayers } = this.header;
    let off = 8 + hb.length;
    for (const len of this.header.lengths) {
      this.starts.push(off);
      off += (3 * H + 2 * L1 * H) * 4 + (1 + hiddenLayers.length) * len * H * 2;
    }
  }

  read(k: number): RowFeatures {
    const { H, L1, hiddenLayers } = this.header;
    const len = this.header.lengths[k];
    const fl = (3 * H + 2 * L1 * H) * 4;
    const buf = Buffer.alloc(fl + (1 + hiddenLayers.length) * len * H * 2);
    readSync(this.fd, buf, 0, buf.length, this.starts[k]);
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
    let o = 0;
    const take = (n: number): Float32Array => {
      const a = new Float32Array(ab, o, n);
      o += n * 4;
      return a;
    };
    const mean = take(H), max = take(H), min = take(H), layersCls = take(L1 * H), layersMean = take(L1 * H);
    const halves = (i: number): Uint16Array => new Uint16Array(ab, o + i * len * H * 2, len * H);
    return { mean, max, min, layersCls, layersMean, tokens: halves(0), hidden: hiddenLayers.map((_, i) => halves(1 + i)) };
  }

  close(): void {
    closeSync(this.fd);
  }
}
