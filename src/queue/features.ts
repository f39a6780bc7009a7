/** The coordinator's side of feature chunks on the queue: the missing chunks go to the workers, with a progress line. */
import type { ChunkRunner } from "../features/pass.js";
import { Progress } from "../util/progress.js";
import { existsSync } from "node:fs";
import { chunkJobs } from "./chunkJobs.js";
import type { Coordinator } from "./coordinator.js";

/** A feature pass's `chunkRunner` that has the queue's workers compute the chunks into the shared run folder. */
export function queueChunkRunner(coordinator: Coordinator, runDir: string): ChunkRunner {
  return async (plan) => {
    const jobs = chunkJobs(runDir, plan);
    const rows = new Map(plan.chunks.map((c) => [c.file, c.rows.length]));
    const progress = new Progress(`features ${plan.split} (queue)`, plan.chunks.reduce((a, c) => a + c.rows.length, 0));
    let done = 0;
    await coordinator.run(
      jobs.map((j) => ({ name: "chunk", id: j.id, data: j.data, done: () => existsSync(j.file) })),
      () => {},
      (id) => {
        done += rows.get(jobs.find((j) => j.id === id)!.file)!;
        progress.update(done);
      },
    );
    progress.done();
  };
}
