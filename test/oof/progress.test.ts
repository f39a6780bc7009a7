/**
 * A fine-tuning job's progress, on real sentences and the real model: the trainer's reports rise
 * to exactly 1 and count exactly the work its loop does (one epoch: nothing skipped), reporting
 * changes no bit of its predictions, and in a real worker thread of the OOF stage the reports
 * reach the main thread, increasing, in (0, 1], the last one (1) before the job's result; an
 * `npm run oof` with POOLBLEND_JOB_TRACE records them between each job's start and end.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { sentimentFeatures, foldTask, type FinetuneData } from "../helpers/finetuneData.js";
import { train } from "../../src/finetune/train.js";
import { WorkerPool } from "../../src/util/workerPool.js";
import type { WorkerInput } from "../../src/oof/worker.js";
import type { FoldResult, FoldTask } from "../../src/heads/types.js";
import { TokenSource } from "../../src/heads/tokenSource.js";
import { FeatureSplit, hiddenArray } from "../../src/store/features.js";
import { lengthOrder, tokenBudgetBatches } from "../../src/backbone/batching.js";
import { carveValidation } from "../../src/heads/earlyStopping.js";
import type { FinetuneModelOptions } from "../../src/finetune/options.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { makeSentimentCompetition } from "../helpers/competition.js";
import { runPipeline } from "../helpers/run.js";
import type { TraceEvent } from "../../src/oof/jobTrace.js";

const N_TRAIN = 500, N_TEST = 40;
let data: FinetuneData;
let task: FoldTask<FinetuneModelOptions>;

beforeAll(async () => {
  data = await sentimentFeatures(N_TRAIN, N_TEST);
  const range = (a: number, b: number): Int32Array => Int32Array.from({ length: b - a }, (_, i) => a + i);
  task = foldTask("mean-ft", data.labels, range(100, N_TRAIN), range(0, 100), { topLayers: 1, epochs: 1, batchRows: 16 });
}, 300_000);

const bits = (r: FoldResult): string[] => [Buffer.from(r.oof.buffer).toString("hex"), Buffer.from(r.test.buffer).toString("hex")];

function expectRising(ps: number[]): void {
  expect(ps.length).toBeGreaterThan(1);
  for (const p of ps) expect(p > 0 && p <= 1, String(p)).toBe(true);
  for (let i = 1; i < ps.length; i++) expect(ps[i], `report ${i}`).toBeGreaterThan(ps[i - 1]);
  expect(ps.at(-1)).toBe(1);
}

describe("a fine-tuning job's progress", () => {
  it("in the trainer: one report per step and forward batch, rising to 1, the plan matching the loop's work; the predictions bit for bit those of a job that reports nothing", async () => {
    const reports: number[] = [];
    const heard = await train(data.sources, task, (p) => reports.push(p));
    const silent = await train(data.sources, task);
    expect(bits(heard)).toEqual(bits(silent));
    expectRising(reports);
    // one epoch: the planned work is exactly what the loop does, so the last forward batch itself reaches 1 and the
    // job's end adds no report: one report per training step and per forward batch (early-stopping, OOF, test rows)
    const budget = 2 * task.options.finetune.batchTokens;
    const tokens = (split: FeatureSplit, rows: ArrayLike<number>): number => {
      const src = new TokenSource(split, hiddenArray(5));
      const lengths = Int32Array.from(rows, (r) => src.length(r));
      src.close();
      return tokenBudgetBatches(lengthOrder(lengths), lengths, budget, 128).length;
    };
    const { stop } = carveValidation(task.trainIdx, task.strata, task.seed);
    const testRows = Array.from({ length: N_TEST }, (_, i) => i);
    const forward = tokens(data.sources.train, stop) + tokens(data.sources.train, task.validIdx) + tokens(data.sources.test, testRows);
    expect(forward).toBeGreaterThanOrEqual(3);
    expect(reports.length).toBe(Number(heard.info.steps) + forward);
  }, 120_000);

  it("in a worker thread: the reports reach the main thread, increasing, in (0, 1], the last one 1 and before the result", async () => {
    const pool = await WorkerPool.start<WorkerInput, FoldResult>(new URL("../../src/oof/worker.ts", import.meta.url), 1);
    try {
      // the pool hears a call's notes until its result arrives, and no longer: what is heard came before the result
      const notes: unknown[] = [];
      const input: WorkerInput = { trainDir: data.sources.train.dir, testDir: data.sources.test.dir, task, trainer: new URL("../../src/finetune/train.ts", import.meta.url).href };
      const r = await pool.call(input, [], (p) => notes.push(p));
      expect(notes.every((p) => typeof p === "number")).toBe(true);
      expectRising(notes as number[]);
      expect(bits(r)).toEqual(bits(await train(data.sources, task)));
    } finally {
      await pool.close();
    }
  }, 180_000);

  it("npm run oof with POOLBLEND_JOB_TRACE records each fine-tuned job's progress between its start and its end, and an ETA that is a finite number ≥ 0", async () => {
    const comp = makeSentimentCompetition(200, 20);
    const file = join(comp.root, "trace.jsonl");
    const r = await runPipeline("oof", ["--config", comp.configFile, "--out", join(comp.root, "run"), "--heads", "mean,mean-ft", "--folds.k", "2", "--finetune.topLayers", "1", "--finetune.epochs", "1", "--headOptions.workers", "2"], { POOLBLEND_JOB_TRACE: file });
    expect(r.code, r.stderr).toBe(0);
    const events = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as TraceEvent & { t: number });
    const ids = events.flatMap((e) => (e.ev === "plan" ? e.jobs.filter((j) => j.model === "mean-ft").map((j) => j.id) : []));
    expect(ids).toHaveLength(2);
    for (const id of ids) {
      const mine = events.filter((e) => "id" in e && e.id === id);
      expect(mine[0].ev).toBe("start");
      expect(mine.at(-1)!.ev).toBe("end");
      const ps = mine.flatMap((e) => (e.ev === "progress" ? [e.p] : []));
      expect(ps.length).toBe(mine.length - 2);
      expectRising(ps);
    }
    // the frozen head reports nothing
    expect(events.some((e) => e.ev === "progress" && !ids.includes(e.id))).toBe(false);
    const etas = events.flatMap((e) => (e.ev === "eta" ? [e.eta] : []));
    expect(etas.length).toBeGreaterThan(0);
    for (const eta of etas) expect(Number.isFinite(eta) && eta >= 0, String(eta)).toBe(true);
  }, 300_000);
});
