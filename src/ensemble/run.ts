/** `npm run blend`: OOF (cached), blend every method, write the submission, blend.json and scores. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { BlendMethod, Config } from "../config.js";
import { runOof, type OofResult, type OofRunOptions } from "../oof/run.js";
import { writeFileAtomic } from "../io/atomic.js";
import { score, better } from "../validation/metrics.js";
import { blend, methodsFor, type BlendResult } from "./blend.js";
import { loadExternal } from "./external.js";
import { ablations, type Ablation } from "./ablation.js";
import { submissionRows, writeSubmission } from "./submission.js";
import { UserError } from "../util/errors.js";
import { ModelLineup } from "../registry/lineup.js";

export interface BlendRun {
  oof: OofResult;
  models: string[];
  results: Partial<Record<BlendMethod, BlendResult>>;
  chosen: BlendResult;
  /** why `chosen` was submitted */
  chosenBy: string;
  /** the chosen method without each family of models */
  ablations: Ablation[];
  submission: string;
  bestSingle: { name: string; cv: number };
}

export async function runBlend(cfg: Config, external: { oof: string[]; test: string[] } = { oof: [], test: [] }, run: OofRunOptions = {}): Promise<BlendRun> {
  const r = await runOof(cfg, run);
  const p = r.prepared;
  const t = p.targets;
  const ext = loadExternal(external.oof, external.test, cfg.data.id, p.train.ids, p.test.ids, t.columns);
  const names = [...cfg.heads, ...ext.map((e) => e.name)];
  const oof = [...cfg.heads.map((h) => r.oof[h]!), ...ext.map((e) => e.oof)];
  const test = [...cfg.heads.map((h) => r.test[h]!), ...ext.map((e) => e.test)];
  const ctx = { task: t.task, metric: cfg.metric, c: t.c, y: t.y, seed: cfg.folds.seed, rounds: cfg.blend.rounds, bags: cfg.blend.bags, folds: p.folds };
  const methods = methodsFor(cfg.metric);
  const asked = cfg.blend.method;
  if (asked !== "auto" && !methods.includes(asked)) throw new UserError(`blend.method ${asked} needs metric auc, not ${cfg.metric}`);
  const results: BlendRun["results"] = {};
  for (const m of methods) results[m] = await blend(m, { names, oof, test, ctx }, t.columns);
  // auto: the method that scored best on folds it was not fitted on (ties: the first in methodsFor's order)
  const chosen = asked === "auto" ? methods.map((m) => results[m]!).reduce((a, b) => (better(cfg.metric, b.nestedScore, a.nestedScore) ? b : a)) : results[asked]!;
  const why = asked === "auto" ? `auto: the best nested-CV ${cfg.metric} of ${methods.join(", ")}` : "blend.method in the config";
  for (const a of [chosen.oof, chosen.test]) if (!a.every(Number.isFinite)) throw new Error("blend produced non-finite predictions");
  const rows = submissionRows(cfg, t, p.sample, p.testRowOf, chosen.test);
  writeSubmission(cfg.submission, p.sample, rows);
  const without = await ablations(chosen.method, { names, oof, test, ctx }, t.columns, (await ModelLineup.load(cfg)).families());

  const singles = names.map((n, i) => ({ name: n, cv: score(cfg.metric, t.y, oof[i], t.c) }));
  const bestSingle = singles.reduce((a, b) => (better(cfg.metric, b.cv, a.cv) ? b : a));
  const summary = Object.fromEntries(Object.entries(results).map(([m, b]) => [m, { weights: b.weights, oofScore: b.oofScore, nestedScore: b.nestedScore, nestedFolds: b.nestedFolds, seconds: b.seconds }]));
  const blendJson = {
    method: chosen.method,
    chosenBy: why,
    models: names,
    external: ext.map((e, i) => ({ name: e.name, oof: external.oof[i], test: external.test[i] })),
    weights: chosen.weights,
    oofScore: chosen.oofScore,
    nestedScore: chosen.nestedScore,
    bestSingle,
    submission: cfg.submission,
    methods: summary,
    ablations: without,
  };
  writeFileAtomic(join(cfg.out, "blend.json"), JSON.stringify(blendJson, null, 2) + "\n");
  const scoresFile = join(cfg.out, "scores.json");
  const scores = existsSync(scoresFile) ? (JSON.parse(readFileSync(scoresFile, "utf8")) as Record<string, unknown>) : {};
  scores.external = Object.fromEntries(singles.filter((s) => s.name.startsWith("ext:")).map((s) => [s.name, { cv: s.cv }]));
  scores.blend = { method: chosen.method, chosenBy: why, weights: chosen.weights, oofScore: chosen.oofScore, nestedScore: chosen.nestedScore, methods: summary };
  writeFileAtomic(scoresFile, JSON.stringify(scores, null, 2) + "\n");
  return { oof: r, models: names, results, chosen, chosenBy: why, ablations: without, submission: cfg.submission, bestSingle };
}

/** The blend table: each method's OOF (in-sample) and nested-CV score next to the best single model. */
export function blendTable(b: BlendRun): string {
  const metric = b.oof.prepared.cfg.metric;
  const fmtW = (w: BlendResult["weights"]): string =>
    Object.entries(w)
      .map(([k, v]) => (typeof v === "number" ? (v > 0.0005 ? `${k} ${v.toFixed(3)}` : "") : `${k}: {${fmtW(v)}}`))
      .filter(Boolean)
      .join(", ");
  const rows = Object.values(b.results).map((r) => [r.method + (r === b.chosen ? " *" : ""), r.oofScore.toFixed(5), r.nestedScore.toFixed(5), fmtW(r.weights)]);
  rows.push([`best single (${b.bestSingle.name})`, b.bestSingle.cv.toFixed(5), "", ""]);
  const head = ["blend", `OOF ${metric} (in-sample)`, "nested-CV", "weights"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const line = (x: string[]): string => x.map((v, i) => v.padEnd(w[i])).join("  ").trimEnd();
  const without = b.ablations.map((a) => `${b.chosen.method} without ${a.without}: ${a.oofScore.toFixed(5)} in-sample, ${a.nestedScore.toFixed(5)} nested-CV`);
  return [line(head), line(w.map((n) => "-".repeat(n))), ...rows.map(line), "", `submitted: ${b.chosen.method} (${b.chosenBy})`, ...without].join("\n");
}
