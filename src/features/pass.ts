/**
 * The feature pass: texts → backbone → the feature export (README "Outputs"), streamed to disk,
 * cached by per-row text hash, resumable after a kill, swapped into place atomically.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Backbone, RowFeatures, StageTimes } from "../backbone/backbone.js";
import type { Encoded } from "../backbone/tokenizer.js";
import { lengthOrder, tokenBudgetBatches } from "../backbone/batching.js";
import { writeCsv } from "../io/csv.js";
import { writeFileAtomic, fsyncDir } from "../io/atomic.js";
import { sha256 } from "../util/hash.js";
import { Progress } from "../util/progress.js";
import { checkpoint } from "../util/faults.js";
import { PartReader, writePart } from "./parts.js";
import { ExportWriter, FEATURE_FORMAT, FeatureSplit, SplitRowReader, readManifest, sameKey, type CacheKey, type Manifest } from "../store/features.js";

export interface SplitInput {
  name: string;
  ids: readonly string[];
  texts: readonly (readonly string[])[];
}

export interface FeaturePassOptions {
  backbone: Backbone;
  /** runs/<name>/features */
  featuresDir: string;
  textColumns: string[];
  batchTokens: number;
  /** lower layers whose token states are stored too (hidden_<l>.npy), for the fine-tuned heads */
  hiddenLayers?: readonly number[];
  /** A chunk (unit of resume) holds at most this many rows … */
  chunkRows?: number;
  /** … and this many tokens. */
  chunkTokens?: number;
  /** Called after each finished chunk; tests use it to kill mid-run. */
  onChunk?: (chunksDone: number) => void;
  /** Computes the missing chunks elsewhere before the pass looks for them (without it, all are computed here). */
  chunkRunner?: ChunkRunner;
}

/** Has a split's missing chunks computed into its work folder (the queue's workers: src/queue/runners.ts). */
export type ChunkRunner = (plan: ChunkPlan) => Promise<void>;

export interface SplitResult {
  split: string;
  rows: number;
  /** rows that went through the backbone in this run */
  forwardRows: number;
  /** rows taken from the previous export */
  reusedRows: number;
  /** rows found in chunks left by an interrupted run */
  resumedRows: number;
  /** rows computed by a chunk runner elsewhere (a queue's workers) */
  queuedRows?: number;
  tokens: number;
  forwardTokens: number;
  unchanged: boolean;
  seconds: number;
  times: StageTimes;
}

/** Hash of one row's text columns. */
export function rowHash(texts: readonly string[]): string {
  return sha256(JSON.stringify(texts)).slice(0, 32);
}

/** A chunk's file: named by its rows' text hashes, so a rerun finds the chunks already made. */
function partName(rows: readonly number[], hashes: readonly string[]): string {
  return `part-${sha256(rows.map((i) => hashes[i]).join(",")).slice(0, 24)}.bin`;
}

/** One chunk to compute: rows (length-sorted) of the split, their encodings, lengths and text hashes, and its file. */
export interface ChunkRows {
  rows: readonly number[];
  encoded: (row: number) => Encoded;
  lengths: ArrayLike<number>;
  hashes: readonly string[];
  file: string;
}

/** Runs a chunk's rows through the backbone in token-budget batches and writes its part file; `onBatch` sees each batch's rows. */
export async function computeChunk(backbone: Backbone, c: ChunkRows, batchTokens: number, hiddenLayers: readonly number[], times: StageTimes, onBatch: (rows: number[]) => void = () => {}): Promise<void> {
  const feats = new Map<number, RowFeatures>();
  for (const b of tokenBudgetBatches(c.rows, c.lengths, batchTokens)) {
    const out = await backbone.forward(b.map(c.encoded), times, hiddenLayers);
    b.forEach((i, k) => feats.set(i, out[k]));
    checkpoint("forward");
    onBatch(b);
  }
  const t0 = performance.now();
  writePart(c.file, c.rows.map((i) => c.hashes[i]), c.rows.map((i) => feats.get(i)!), backbone.info.hiddenSize, backbone.info.numLayers + 1, hiddenLayers);
  times.write += performance.now() - t0;
}

/** The chunks a pass still needs, for a runner that computes them elsewhere (a queue's workers) and writes their files into `workDir`. */
export interface ChunkPlan {
  split: string;
  workDir: string;
  chunks: { rows: number[]; file: string }[];
  texts: readonly (readonly string[])[];
  hashes: readonly string[];
  hiddenLayers: readonly number[];
  batchTokens: number;
  backbone: Backbone["info"];
}

