/**
 * A fixed pool of worker threads running jobs from a queue. Workers are TypeScript modules:
 * each thread first registers tsx's loader, then imports the worker module (Node 20 does not
 * apply `--import` hooks to a worker's entry module).
 */
import { Worker } from "node:worker_threads";

export interface PoolJob<I> {
  id: string;
  input: I;
}

/** Runs every job on `size` workers of `workerUrl`; `onResult` sees results as they finish. */
export async function runPool<I, O>(workerUrl: URL, size: number, jobs: PoolJob<I>[], onResult: (id: string, out: O) => void): Promise<void> {
  const queue = [...jobs];
  const n = Math.max(1, Math.min(size, queue.length));
  let failed: Error | undefined;
  const runWorker = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const boot = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl.href)}); });`;
      const w = new Worker(boot, { eval: true });
      const next = (): void => {
        const job = failed ? undefined : queue.shift();
        if (!job) {
          void w.terminate().then(() => resolve());
          return;
        }
        w.once("message", (m: { ok: true; out: O } | { ok: false; error: string; userError: boolean }) => {
          if (m.ok) {
            onResult(job.id, m.out);
            next();
          } else {
            failed = m.userError ? Object.assign(new Error(m.error), { userError: true }) : new Error(`job ${job.id}: ${m.error}`);
            void w.terminate().then(() => reject(failed));
          }
        });
        w.postMessage(job.input);
      };
      w.once("error", (e) => reject(e));
      w.once("online", next);
    });
  await Promise.all(Array.from({ length: n }, runWorker));
}
