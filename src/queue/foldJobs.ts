/**
 * A fold job on the queue is data only: the run folder (as the coordinator sees it), the model,
 * fold, seed and options, the name of the run's plan file, and the fingerprint of the code the
 * model runs. A worker maps the run folder onto its own mount of the shared storage, refuses a
 * folder outside its root and a job planned by other code, and writes nothing but the job's
 * result file inside that run folder.
 */
import { existsSync, realpathSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { UnrecoverableError } from "bullmq";
import { PROJECT_ROOT, type ModelName } from "../config.js";
import type { FoldTask } from "../heads/types.js";
import type { ModelFamily } from "../models/family.js";
import { BUILT_IN, importFamily, type ModelLineup } from "../registry/lineup.js";
import { codeFingerprint } from "../registry/code.js";
import { PLAN_NAME } from "./plan.js";

/** A backbone's folder or a family module: inside the poolblend folder (every machine has its own), else a path on the shared storage. */
export type ModelRef = { inPoolblend: string } | { path: string };

export function modelRef(modelDir: string): ModelRef {
  const rel = relative(PROJECT_ROOT, modelDir);
  const inside = rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
  return inside ? { inPoolblend: rel.split(sep).join("/") } : { path: modelDir };
}

export interface FoldJobData {
  runDir: string;
  /** `<model>-<fold>-<key>`, the name of its result file */
  id: string;
  head: ModelName;
  fold: number;
  seed: number;
  /** the options of the model's family (plain JSON) */
  options: Record<string, unknown>;
  model: ModelRef;
  plan: string;
  /** the code fingerprint of the model's trainer on the coordinator */
  code: string;
  /** the module that declares the model's family, when the config names it under "modelFamilies" */
  family?: ModelRef;
}

/** The queued form of a fold job planned by this process. */
export function foldJobData(runDir: string, plan: string, id: string, t: FoldTask, lineup: ModelLineup): FoldJobData {
  const { modelDir, ...options } = t.options;
  const family = lineup.module(t.head);
  return { runDir, id, head: t.head, fold: t.fold, seed: t.seed, options, plan, model: modelRef(modelDir), code: lineup.code(t.head), ...(family ? { family: modelRef(family) } : {}) };
}

/** The family of a job's model on this worker: poolblend's own, or the job's family module found on the shared storage; undefined if none serves it. */
export async function jobFamily(d: FoldJobData, place: WorkerPlace): Promise<ModelFamily | undefined> {
  const head = d?.head;
  if (d?.family === undefined) return BUILT_IN.find((f) => f.names.includes(head));
  const id = typeof d.id === "string" ? d.id : "(no id)";
  const module = localModelDir(d.family, place, id, "model family module");
  const family = await importFamily(module, `job ${id}`).catch((e: Error) => {
    throw refuse(id, e.message);
  });
  return family.names.includes(head) ? family : undefined;
}

/** `FROM=TO`: a path the coordinator names under FROM is found under TO on this worker. */
export interface PathMap {
  from: string;
  to: string;
}

/** Where a worker may read and write: its root, and the path mappings of its shared storage. */
export interface WorkerPlace {
  root: string;
  maps: PathMap[];
}

const refuse = (id: string, why: string): UnrecoverableError => new UnrecoverableError(`job ${id}: ${why}`);

/** A coordinator's path on this worker: the longest matching mapping applied, then required to lie inside the root. */
export function localPath(p: string, place: WorkerPlace, id: string, what: string): string {
  if (!isAbsolute(p)) throw refuse(id, `${what} ${JSON.stringify(p)} is not an absolute path`);
  let local = resolve(p);
  const map = place.maps.filter((m) => local === m.from || local.startsWith(m.from + sep)).sort((a, b) => b.from.length - a.from.length)[0];
  if (map) local = join(map.to, local.slice(map.from.length));
  if (!existsSync(local)) throw refuse(id, `${what} ${local} does not exist on this worker (is the shared storage mounted here? --map COORDINATOR_PATH=WORKER_PATH)`);
  const real = realpathSync(local), root = realpathSync(place.root);
  if (real !== root && !real.startsWith(root.endsWith(sep) ? root : root + sep)) throw refuse(id, `${what} ${real} is outside this worker's root ${root} (--root); rejected`);
  return real;
}

/** Throws (no retry) unless the job's data has the expected shape, a model `family` serves, and this worker's code. */
export function checkFoldJob(d: FoldJobData, family: ModelFamily | undefined): void {
  const id = typeof d?.id === "string" ? d.id : "(no id)";
  if (!/^[A-Za-z][A-Za-z0-9_-]*-\d+-[0-9a-f]{16}$/.test(id)) throw refuse(id, "not a poolblend fold job id");
  if (!family || !id.startsWith(`${d.head}-${d.fold}-`)) throw refuse(id, `unknown model or fold (${String(d.head)}, ${String(d.fold)})`);
  if (typeof d.plan !== "string" || !PLAN_NAME.test(d.plan)) throw refuse(id, "not a poolblend plan file name");
  if (typeof d.runDir !== "string" || !Number.isInteger(d.seed) || typeof d.options !== "object") throw refuse(id, "malformed job");
  const mine = codeFingerprint(family.trainer(d.head));
  if (d.code !== mine) throw refuse(id, `refused: planned by poolblend code ${d.head}@${String(d.code)}, this worker runs ${d.head}@${mine}; run the same poolblend version on the coordinator and every worker`);
}

/** The backbone folder (or a model family's module) on this worker. */
export function localModelDir(model: ModelRef, place: WorkerPlace, id: string, what = "model folder"): string {
  if (typeof model !== "object" || model === null) throw refuse(id, "malformed job");
  if ("inPoolblend" in model) {
    const rel = model.inPoolblend;
    if (typeof rel !== "string" || rel.split("/").includes("..") || isAbsolute(rel)) throw refuse(id, `${what} ${String(rel)} leaves the poolblend folder`);
    return join(PROJECT_ROOT, rel);
  }
  return localPath(model.path, place, id, what);
}