/** Puts back a split folder if a kill hit between the two renames of the swap. */
function recover(finalDir: string): void {
  const old = `${finalDir}.old`;
  if (!existsSync(finalDir) && existsSync(old)) renameSync(old, finalDir);
  rmSync(old, { recursive: true, force: true });
  rmSync(`${finalDir}.staging`, { recursive: true, force: true });
}

function sameIds(dir: string, ids: readonly string[]): boolean {
  try {
    return FeatureSplit.open(dir).ids.every((id, i) => id === ids[i]);
  } catch {
    return false;
  }
}

/** A previous export serves (at least for reuse of its rows) when made with this key and holding every layer asked for: a new layer needs the backbone again. */
function serves(prev: Manifest, key: CacheKey, hiddenLayers: readonly number[]): boolean {
  return sameKey(prev, key) && hiddenLayers.every((l) => (prev.hiddenLayers ?? []).includes(l));
}

function unchangedExport(dir: string, prev: Manifest, hashes: readonly string[], ids: readonly string[]): boolean {
  return prev.rows === hashes.length && prev.rowHashes.every((h, i) => h === hashes[i]) && sameIds(dir, ids);
}

/**
 * The split's export when it is already exactly what a pass would write (same key, rows, ids, and
 * the layers asked for) — checked without the model loaded, so a cached run never starts ONNX Runtime.
 */
export function cachedSplit(input: SplitInput, featuresDir: string, key: CacheKey, hiddenLayers: readonly number[]): Manifest | undefined {
  const dir = join(featuresDir, input.name);
  recover(dir);
  const prev = readManifest(dir);
  return prev && serves(prev, key, hiddenLayers) && unchangedExport(dir, prev, input.texts.map(rowHash), input.ids) ? prev : undefined;
}

/** The first row of every text hash the previous export does not hold: the rows the backbone must see. */
function rowsToCompute(hashes: readonly string[], reuse: ReadonlyMap<string, number>): number[] {
  const need: number[] = [];
  const seen = new Set<string>();
  hashes.forEach((h, i) => {
    if (!reuse.has(h) && !seen.has(h)) {
      seen.add(h);
      need.push(i);
    }
  });
  return need;
}

/** The split's work folder for chunks; a different model/tokenizer/length or other stored layers invalidate it. */
function openWorkDir(featuresDir: string, split: string, key: CacheKey, hiddenLayers: readonly number[]): string {
  const workDir = join(featuresDir, ".work", split);
  const keyFile = join(workDir, "key.json");
  const workKey = JSON.stringify({ ...key, hiddenLayers });
  if (existsSync(workDir) && (!existsSync(keyFile) || readFileSync(keyFile, "utf8") !== workKey)) rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  if (!existsSync(keyFile)) writeFileAtomic(keyFile, workKey);
  return workDir;
}

/** Tokenizes the rows that must be computed; their token counts land in `lengths`. */
function tokenizeRows(input: SplitInput, need: readonly number[], backbone: Backbone, times: StageTimes, lengths: Int32Array): Map<number, Encoded> {
  const tt = performance.now();
  const encoded = new Map<number, Encoded>();
  const tokProgress = new Progress(`tokenize ${input.name}`, need.length);
  need.forEach((i, k) => {
    encoded.set(i, backbone.tokenizer.encode(input.texts[i]));
    checkpoint("tokenize");
    if (k % 256 === 0) tokProgress.update(k);
  });
  tokProgress.done();
  times.tokenize += performance.now() - tt;
  for (const [i, e] of encoded) lengths[i] = e.ids.length;
  return encoded;
}

/** Chunks (units of resume) over the length-sorted rows: similar lengths batch with little padding. */
function chunkRows(order: readonly number[], lengths: Int32Array, maxRows: number, maxTokens: number): number[][] {
  const chunks: number[][] = [];
  let cur: number[] = [];
  let curTok = 0;
  for (const i of order) {
    if (cur.length > 0 && (cur.length >= maxRows || curTok + lengths[i] > maxTokens)) {
      chunks.push(cur);
      cur = [];
      curTok = 0;
    }
    cur.push(i);
    curTok += lengths[i];
  }
  if (cur.length) chunks.push(cur);
  return chunks;
}

