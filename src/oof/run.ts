/**
 * `npm run oof`: validate everything, make sure features exist, then train every head on every
 * fold in worker threads and write OOF predictions, fold-averaged test predictions and scores.
 * Each (head, fold) result is saved as it finishes, so a killed run resumes where it stopped.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Config, ModelName } from "../config.js";
import { loadSample, loadTextSplit, type TextSplit } from "../data/competition.js";
import { column, type CsvTable, writeCsv } from "../io/csv.js";
import { writeFileAtomic } from "../io/atomic.js";
import { featuresDir, runFeatures, type FeaturesResult } from "../features/run.js";
import { FeatureSplit } from "../store/features.js";
import { ModelLineup } from "../registry/lineup.js";
import type { ModelFamily } from "../models/family.js";
import { problemSize } from "./problemSize.js";
import type { FoldResult, Json } from "../heads/types.js";
import { runPool, type PoolJob } from "../util/workerPool.js";
import { foldTask, jobDone, jobFile, jobsDir, readJobResult, writeJobResult, type FoldData } from "./foldJob.js";
import type { ChunkRunner } from "../features/pass.js";
import { JobClock, type PlannedJob } from "./schedule.js";
import { jobTrace } from "./jobTrace.js";
import { groupFolds, stratifiedFolds } from "../folds/kfold.js";
import { score } from "../validation/metrics.js";
import { checkSampleColumns, readTargets, type Targets } from "../validation/targets.js";
import { placeError } from "../util/errors.js";
import { sha256 } from "../util/hash.js";
import { rowsWhere, takeRows } from "../util/rows.js";
import { checkpoint } from "../util/faults.js";
import { Progress, fmtSecs, info } from "../util/progress.js";
import type { WorkerInput } from "./worker.js";

/** Everything validated up front, before any long work. */
export interface Prepared {
  cfg: Config;
  train: TextSplit;
  test: TextSplit;
  sample: CsvTable;
  /** sample row → test row */
  testRowOf: Int32Array;
  targets: Targets;
  folds: Int32Array;
}

export function prepare(cfg: Config): Prepared {
  const train = loadTextSplit(cfg.data, "train");
  const test = loadTextSplit(cfg.data, "test");
  const { table: sample, testRowOf } = loadSample(cfg.data, test);
  const targets = readTargets(cfg, train.table, sample);
  checkSampleColumns(targets, sample);
  let folds: Int32Array;
  if (cfg.data.group) {
    const groups = column(train.table, cfg.data.group);
    const distinct = new Set(groups).size;
    if (distinct < cfg.folds.k) throw placeError({ file: train.file, column: cfg.data.group }, `${distinct} groups, fewer than folds.k = ${cfg.folds.k}`);
    folds = groupFolds(groups, cfg.folds.k, cfg.folds.seed);
  } else {
    if (targets.task !== "regression") {
      const counts = new Map<number, number>();
      for (const s of targets.strata) counts.set(s, (counts.get(s) ?? 0) + 1);
      const rare = [...counts].find(([, n]) => n < cfg.folds.k);
      if (rare) info(`warning: class ${targets.classes[rare[0]]} has ${rare[1]} rows, fewer than folds.k = ${cfg.folds.k}; some folds will not see it`);
    }
    folds = stratifiedFolds(targets.strata, cfg.folds.k, cfg.folds.seed);
  }
  return { cfg, train, test, sample, testRowOf, targets, folds };
}

export interface HeadScores {
  cv: number;
  folds: number[];
  seconds: number;
  info: Record<string, Json>[];
}

export interface OofResult {
  prepared: Prepared;
  features: FeaturesResult;
  heads: Record<ModelName, HeadScores>;
  /** OOF predictions per head [n × c], test predictions in test.csv row order [nTest × c] */
  oof: Record<ModelName, Float64Array>;
  test: Record<ModelName, Float64Array>;
  trainSeconds: number;
}

