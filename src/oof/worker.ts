/** Worker thread: trains one (head, fold) job per message. */
import { parentPort } from "node:worker_threads";
import { FeatureSplit } from "../features/store.js";
import { trainerFor } from "../heads/registry.js";
import type { FoldTask, FeatureSources } from "../heads/types.js";
import { UserError } from "../util/errors.js";

export interface WorkerInput {
  trainDir: string;
  testDir: string;
  task: FoldTask;
}

const cache = new Map<string, FeatureSources>();

parentPort!.on("message", (input: WorkerInput) => {
  void (async () => {
    try {
      const key = `${input.trainDir}|${input.testDir}`;
      if (!cache.has(key)) cache.set(key, { train: FeatureSplit.open(input.trainDir), test: FeatureSplit.open(input.testDir) });
      const train = await trainerFor(input.task.head);
      const out = await train(cache.get(key)!, input.task);
      parentPort!.postMessage({ ok: true, out }, [out.oof.buffer as ArrayBuffer, out.test.buffer as ArrayBuffer]);
    } catch (e) {
      parentPort!.postMessage({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e), userError: e instanceof UserError });
    }
  })();
});