interface ChunkCounts {
  forwardRows: number;
  forwardTokens: number;
  resumedRows: number;
}

/** Computes every chunk not on disk yet (resumed ones are counted), then clears the work folder of other runs' chunks. Returns the part files in chunk order. */
async function computeChunks(input: SplitInput, opts: FeaturePassOptions, work: { dir: string; chunks: number[][]; encoded: Map<number, Encoded>; lengths: Int32Array; hashes: readonly string[]; hiddenLayers: readonly number[]; times: StageTimes; totalTokens: number }, counts: ChunkCounts): Promise<string[]> {
  const { dir: workDir, chunks, encoded, lengths, hashes } = work;
  const partFiles: string[] = [];
  const keep = new Set<string>(["key.json"]);
  let doneRows = 0;
  const progress = new Progress(`features ${input.name}`, chunks.reduce((a, c) => a + c.length, 0));
  const tf = performance.now();
  for (const [c, chunk] of chunks.entries()) {
    const name = partName(chunk, hashes);
    const file = join(workDir, name);
    partFiles.push(file);
    keep.add(name);
    if (existsSync(file)) {
      counts.resumedRows += chunk.length;
      doneRows += chunk.length;
      continue;
    }
    await computeChunk(opts.backbone, { rows: chunk, encoded: (i) => encoded.get(i)!, lengths, hashes, file }, opts.batchTokens, work.hiddenLayers, work.times, (b) => {
      counts.forwardRows += b.length;
      doneRows += b.length;
      for (const i of b) counts.forwardTokens += lengths[i];
      const secs = (performance.now() - tf) / 1000;
      progress.update(doneRows, `${(counts.forwardTokens / secs).toFixed(0)} tok/s of ${work.totalTokens} tokens`);
    });
    opts.onChunk?.(c + 1);
  }
  progress.done();
  // chunks of an older, different run are dead weight
  for (const f of readdirSync(workDir)) if (!keep.has(f)) rmSync(join(workDir, f), { force: true });
  return partFiles;
}

/** Writes the export into `staging` in row order, from the chunks and the previous export. Returns the tokens and the rows taken from the previous export. */
function assembleExport(staging: string, finalDir: string, hashes: readonly string[], partFiles: readonly string[], reuse: ReadonlyMap<string, number> | undefined, dims: { H: number; L1: number; hiddenLayers: readonly number[] }): { T: number; reusedRows: number } {
  const N = hashes.length;
  const parts = partFiles.map((f) => new PartReader(f));
  const where = new Map<string, [number, number]>();
  parts.forEach((p, pi) => p.header.hashes.forEach((h, k) => where.set(h, [pi, k])));
  const prevReader = reuse && reuse.size > 0 ? new SplitRowReader(FeatureSplit.open(finalDir), dims.hiddenLayers) : undefined;
  const prevOffsets = prevReader?.offsets;
  const rowLen = (i: number): number => {
    const w = where.get(hashes[i]);
    if (w) return parts[w[0]].header.lengths[w[1]];
    const j = reuse!.get(hashes[i])!;
    return prevOffsets![j + 1] - prevOffsets![j];
  };
  let T = 0;
  for (let i = 0; i < N; i++) T += rowLen(i);
  mkdirSync(staging, { recursive: true });
  const w = new ExportWriter(staging, N, T, dims.H, dims.L1, dims.hiddenLayers);
  let reusedRows = 0;
  for (let i = 0; i < N; i++) {
    const loc = where.get(hashes[i]);
    let r: RowFeatures;
    if (loc) r = parts[loc[0]].read(loc[1]);
    else {
      r = prevReader!.read(reuse!.get(hashes[i])!);
      reusedRows++;
    }
    w.write(r);
    checkpoint("assemble");
  }
  w.close();
  parts.forEach((p) => p.close());
  prevReader?.close();
  return { T, reusedRows };
}

/** Moves the staged export into place; a kill between the renames is repaired by recover() on the next run. */
function swapIn(staging: string, finalDir: string, featuresDir: string): void {
  fsyncDir(staging);
  if (existsSync(finalDir)) renameSync(finalDir, `${finalDir}.old`);
  checkpoint("swap");
  renameSync(staging, finalDir);
  rmSync(`${finalDir}.old`, { recursive: true, force: true });
  fsyncDir(featuresDir);
}

