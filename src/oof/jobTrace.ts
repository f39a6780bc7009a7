/**
 * `POOLBLEND_JOB_TRACE=FILE`: the OOF stage appends one JSON line per event to FILE — the job
 * plan, each fold job's start and end, the progress its trainer reports (at most once a second),
 * and the ETA the progress line shows each second — with `t` in seconds since training began, so
 * that an ETA can be checked against the truth afterwards.
 */
import { appendFileSync } from "node:fs";

export type TraceEvent =
  | { ev: "plan"; workers: number; jobs: { id: string; model: string; fold: number; prior: number }[] }
  | { ev: "start"; id: string }
  | { ev: "end"; id: string; seconds: number; done: number }
  | { ev: "progress"; id: string; p: number }
  | { ev: "eta"; done: number; eta: number };

/** A recorder writing to `file` (a no-op without one); `t0` is performance.now() at the start of training. */
export function jobTrace(file: string | undefined, t0: number): (e: TraceEvent) => void {
  if (!file) return () => {};
  return (e) => appendFileSync(file, JSON.stringify({ t: (performance.now() - t0) / 1000, ...e }) + "\n");
}
