/** Worker thread: trains one (model, fold) job per message, with the `train` of the job's trainer module. */
import { FeatureSplit } from "../store/features.js";
import type { FoldTask, FeatureSources, FoldResult, HeadTrainer } from "../heads/types.js";
import { serve } from "../util/workerPool.js";
import { throttled } from "../util/throttle.js";

export interface WorkerInput {
  trainDir: string;
  testDir: string;
  task: FoldTask;
  /** URL of the module whose `train` runs the job (its family's `trainer`) */
  trainer: string;
  /** the input the model's family shares between its jobs (shared memory, not copied), if it has one */
  shared?: unknown;
}

const cache = new Map<string, FeatureSources>();

serve<WorkerInput, FoldResult>(async (input, note) => {
  const key = `${input.trainDir}|${input.testDir}`;
  if (!cache.has(key)) cache.set(key, { train: FeatureSplit.open(input.trainDir), test: FeatureSplit.open(input.testDir) });
  const { train } = (await import(input.trainer)) as { train: HeadTrainer };
  // a trainer that reports progress (a number in (0, 1]) is heard at most once a second, and at its end
  const progress = throttled((p: number) => note(p), 1000, (p) => p >= 1);
  const out = await train({ ...cache.get(key)!, shared: input.shared }, input.task, progress);
  return { out, transfer: [out.oof.buffer as ArrayBuffer, out.test.buffer as ArrayBuffer] };
});