/** A fold job waiting to run. */
export type Job = PoolJob<WorkerInput> & PlannedJob & { fold: number };

/**
 * A job's id: model, fold, and a key of what its result depends on — the features, targets and
 * folds, and only its own model's options and code — so that a result is reused exactly when valid.
 */
function jobIds(cfg: Config, p: Prepared, fTrain: FeatureSplit, fTest: FeatureSplit, lineup: ModelLineup): (m: ModelName, fold: number) => string {
  const t = p.targets;
  const data = {
    train: sha256(fTrain.manifest.rowHashes.join()), test: sha256(fTest.manifest.rowHashes.join()), model: fTrain.manifest.onnxSha256,
    maxLength: fTrain.manifest.maxLength, y: sha256(new Uint8Array(t.y.buffer)), folds: sha256(new Uint8Array(p.folds.buffer)), task: t.task, c: t.c,
  };
  const keys = new Map(cfg.heads.map((m) => [m, sha256(JSON.stringify({ data, code: lineup.code(m), options: { seed: cfg.headOptions.seed, ...lineup.cacheOptions(m) } })).slice(0, 16)]));
  return (m, fold) => `${m}-${fold}-${keys.get(m)}`;
}

/** Where fold jobs run: this process's worker threads, or elsewhere (a queue's workers: src/queue/runners.ts). */
export interface JobRunner {
  /** jobs that run side by side */
  slots: number;
  /** its jobs share this process's memory: an input a family shares between its jobs (tfidf's n-gram counts) is built once here and handed over */
  sharedMemory: boolean;
  /** `onProgress` hears a running job's fraction done, from trainers that report it (thread runners only: queue workers' jobs are estimated from finished jobs alone) */
  run(jobs: Job[], onStart: (id: string) => void, onResult: (id: string, r: FoldResult) => void, onProgress?: (id: string, fraction: number) => void): Promise<void>;
}

function threadRunner(workers: number): JobRunner {
  return {
    slots: workers,
    sharedMemory: true,
    run: (jobs, onStart, onResult, onProgress) => runPool<WorkerInput, FoldResult>(new URL("./worker.ts", import.meta.url), workers, jobs, onResult, onStart, (id, n) => {
      if (typeof n === "number") onProgress?.(id, n);
    }),
  };
}

/**
 * Runs the jobs, longest first so that the quick ones fill in around them at the end, with a
 * progress line whose ETA knows each model's cost (schedule.ts); `save` sees each result.
 */
async function trainJobs(jobs: Job[], runner: JobRunner, total: number, doneBefore: number, save: (id: string, r: FoldResult) => void): Promise<void> {
  jobs.sort((a, b) => b.prior - a.prior);
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const clock = new JobClock(jobs, Math.min(runner.slots, Math.max(1, jobs.length)));
  const trace = jobTrace(process.env.POOLBLEND_JOB_TRACE, performance.now());
  trace({ ev: "plan", workers: Math.min(runner.slots, jobs.length), jobs: jobs.map((j) => ({ id: j.id, model: j.model, fold: j.fold, prior: j.prior })) });
  // the rate counts only this run's jobs, so a resumed run's ETA is not flattered by finished ones
  const progress = new Progress("oof", jobs.length, "fold jobs");
  let done = 0;
  const report = (last = ""): void => {
    const now = performance.now();
    const eta = clock.eta(now);
    trace({ ev: "eta", done, eta });
    const late = clock.overdue(now).map((o) => `${byId.get(o.id)!.model} fold ${byId.get(o.id)!.fold} running ${fmtSecs(o.elapsed)}, estimated ${fmtSecs(o.estimate)}`);
    progress.update(done, [`(${doneBefore + done}/${total} in all${last})`, ...late].join("; "), eta);
  };
  const ticker = setInterval(report, 1000);
  try {
    await runner.run(jobs, (id) => {
      clock.started(id, performance.now());
      trace({ ev: "start", id });
    }, (id, r) => {
      save(id, r);
      done++;
      clock.finished(id, performance.now());
      trace({ ev: "end", id, seconds: r.seconds, done });
      report(`; last ${r.head} fold ${r.fold}, ${r.seconds.toFixed(1)} s`);
    }, (id, p) => {
      clock.progress(id, p, performance.now());
      trace({ ev: "progress", id, p });
    });
  } finally {
    clearInterval(ticker);
  }
  progress.done();
}

