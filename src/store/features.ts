/**
 * The on-disk feature export (README "Outputs"): one folder per split with `.npy` arrays,
 * `ids.csv` and `manifest.json`. Readers check the format version so that a cache written by
 * another version is refused, never misread.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { NpyReader, NpyWriter, readNpy, readNpyRows, type Npy } from "../io/npy.js";
import { readCsv, column } from "../io/csv.js";
import { UserError } from "../util/errors.js";
import type { RowFeatures } from "../backbone/backbone.js";

/** Bumped whenever file layout or meaning changes. */
export const FEATURE_FORMAT = 1;

export const ARRAY_FILES = ["mean", "max", "min", "layers_cls", "layers_mean", "tokens", "offsets"] as const;
/** The fixed arrays, and `hidden_<l>`: the valid tokens' float16 states of layer l (README "Outputs"), stored for the fine-tuned heads. */
export type ArrayName = (typeof ARRAY_FILES)[number] | `hidden_${number}`;

/** File stem of the cached states of layer l. */
export function hiddenArray(layer: number): `hidden_${number}` {
  return `hidden_${layer}`;
}

/** What makes cached features valid: same model, tokenizer, length and format. */
export interface CacheKey {
  format: number;
  onnxSha256: string;
  tokenizerSha256: string;
  maxLength: number;
}

export interface Manifest extends CacheKey {
  rows: number;
  tokens: number;
  hiddenSize: number;
  numLayers: number;
  textColumns: string[];
  /** sha256 (first 32 hex) of each row's text columns, row order */
  rowHashes: string[];
  /** layers whose token states are stored as hidden_<l>.npy (absent in exports of older versions: none) */
  hiddenLayers?: number[];
}

/** timing.json beside the manifest: seconds per stage of the pass that wrote the export (kept apart so the export itself is deterministic). */
export interface Timing {
  seconds: number;
  tokenize: number;
  forward: number;
  pooling: number;
  write: number;
  forwardRows: number;
}

export function readTiming(dir: string): Timing | undefined {
  const f = join(dir, "timing.json");
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as Timing) : undefined;
}

export function sameKey(a: CacheKey, b: CacheKey): boolean {
  return a.format === b.format && a.onnxSha256 === b.onnxSha256 && a.tokenizerSha256 === b.tokenizerSha256 && a.maxLength === b.maxLength;
}

/** Reads a split folder's manifest, or undefined when there is none. */
export function readManifest(dir: string): Manifest | undefined {
  const f = join(dir, "manifest.json");
  if (!existsSync(f)) return undefined;
  const m = JSON.parse(readFileSync(f, "utf8")) as Manifest;
  return m;
}

/** An opened, complete feature split. */
export class FeatureSplit {
  private constructor(
    readonly dir: string,
    readonly manifest: Manifest,
    readonly ids: string[],
  ) {}

  static open(dir: string): FeatureSplit {
    const m = readManifest(dir);
    if (!m) throw new UserError(`${dir}: no features here (run npm run features first)`);
    if (m.format !== FEATURE_FORMAT) throw new UserError(`${dir}/manifest.json: feature format ${m.format}, this poolblend reads ${FEATURE_FORMAT}; rerun npm run features`);
    for (const a of [...ARRAY_FILES, ...(m.hiddenLayers ?? []).map(hiddenArray)]) if (!existsSync(join(dir, `${a}.npy`))) throw new UserError(`${dir}/${a}.npy: missing; rerun npm run features`);
    return new FeatureSplit(dir, m, column(readCsv(join(dir, "ids.csv")), "id"));
  }

  get rows(): number {
    return this.manifest.rows;
  }

  /** Layers whose token states this export holds. */
  get hiddenLayers(): number[] {
    return this.manifest.hiddenLayers ?? [];
  }

  load(name: ArrayName): Npy {
    return readNpy(join(this.dir, `${name}.npy`));
  }

  /** Token offsets as plain numbers ([N+1]). */
  offsets(): Float64Array {
    const o = this.load("offsets").data as BigInt64Array;
    return Float64Array.from(o, (x) => Number(x));
  }

  /** Reads rows [start,end) of one array without loading the rest. */
  loadRows(name: ArrayName, start: number, end: number): Npy {
    return readNpyRows(join(this.dir, `${name}.npy`), start, end);
  }
}

