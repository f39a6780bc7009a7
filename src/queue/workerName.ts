/**
 * A queue worker's name, as Redis lists its connection: how many jobs it runs at once and its
 * host. The coordinator adds up the first to know how many jobs run side by side (for its ETA).
 */
import { hostname } from "node:os";

export function workerName(concurrency: number): string {
  return `t${concurrency}-${hostname().replace(/[^\w.-]/g, "_")}`;
}

/** Σ concurrency over the workers whose Redis client names are given (BullMQ names them `…:w:<worker name>`). */
export function workerSlots(clientNames: readonly string[]): number {
  let n = 0;
  for (const name of clientNames) {
    const m = /:w:t(\d+)-/.exec(name);
    if (m) n += Number(m[1]);
  }
  return n;
}