/** Runs (or resumes, or skips) the pass for one split. */
export async function featurePassSplit(input: SplitInput, opts: FeaturePassOptions): Promise<SplitResult> {
  const t0 = performance.now();
  const info = opts.backbone.info;
  const H = info.hiddenSize;
  const L1 = info.numLayers + 1;
  const times: StageTimes = { tokenize: 0, forward: 0, pooling: 0, write: 0 };
  const finalDir = join(opts.featuresDir, input.name);
  recover(finalDir);
  const key: CacheKey = { format: FEATURE_FORMAT, onnxSha256: info.onnxSha256, tokenizerSha256: info.tokenizerSha256, maxLength: info.maxLength };
  const hiddenLayers = [...new Set(opts.hiddenLayers ?? [])].sort((a, b) => a - b);
  opts.backbone.checkHiddenLayers(hiddenLayers);
  const hashes = input.texts.map(rowHash);
  const N = hashes.length;
  const prev = readManifest(finalDir);
  const prevUsable = prev !== undefined && serves(prev, key, hiddenLayers) && prev.hiddenSize === H && prev.numLayers === L1 - 1;
  const result = (over: Partial<SplitResult>): SplitResult => ({
    split: input.name, rows: N, forwardRows: 0, reusedRows: 0, resumedRows: 0, tokens: 0, forwardTokens: 0, unchanged: false,
    seconds: (performance.now() - t0) / 1000, times, ...over,
  });
  if (prevUsable && unchangedExport(finalDir, prev, hashes, input.ids)) return result({ unchanged: true, reusedRows: N, tokens: prev.tokens });

  // what the previous export already holds, by text hash
  const reuse = new Map<string, number>();
  if (prevUsable) prev.rowHashes.forEach((h, i) => reuse.has(h) || reuse.set(h, i));
  const need = rowsToCompute(hashes, reuse);
  const workDir = openWorkDir(opts.featuresDir, input.name, key, hiddenLayers);
  const lengths = new Int32Array(N);
  const encoded = tokenizeRows(input, need, opts.backbone, times, lengths);
  const chunks = chunkRows(lengthOrder(lengths, need), lengths, opts.chunkRows ?? 1024, opts.chunkTokens ?? 1 << 17);

  let queuedRows = 0;
  if (opts.chunkRunner) {
    const missing = chunks.map((rows) => ({ rows, file: join(workDir, partName(rows, hashes)) })).filter((c) => !existsSync(c.file));
    queuedRows = missing.reduce((a, c) => a + c.rows.length, 0);
    if (missing.length) await opts.chunkRunner({ split: input.name, workDir, chunks: missing, texts: input.texts, hashes, hiddenLayers, batchTokens: opts.batchTokens, backbone: info });
  }
  const counts: ChunkCounts = { forwardRows: 0, forwardTokens: 0, resumedRows: 0 };
  const totalTokens = need.reduce((a, i) => a + lengths[i], 0);
  const partFiles = await computeChunks(input, opts, { dir: workDir, chunks, encoded, lengths, hashes, hiddenLayers, times, totalTokens }, counts);

  const tt = performance.now();
  const staging = `${finalDir}.staging`;
  const { T, reusedRows } = assembleExport(staging, finalDir, hashes, partFiles, prevUsable ? reuse : undefined, { H, L1, hiddenLayers });
  writeCsv(join(staging, "ids.csv"), ["id"], input.ids.map((id) => [id]));
  const ms = (x: number): number => Math.round(x) / 1000;
  const timing = { seconds: ms(performance.now() - t0), tokenize: ms(times.tokenize), forward: ms(times.forward), pooling: ms(times.pooling), write: ms(times.write + performance.now() - tt), forwardRows: counts.forwardRows };
  const manifest: Manifest = { ...key, rows: N, tokens: T, hiddenSize: H, numLayers: L1 - 1, textColumns: opts.textColumns, rowHashes: hashes, hiddenLayers };
  writeFileAtomic(join(staging, "timing.json"), JSON.stringify(timing) + "\n");
  writeFileAtomic(join(staging, "manifest.json"), JSON.stringify(manifest) + "\n");
  swapIn(staging, finalDir, opts.featuresDir);
  rmSync(workDir, { recursive: true, force: true });
  times.write += performance.now() - tt;
  return result({ forwardRows: counts.forwardRows, forwardTokens: counts.forwardTokens, reusedRows, resumedRows: counts.resumedRows - queuedRows, tokens: T, ...(queuedRows ? { queuedRows } : {}) });
}