/** Each model's OOF rows from its fold jobs, its test predictions averaged over folds, and its scores. */
function collect(cfg: Config, p: Prepared, result: (m: ModelName, fold: number) => FoldResult): Pick<OofResult, "heads" | "oof" | "test"> {
  const { targets, folds } = p;
  const K = cfg.folds.k, n = targets.n, c = targets.c, nTest = p.test.ids.length;
  const out: Pick<OofResult, "heads" | "oof" | "test"> = { heads: {}, oof: {}, test: {} };
  for (const head of cfg.heads) {
    const oof = new Float64Array(n * c), test = new Float64Array(nTest * c);
    const foldScores: number[] = [];
    const infos: Record<string, Json>[] = [];
    let seconds = 0;
    for (let f = 0; f < K; f++) {
      const r = result(head, f);
      const valid = rowsWhere(folds, (x) => x === f);
      valid.forEach((row, i) => oof.set(r.oof.subarray(i * c, i * c + c), row * c));
      for (let i = 0; i < test.length; i++) test[i] += r.test[i] / K;
      foldScores.push(score(cfg.metric, takeRows(targets.y, valid, targets.task === "regression" ? c : 1), r.oof, c));
      infos.push(r.info);
      seconds += r.seconds;
    }
    for (const a of [oof, test]) if (!a.every(Number.isFinite)) throw new Error(`${head}: non-finite predictions`);
    out.oof[head] = oof;
    out.test[head] = test;
    out.heads[head] = { cv: score(cfg.metric, targets.y, oof, c), folds: foldScores, seconds, info: infos };
  }
  return out;
}

/** Where the work runs: without these, the feature pass and the fold jobs run in this process. */
export interface OofRunOptions {
  /** computes the feature pass's missing chunks elsewhere */
  chunkRunner?: ChunkRunner;
  /** runs the fold jobs elsewhere */
  jobRunner?: (p: Prepared, lineup: ModelLineup) => Promise<JobRunner>;
}

/** The targets and folds every fold job of this run reads. */
export function foldData(p: Prepared): FoldData {
  return { task: p.targets.task, c: p.targets.c, y: p.targets.y, strata: p.targets.strata, folds: p.folds };
}

