/**
 * A run on the queue: the feature pass's missing chunks and the fold jobs go to the queue's workers
 * (on any machine that sees the run folder), which write their results into it; the run reads them
 * back exactly as it reads a local run's. Without a queue URL, everything runs in this process.
 */
import type { Config } from "../config.js";
import type { ModelLineup } from "../registry/lineup.js";
import { foldData, type JobRunner, type OofRunOptions, type Prepared } from "../oof/run.js";
import { jobDone, jobFile, readJobResult } from "../oof/foldJob.js";
import type { Coordinator } from "./coordinator.js";
import type { foldJobData } from "./foldJobs.js";
import { writePlan } from "./plan.js";

/** The queue's workers run the jobs and write their result files; this process reads them back. */
async function queueJobRunner(coordinator: Coordinator, jobData: typeof foldJobData, cfg: Config, p: Prepared, lineup: ModelLineup): Promise<JobRunner> {
  return {
    slots: await coordinator.slots(),
    // a worker on another machine builds a family's shared input (tfidf's n-gram counts) itself, from the texts in the plan
    sharedMemory: false,
    run: async (jobs, onStart, onResult) => {
      if (!jobs.length) return;
      const texts = lineup.needsTexts(jobs.map((j) => j.model)) ? { train: p.train.texts, test: p.test.texts } : undefined;
      const plan = writePlan(cfg.out, { ...foldData(p), ...(texts ? { texts } : {}) });
      const queued = jobs.map((j) => ({ name: "fold", id: j.id, data: jobData(cfg.out, plan, j.id, j.input.task, lineup), done: () => jobDone(jobFile(cfg.out, j.id)) }));
      await coordinator.run(queued, onStart, (id) => onResult(id, readJobResult(jobFile(cfg.out, id))));
    },
  };
}

/**
 * Runs `work` with the queue's runners when `url` is given (connected for its duration), else with none.
 * The queue's client (BullMQ, ioredis) is loaded only then: a run without a queue starts without it.
 */
export async function withQueue<T>(url: string | undefined, cfg: Config, work: (opts: OofRunOptions) => Promise<T>): Promise<T> {
  if (!url) return work({});
  const [{ Coordinator }, { queueChunkRunner }, { foldJobData }] = await Promise.all([import("./coordinator.js"), import("./features.js"), import("./foldJobs.js")]);
  const coordinator = await Coordinator.connect(url, cfg.out);
  try {
    return await work({ chunkRunner: queueChunkRunner(coordinator, cfg.out), jobRunner: (p, lineup) => queueJobRunner(coordinator, foldJobData, cfg, p, lineup) });
  } finally {
    await coordinator.close();
  }
}
