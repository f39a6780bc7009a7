/** Worker thread: trains one (head, fold) job per message. */
import { FeatureSplit } from "../features/store.js";
import { trainerFor } from "../heads/registry.js";
import type { FoldTask, FeatureSources, FoldResult } from "../heads/types.js";
import { serve } from "../util/workerPool.js";

export interface WorkerInput {
  trainDir: string;
  testDir: string;
  task: FoldTask;
}

const cache = new Map<string, FeatureSources>();

serve<WorkerInput, FoldResult>(async (input) => {
  const key = `${input.trainDir}|${input.testDir}`;
  if (!cache.has(key)) cache.set(key, { train: FeatureSplit.open(input.trainDir), test: FeatureSplit.open(input.testDir) });
  const train = await trainerFor(input.task.head);
  const out = await train(cache.get(key)!, input.task);
  return { out, transfer: [out.oof.buffer as ArrayBuffer, out.test.buffer as ArrayBuffer] };
});