export async function runOof(cfg: Config, opts: OofRunOptions = {}): Promise<OofResult> {
  const lineup = await ModelLineup.load(cfg);
  const p = prepare(cfg);
  const features = await runFeatures(cfg, opts.chunkRunner ? { chunkRunner: opts.chunkRunner } : {});
  const K = cfg.folds.k;
  const trainDir = join(featuresDir(cfg), "train"), testDir = join(featuresDir(cfg), "test");
  const fTrain = FeatureSplit.open(trainDir), fTest = FeatureSplit.open(testDir);
  mkdirSync(jobsDir(cfg.out), { recursive: true });
  const jobId = jobIds(cfg, p, fTrain, fTest, lineup);
  const results = new Map<string, FoldResult>();
  const size = problemSize(fTrain, fTest, p.targets.c);
  const jobs: Job[] = [];
  for (const head of cfg.heads)
    for (let f = 0; f < K; f++) {
      const id = jobId(head, f);
      if (jobDone(jobFile(cfg.out, id))) {
        results.set(id, readJobResult(jobFile(cfg.out, id)));
        continue;
      }
      const task = foldTask(foldData(p), head, f, cfg.headOptions.seed * 1000 + f, { ...(lineup.options(head) as object), modelDir: cfg.backbone.model });
      jobs.push({ id, model: head, fold: f, family: lineup.costGroup(head), prior: lineup.priorSeconds(head, size), input: { trainDir, testDir, task, trainer: lineup.trainer(head).href } });
    }
  const runner = opts.jobRunner ? await opts.jobRunner(p, lineup) : threadRunner(cfg.headOptions.workers || availableParallelism());
  if (runner.sharedMemory) {
    // built once in this thread; every job of the family gets the same (shared) arrays
    const built = new Map<ModelFamily, Promise<unknown>>();
    for (const j of jobs) {
      const shared = lineup.sharedInput(j.model, { train: p.train.texts, test: p.test.texts }, built);
      if (shared) j.input.shared = await shared;
    }
  }
  const total = cfg.heads.length * K;
  if (results.size) info(`oof: ${results.size}/${total} fold jobs already done, resuming`);
  const t0 = performance.now();
  await trainJobs(jobs, runner, total, results.size, (id, r) => {
    results.set(id, r);
    // a queue worker has written it already
    if (!jobDone(jobFile(cfg.out, id))) writeJobResult(jobFile(cfg.out, id), r);
    checkpoint("train-job");
    // one model's jobs alone (e.g. train-job:tfidf#1): a kill in the middle of that model's folds
    checkpoint(`train-job:${r.head}`);
  });
  const trainSeconds = (performance.now() - t0) / 1000;

  const out: OofResult = { prepared: p, features, trainSeconds, ...collect(cfg, p, (m, f) => results.get(jobId(m, f))!) };
  writeOofOutputs(out);
  return out;
}

/** oof/<head>.csv, test/<head>.csv (sample_submission order) and scores.json. */
export function writeOofOutputs(r: OofResult): void {
  const { cfg, train, targets, folds, sample, testRowOf } = r.prepared;
  const c = targets.c;
  const sampleIds = column(sample, cfg.data.id);
  for (const head of cfg.heads) {
    const oof = r.oof[head]!, test = r.test[head]!;
    writeCsv(join(cfg.out, "oof", `${head}.csv`), ["id", "kfold", ...targets.columns], train.ids.map((id, i) => [id, folds[i], ...Array.from(oof.subarray(i * c, i * c + c))]));
    writeCsv(join(cfg.out, "test", `${head}.csv`), ["id", ...targets.columns], sampleIds.map((id, i) => [id, ...Array.from(test.subarray(testRowOf[i] * c, testRowOf[i] * c + c))]));
  }
  const scores = {
    metric: cfg.metric,
    task: targets.task,
    folds: cfg.folds,
    heads: Object.fromEntries(Object.entries(r.heads).map(([h, s]) => [h, { cv: s.cv, folds: s.folds, seconds: s.seconds, info: s.info }])),
    times: {
      features: Object.fromEntries(r.features.splits.map((s) => [s.split, { seconds: s.seconds, ...s.times }])),
      trainWall: r.trainSeconds,
    },
  };
  const file = join(cfg.out, "scores.json");
  const prev = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : {};
  writeFileAtomic(file, JSON.stringify({ ...prev, ...scores }, null, 2) + "\n");
}

/** The closing table: head, CV, per-fold spread, training time. */
export function oofTable(r: OofResult): string {
  const rows = Object.entries(r.heads).map(([h, s]) => {
    const m = s.folds.reduce((a, b) => a + b, 0) / s.folds.length;
    const sd = Math.sqrt(s.folds.reduce((a, b) => a + (b - m) ** 2, 0) / s.folds.length);
    return [h, s.cv.toFixed(5), `${m.toFixed(4)} ± ${sd.toFixed(4)}`, `${s.seconds.toFixed(1)} s`];
  });
  const head = ["head", `CV ${r.prepared.cfg.metric}`, "folds mean ± sd", "train time"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const line = (x: string[]): string => x.map((v, i) => v.padEnd(w[i])).join("  ");
  return [line(head), line(w.map((n) => "-".repeat(n))), ...rows.map(line)].join("\n");
}

