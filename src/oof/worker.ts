/** Worker thread: trains one (head, fold) job per message. */
import { FeatureSplit } from "../features/store.js";
import { trainerFor } from "./registry.js";
import type { FoldTask, FeatureSources, FoldResult } from "../heads/types.js";
import type { LexicalCorpus } from "../lexical/corpus.js";
import { serve } from "../util/workerPool.js";

export interface WorkerInput {
  trainDir: string;
  testDir: string;
  task: FoldTask;
  /** the n-gram counts (shared memory, not copied) for the lexical model's jobs */
  lexical?: LexicalCorpus;
}

const cache = new Map<string, FeatureSources>();

serve<WorkerInput, FoldResult>(async (input) => {
  const key = `${input.trainDir}|${input.testDir}`;
  if (!cache.has(key)) cache.set(key, { train: FeatureSplit.open(input.trainDir), test: FeatureSplit.open(input.testDir) });
  const train = await trainerFor(input.task.head);
  const out = await train({ ...cache.get(key)!, lexical: input.lexical }, input.task);
  return { out, transfer: [out.oof.buffer as ArrayBuffer, out.test.buffer as ArrayBuffer] };
});
