/**
 * `npx poolblend worker --queue URL`: takes feature chunks (src/queue/chunkJobs.ts) and fold jobs
 * from the queue, and runs each fold job in one of its
 * worker threads — the same thread module and the same inputs as a local run's (src/oof/worker.ts),
 * so a job's result file is the same bytes on any machine. The result is written atomically into
 * the job's run folder before the job is reported done; a job finished meanwhile by another worker
 * (its first worker was taken for dead, then came back) is not run twice.
 */
import { join } from "node:path";
import { Worker, UnrecoverableError, type Job } from "bullmq";
import type { FoldResult } from "../heads/types.js";
import { runFeaturesDir } from "../features/run.js";
import { foldTask, jobDone, jobFile, readJobResult, writeJobResult } from "../oof/foldJob.js";
import type { WorkerInput } from "../oof/worker.js";
import { WorkerPool } from "../util/workerPool.js";
import { UserError } from "../util/errors.js";
import { info } from "../util/progress.js";
import { LOCK_MS, MAX_STALLED, QUEUE_NAME, STALLED_CHECK_MS, connectionFor, redactedUrl } from "./connection.js";
import type { ModelFamily } from "../models/family.js";
import { checkFoldJob, jobFamily, localModelDir, localPath, type FoldJobData, type WorkerPlace } from "./foldJobs.js";
import { plansDir, readPlan, type Plan } from "./plan.js";
import { workerName } from "./workerName.js";
import { ChunkWorker, type ChunkJobData } from "./chunkJobs.js";

export interface QueueWorkerOptions extends WorkerPlace {
  url: string;
  concurrency: number;
}

/** What a job's outcome says on the worker's stderr and to the coordinator. */
export interface JobOutcome {
  seconds: number;
  /** the result file was already there (another worker finished the job) */
  found: boolean;
}

type QueueJobData = FoldJobData | ChunkJobData;
const isChunk = (j: Job<QueueJobData>): j is Job<ChunkJobData> => j.name === "chunk";

/** Plans and the families' shared inputs (tfidf's n-gram counts) by plan file, kept for the next jobs of the same run. */
class RunCache {
  private readonly plans = new Map<string, Plan>();
  private readonly shared = new Map<string, Promise<unknown>>();

  plan(file: string): Plan {
    let p = this.plans.get(file);
    if (!p) this.plans.set(file, (p = readPlan(file)));
    return p;
  }

  /** The input `family` shares between its jobs, built from the plan's texts with the job's options; undefined if it has none. */
  sharedInput(file: string, family: ModelFamily, d: FoldJobData): Promise<unknown> | undefined {
    if (!family.shared) return undefined;
    const key = `${file}|${family.trainer(d.head).href}|${JSON.stringify(d.options)}`;
    let s = this.shared.get(key);
    if (!s) {
      const texts = this.plan(file).texts;
      if (!texts) throw new UnrecoverableError(`job ${d.id}: the run's plan holds no texts for ${d.head}`);
      this.shared.set(key, (s = family.shared(texts, d.options)));
    }
    return s;
  }
}

/** Runs one fold job: checks, then the thread, then the result file. */
async function runFoldJob(d: FoldJobData, place: WorkerPlace, pool: WorkerPool<WorkerInput, FoldResult>, cache: RunCache): Promise<JobOutcome> {
  const family = await jobFamily(d, place);
  checkFoldJob(d, family);
  const runDir = localPath(d.runDir, place, d.id, "run folder");
  const file = jobFile(runDir, d.id);
  if (jobDone(file)) return { seconds: readJobResult(file).seconds, found: true };
  const planFile = join(plansDir(runDir), d.plan);
  const plan = cache.plan(planFile);
  const task = foldTask(plan, d.head, d.fold, d.seed, { ...d.options, modelDir: localModelDir(d.model, place, d.id) });
  const features = runFeaturesDir(runDir);
  const shared = await cache.sharedInput(planFile, family!, d);
  const input: WorkerInput = { trainDir: join(features, "train"), testDir: join(features, "test"), task, trainer: family!.trainer(d.head).href, ...(shared === undefined ? {} : { shared }) };
  let r: FoldResult;
  try {
    r = await pool.call(input);
  } catch (e) {
    // bad data is not fixed by another try
    if (e instanceof UserError) throw new UnrecoverableError(e.message);
    throw e;
  }
  if (!jobDone(file)) writeJobResult(file, r);
  return { seconds: r.seconds, found: false };
}

/** Serves the queue until SIGINT/SIGTERM: the first lets running jobs finish, a second stops at once. */
export async function runQueueWorker(o: QueueWorkerOptions): Promise<void> {
  const pool = await WorkerPool.start<WorkerInput, FoldResult>(new URL("../oof/worker.ts", import.meta.url), o.concurrency);
  const cache = new RunCache();
  const chunks = new ChunkWorker(o);
  const worker = new Worker<QueueJobData, JobOutcome>(QUEUE_NAME, (job: Job<QueueJobData>) => (isChunk(job) ? chunks.run(job.data) : runFoldJob(job.data as FoldJobData, o, pool, cache)), {
    connection: connectionFor(o.url),
    concurrency: o.concurrency,
    name: workerName(o.concurrency),
    lockDuration: LOCK_MS,
    stalledInterval: STALLED_CHECK_MS,
    maxStalledCount: MAX_STALLED,
  });
  const where = (j: Job<QueueJobData> | undefined): string => {
    if (!j) return "a job";
    return isChunk(j) ? `feature chunk ${j.data.split}/${j.data.part} (${j.data.runDir})` : `${(j.data as FoldJobData).head} fold ${(j.data as FoldJobData).fold} (${j.data.runDir})`;
  };
  worker.on("active", (j) => info(`worker: ${where(j)} started`));
  worker.on("completed", (j, out) => info(`worker: ${where(j)} ${out.found ? "was already done by another worker" : `done in ${out.seconds.toFixed(1)} s`}`));
  worker.on("failed", (j, e) => info(`worker: ${where(j)} failed: ${e.message}`));
  let lastError = 0;
  worker.on("error", (e) => {
    if (Date.now() - lastError < 10_000) return;
    lastError = Date.now();
    info(`worker: queue ${redactedUrl(o.url)}: ${e.message}; reconnecting`);
  });
  await worker.waitUntilReady();
  info(`worker: serving ${redactedUrl(o.url)} with ${o.concurrency} thread${o.concurrency === 1 ? "" : "s"}, root ${o.root}${o.maps.map((m) => `, ${m.from} → ${m.to}`).join("")}`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      info("worker: stopping after the running jobs (again to stop now; their jobs go back to the queue)");
      process.once("SIGINT", () => process.exit(130));
      process.once("SIGTERM", () => process.exit(143));
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await worker.close();
  await chunks.close();
  await pool.close();
}
