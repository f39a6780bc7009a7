/** Worker thread: trains one (head, fold) job per message. */
import { FeatureSplit } from "../features/store.js";
import { trainerFor } from "./registry.js";
import type { FoldTask, FeatureSources, FoldResult } from "../heads/types.js";
import type { LexicalCorpus } from "../lexical/corpus.js";
import { serve } from "../util/workerPool.js";
import { throttled } from "../util/throttle.js";

export interface WorkerInput {
  trainDir: string;
  testDir: string;
  task: FoldTask;
  /** the n-gram counts (shared memory, not copied) for the lexical model's jobs */
  lexical?: LexicalCorpus;
}

const cache = new Map<string, FeatureSources>();

serve<WorkerInput, FoldResult>(async (input, note) => {
  const key = `${input.trainDir}|${input.testDir}`;
  if (!cache.has(key)) cache.set(key, { train: FeatureSplit.open(input.trainDir), test: FeatureSplit.open(input.testDir) });
  const train = await trainerFor(input.task.head);
  // a trainer that reports progress (a number in (0, 1]) is heard at most once a second, and at its end
  const progress = throttled((p: number) => note(p), 1000, (p) => p >= 1);
  const out = await train({ ...cache.get(key)!, lexical: input.lexical }, input.task, progress);
  return { out, transfer: [out.oof.buffer as ArrayBuffer, out.test.buffer as ArrayBuffer] };
});
