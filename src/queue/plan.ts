/**
 * What a queue worker needs besides the feature export to run a run's fold jobs: the targets,
 * strata and folds (and the texts, when a listed family builds an input from them, e.g. tfidf). The coordinator writes it once per run
 * into the run folder, named by its content, so a queued job carries only the file's name and
 * stays a few hundred bytes whatever the size of the competition.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Task } from "../config.js";
import type { FoldData } from "../oof/foldJob.js";
import { writeFileAtomic } from "../io/atomic.js";
import { sha256 } from "../util/hash.js";

export interface Plan extends FoldData {
  /** train and test rows' text columns, when a queued model's family builds its shared input from them */
  texts?: { train: string[][]; test: string[][] };
}

interface PlanJson {
  task: Task;
  c: number;
  y: number[];
  strata: number[];
  folds: number[];
  texts?: { train: string[][]; test: string[][] };
}

/** The plans' folder inside a run folder. */
export function plansDir(runDir: string): string {
  return join(runDir, "oof", ".queue");
}

/** A plan file's name: `plan-<16 hex>.json`. */
export const PLAN_NAME = /^plan-[0-9a-f]{16}\.json$/;

/** Writes the plan (unless a file of the same content is there) and returns its file name. */
export function writePlan(runDir: string, p: Plan): string {
  const json: PlanJson = { task: p.task, c: p.c, y: Array.from(p.y), strata: Array.from(p.strata), folds: Array.from(p.folds), ...(p.texts ? { texts: p.texts } : {}) };
  const text = JSON.stringify(json);
  const name = `plan-${sha256(text).slice(0, 16)}.json`;
  const file = join(plansDir(runDir), name);
  if (!existsSync(file)) writeFileAtomic(file, text);
  return name;
}

export function readPlan(file: string): Plan {
  const j = JSON.parse(readFileSync(file, "utf8")) as PlanJson;
  return { task: j.task, c: j.c, y: Float64Array.from(j.y), strata: Int32Array.from(j.strata), folds: Int32Array.from(j.folds), ...(j.texts ? { texts: j.texts } : {}) };
}