/** Random access to single rows of a finished split (to reuse cached rows in a new export). */
export class SplitRowReader {
  private readonly arrays = new Map<ArrayName, NpyReader>();
  readonly offsets: Float64Array;
  private readonly H: number;
  private readonly L1: number;

  /** `hiddenLayers`: the layers to read (the export must hold them). */
  constructor(readonly split: FeatureSplit, private readonly hiddenLayers: readonly number[]) {
    for (const a of [...ARRAY_FILES, ...hiddenLayers.map(hiddenArray)]) this.arrays.set(a, new NpyReader(join(split.dir, `${a}.npy`)));
    this.offsets = split.offsets();
    this.H = split.manifest.hiddenSize;
    this.L1 = split.manifest.numLayers + 1;
  }

  private bytes(a: ArrayName, elemOffset: number, elems: number, bytesPer: number): ArrayBuffer {
    const buf = Buffer.alloc(elems * bytesPer);
    this.arrays.get(a)!.readInto(buf, 0, elemOffset, elems);
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
  }

  read(i: number): RowFeatures {
    const H = this.H, LH = this.L1 * H;
    const t0 = this.offsets[i], t1 = this.offsets[i + 1];
    return {
      mean: new Float32Array(this.bytes("mean", i * H, H, 4)),
      max: new Float32Array(this.bytes("max", i * H, H, 4)),
      min: new Float32Array(this.bytes("min", i * H, H, 4)),
      layersCls: new Float32Array(this.bytes("layers_cls", i * LH, LH, 4)),
      layersMean: new Float32Array(this.bytes("layers_mean", i * LH, LH, 4)),
      tokens: new Uint16Array(this.bytes("tokens", t0 * H, (t1 - t0) * H, 2)),
      hidden: this.hiddenLayers.map((l) => new Uint16Array(this.bytes(hiddenArray(l), t0 * H, (t1 - t0) * H, 2))),
    };
  }

  close(): void {
    for (const r of this.arrays.values()) r.close();
    this.arrays.clear();
  }
}

/**
 * Writes the arrays of one split folder row by row (README "Outputs"). N and the total token
 * count T must be known up front for the `.npy` headers; offsets are accumulated as rows arrive.
 */
export class ExportWriter {
  private readonly w: Record<"mean" | "max" | "min" | "layersCls" | "layersMean" | "tokens", NpyWriter>;
  private readonly hidden: NpyWriter[];
  private readonly offsets: BigInt64Array;
  private row = 0;

  constructor(private readonly dir: string, private readonly N: number, T: number, private readonly H: number, L1: number, hiddenLayers: readonly number[] = []) {
    this.w = {
      mean: new NpyWriter(join(dir, "mean.npy"), "<f4", [N, H]),
      max: new NpyWriter(join(dir, "max.npy"), "<f4", [N, H]),
      min: new NpyWriter(join(dir, "min.npy"), "<f4", [N, H]),
      layersCls: new NpyWriter(join(dir, "layers_cls.npy"), "<f4", [N, L1, H]),
      layersMean: new NpyWriter(join(dir, "layers_mean.npy"), "<f4", [N, L1, H]),
      tokens: new NpyWriter(join(dir, "tokens.npy"), "<f2", [T, H], 32 << 20),
    };
    this.hidden = hiddenLayers.map((l) => new NpyWriter(join(dir, `${hiddenArray(l)}.npy`), "<f2", [T, H], 32 << 20));
    this.offsets = new BigInt64Array(N + 1);
  }

  write(r: RowFeatures): void {
    for (const k of ["mean", "max", "min", "layersCls", "layersMean", "tokens"] as const) this.w[k].write(r[k]);
    this.hidden.forEach((w, i) => w.write(r.hidden[i]));
    this.offsets[this.row + 1] = this.offsets[this.row] + BigInt(r.tokens.length / this.H);
    this.row++;
  }

  /** Closes every array (each checks it got exactly its shape's bytes) and writes offsets.npy. */
  close(): void {
    for (const x of [...Object.values(this.w), ...this.hidden]) x.close();
    const off = new NpyWriter(join(this.dir, "offsets.npy"), "<i8", [this.N + 1]);
    off.write(this.offsets);
    off.close();
  }
}
