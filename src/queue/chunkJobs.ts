/**
 * Feature chunks on the queue. The coordinator tokenizes and plans the chunks as a local pass does
 * (length-sorted, each named by its rows' text hashes) and writes each missing chunk's texts beside
 * where its part file will go; a worker encodes those texts with its own copy of the same model
 * (checked by SHA-256), runs the same token-budget batches and writes the part file atomically.
 * The coordinator's pass then finds every chunk on disk and assembles the export as after a resume.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { UnrecoverableError } from "bullmq";
import { Backbone } from "../backbone/backbone.js";
import { computeChunk, type ChunkPlan } from "../features/pass.js";
import { FEATURE_FORMAT } from "../store/features.js";
import { runFeaturesDir } from "../features/run.js";
import { writeFileAtomic } from "../io/atomic.js";
import { localModelDir, localPath, modelRef, type ModelRef, type WorkerPlace } from "./foldJobs.js";

export interface ChunkJobData {
  runDir: string;
  split: "train" | "test";
  /** `part-<24 hex>.bin` in features/.work/<split>/ */
  part: string;
  model: ModelRef;
  maxLength: number;
  batchTokens: number;
  hiddenLayers: number[];
  /** the run's model, tokenizer and export format: a worker with another model or format refuses */
  onnxSha256: string;
  tokenizerSha256: string;
  format: number;
}

const PART = /^part-[0-9a-f]{24}\.bin$/;
const textsFile = (part: string): string => `${part}.texts.json`;

/** Writes each missing chunk's texts into the work folder and returns the chunks as queue jobs (id: split and part name). */
export function chunkJobs(runDir: string, p: ChunkPlan): { id: string; file: string; data: ChunkJobData }[] {
  const split = p.split === "test" ? "test" : "train";
  return p.chunks.map((c) => {
    const part = basename(c.file);
    const tf = join(p.workDir, textsFile(part));
    if (!existsSync(tf)) writeFileAtomic(tf, JSON.stringify({ hashes: c.rows.map((i) => p.hashes[i]), texts: c.rows.map((i) => p.texts[i]) }));
    const b = p.backbone;
    return {
      id: `${split}-${part.slice(5, -4)}`,
      file: c.file,
      data: { runDir, split, part, model: modelRef(b.modelDir), maxLength: b.maxLength, batchTokens: p.batchTokens, hiddenLayers: [...p.hiddenLayers], onnxSha256: b.onnxSha256, tokenizerSha256: b.tokenizerSha256, format: FEATURE_FORMAT },
    };
  });
}

const refuse = (d: ChunkJobData, why: string): UnrecoverableError => new UnrecoverableError(`feature chunk ${d.split}/${d.part}: ${why}`);

/**
 * A worker's side: one backbone at a time (loaded with all cores, as a local pass runs it) serves
 * the chunk jobs in turn.
 */
export class ChunkWorker {
  private backbone: Backbone | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly place: WorkerPlace) {}

  run(d: ChunkJobData): Promise<{ seconds: number; found: boolean }> {
    const next = this.chain.then(() => this.runNow(d));
    this.chain = next.catch(() => {});
    return next;
  }

  private async load(modelDir: string, maxLength: number): Promise<Backbone> {
    const b = this.backbone;
    if (b && b.info.modelDir === modelDir && b.info.maxLength === maxLength) return b;
    await b?.release();
    this.backbone = undefined;
    return (this.backbone = await Backbone.load(modelDir, maxLength));
  }

  private async runNow(d: ChunkJobData): Promise<{ seconds: number; found: boolean }> {
    if ((d.split !== "train" && d.split !== "test") || typeof d.part !== "string" || !PART.test(d.part)) throw new UnrecoverableError("not a poolblend feature chunk job");
    if (d.format !== FEATURE_FORMAT) throw refuse(d, `planned for feature format ${d.format}, this worker writes format ${FEATURE_FORMAT}; run the same poolblend version on the coordinator and every worker`);
    const runDir = localPath(d.runDir, this.place, `${d.split}/${d.part}`, "run folder");
    const workDir = join(runFeaturesDir(runDir), ".work", d.split);
    const file = join(workDir, d.part);
    if (existsSync(file)) return { seconds: 0, found: true };
    const t0 = performance.now();
    const backbone = await this.load(localModelDir(d.model, this.place, d.part), d.maxLength);
    const mine = backbone.info;
    if (mine.onnxSha256 !== d.onnxSha256 || mine.tokenizerSha256 !== d.tokenizerSha256) throw refuse(d, `planned with model ${d.onnxSha256.slice(0, 12)} / tokenizer ${d.tokenizerSha256.slice(0, 12)}, this worker's ${mine.modelDir} has ${mine.onnxSha256.slice(0, 12)} / ${mine.tokenizerSha256.slice(0, 12)}`);
    backbone.checkHiddenLayers(d.hiddenLayers);
    const chunk = JSON.parse(readFileSync(join(workDir, textsFile(d.part)), "utf8")) as { hashes: string[]; texts: string[][] };
    const encoded = chunk.texts.map((t) => backbone.tokenizer.encode(t));
    const rows = encoded.map((_, i) => i);
    const times = { tokenize: 0, forward: 0, pooling: 0, write: 0 };
    await computeChunk(backbone, { rows, encoded: (i) => encoded[i], lengths: encoded.map((e) => e.ids.length), hashes: chunk.hashes, file }, d.batchTokens, d.hiddenLayers, times);
    return { seconds: (performance.now() - t0) / 1000, found: false };
  }

  async close(): Promise<void> {
    await this.chain;
    await this.backbone?.release();
  }
}
