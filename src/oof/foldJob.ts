/**
 * One fold job as data, and its result file: built and written the same way whether the job runs
 * in this process's worker threads or on a queue worker on another machine, so that the file a
 * job leaves in `oof/.jobs/` is the same bytes whoever ran it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ModelName, Task } from "../config.js";
import type { FoldResult, FoldTask } from "../heads/types.js";
import { writeFileAtomic } from "../io/atomic.js";
import { rowsWhere } from "../util/rows.js";

/** What every fold job of a run shares: the targets, their strata and the fold of each row. */
export interface FoldData {
  task: Task;
  c: number;
  y: Float64Array;
  strata: Int32Array;
  folds: Int32Array;
}

/** A model's fold job: its training and validation rows, seed and options. */
export function foldTask(d: FoldData, head: ModelName, fold: number, seed: number, options: FoldTask["options"]): FoldTask {
  return {
    head, fold, task: d.task, c: d.c, y: d.y, strata: d.strata,
    trainIdx: rowsWhere(d.folds, (x) => x !== fold), validIdx: rowsWhere(d.folds, (x) => x === fold),
    seed, options,
  };
}

/** The folder of a run's finished fold jobs. */
export function jobsDir(runDir: string): string {
  return join(runDir, "oof", ".jobs");
}

/** The result file of job `id` (ids are `<model>-<fold>-<key>`: no path separators). */
export function jobFile(runDir: string, id: string): string {
  return join(jobsDir(runDir), `${id}.json`);
}

/** Writes a finished job's result atomically: a reader sees the whole file or none. */
export function writeJobResult(file: string, r: FoldResult): void {
  writeFileAtomic(file, JSON.stringify({ ...r, oof: Array.from(r.oof), test: Array.from(r.test) }));
}

export function readJobResult(file: string): FoldResult {
  const j = JSON.parse(readFileSync(file, "utf8")) as Omit<FoldResult, "oof" | "test"> & { oof: number[]; test: number[] };
  return { ...j, oof: Float64Array.from(j.oof), test: Float64Array.from(j.test) };
}

export function jobDone(file: string): boolean {
  return existsSync(file);
}
