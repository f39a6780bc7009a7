/** Gathers what the report shows from a finished run folder (scores.json, blend.json, OOF files). */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { HEAD_NAMES, type Config } from "../config.js";
import { prepare, type Prepared } from "../oof/run.js";
import { readCsv } from "../io/csv.js";
import { METRICS, score } from "../validation/metrics.js";
import { openTokenizer } from "../backbone/tokenizer.js";
import { correlationMatrix, errors, folkloreCheck, pairGains, type PairGain } from "./diversity.js";
import { UserError } from "../util/errors.js";
import { readTiming } from "../store/features.js";
import type { Json } from "../heads/types.js";

export interface ReportData {
  name: string;
  task: string;
  metric: string;
  greater: boolean;
  rows: number;
  testRows: number;
  k: number;
  heads: { name: string; cv: number; folds: number[]; seconds: number }[];
  predCorr: number[][];
  errCorr: number[][];
  pairs: PairGain[];
  blends: { method: string; oofScore: number; nestedScore: number; weights: Record<string, number> | Record<string, Record<string, number>>; chosen: boolean }[];
  bestSingle: { name: string; cv: number } | null;
  /** why the submitted blend method was chosen */
  chosenBy: string | null;
  folklore: ReturnType<typeof folkloreCheck>;
  /** the same check on the fine-tuned heads (`<head>-ft`), when they were trained */
  folkloreFinetuned: ReturnType<typeof folkloreCheck> | null;
  /** each head next to its fine-tuned twin: CV of both, gain, correlation of their OOF errors */
  twins: { head: string; frozen: number; finetuned: number; gain: number; errCorr: number }[];
  /** the submitted blend method without each family of models */
  ablations: { without: string; oofScore: number; nestedScore: number }[];
  layerWeights: { layerStart: number; perFold: number[][] } | null;
  attentionExamples: { id: string; tokens: { text: string; weight: number }[] }[];
  times: { stage: string; seconds: number }[];
}

interface ScoresFile {
  heads: Record<string, { cv: number; folds: number[]; seconds: number; info: Record<string, Json>[] }>;
}

interface BlendFile {
  method: string;
  chosenBy?: string;
  ablations?: { without: string; oofScore: number; nestedScore: number }[];
  bestSingle: { name: string; cv: number };
  methods: Record<string, { weights: ReportData["blends"][number]["weights"]; oofScore: number; nestedScore: number; seconds: number }>;
}

export function gatherReport(cfg: Config, prepared?: Prepared): ReportData {
  const scoresFile = join(cfg.out, "scores.json");
  if (!existsSync(scoresFile)) throw new UserError(`${scoresFile}: not found; run npm run oof (and npm run blend) first`);
  const scores = JSON.parse(readFileSync(scoresFile, "utf8")) as ScoresFile;
  const blendFile = join(cfg.out, "blend.json");
  const blend = existsSync(blendFile) ? (JSON.parse(readFileSync(blendFile, "utf8")) as BlendFile) : null;
  const p = prepared ?? prepare(cfg);
  const t = p.targets;
  const names = cfg.heads.filter((h) => scores.heads[h]);
  const preds = names.map((h) => {
    const tab = readCsv(join(cfg.out, "oof", `${h}.csv`));
    const out = new Float64Array(t.n * t.c);
    tab.rows.forEach((r, i) => r.slice(2).forEach((v, k) => (out[i * t.c + k] = Number(v))));
    return out;
  });
  const greater = METRICS[cfg.metric].greater;
  const cv = Object.fromEntries(names.map((h, i) => [h, score(cfg.metric, t.y, preds[i], t.c)]));

  const wl = scores.heads.weightedLayer?.info;
  const layerWeights = wl ? { layerStart: Number(wl[0].layerStart), perFold: wl.map((x) => x.layerWeights as number[]) } : null;

  const examples: ReportData["attentionExamples"] = [];
  const att = scores.heads.attention?.info;
  if (att) {
    const tok = openTokenizer(cfg.backbone.model, cfg.backbone.maxLength);
    for (const fold of att.slice(0, 2))
      for (const ex of ((fold.examples ?? []) as { row: number; weights: number[] }[]).slice(0, 2)) {
        const enc = tok.encode(p.train.texts[ex.row]);
        const pieces = tok.tokenStrings(enc.ids);
        examples.push({ id: p.train.ids[ex.row], tokens: pieces.map((s, i) => ({ text: s, weight: ex.weights[i] ?? 0 })) });
      }
  }

  const times: ReportData["times"] = [];
  // the pass that computed the features (a later cached run took no time)
  for (const split of ["train", "test"]) {
    const timing = readTiming(join(cfg.out, "features", split));
    if (timing) for (const stage of ["tokenize", "forward", "pooling", "write"] as const) times.push({ stage: `features ${split}: ${stage}`, seconds: timing[stage] });
  }
  for (const h of names) times.push({ stage: `train ${h} (${cfg.folds.k} folds, CPU)`, seconds: scores.heads[h].seconds });
  if (blend) for (const [m, b] of Object.entries(blend.methods)) times.push({ stage: `blend ${m} (with nested CV)`, seconds: b.seconds });

  const errCorr = correlationMatrix(preds.map((q) => errors(t.task, q, t.y, t.c)));
  const twins = HEAD_NAMES.filter((h) => names.includes(h) && names.includes(`${h}-ft`)).map((h) => {
    const a = names.indexOf(h), b = names.indexOf(`${h}-ft`);
    return { head: h, frozen: cv[h], finetuned: cv[`${h}-ft`], gain: greater ? cv[`${h}-ft`] - cv[h] : cv[h] - cv[`${h}-ft`], errCorr: errCorr[a][b] };
  });
  const ftCv = Object.fromEntries(names.filter((n) => n.endsWith("-ft")).map((n) => [n.slice(0, -3), cv[n]]));

  return {
    name: cfg.name,
    task: t.task,
    metric: cfg.metric,
    greater,
    rows: t.n,
    testRows: p.test.ids.length,
    k: cfg.folds.k,
    heads: names.map((h) => ({ name: h, cv: cv[h], folds: scores.heads[h].folds, seconds: scores.heads[h].seconds })),
    predCorr: correlationMatrix(preds),
    errCorr,
    pairs: pairGains(names, preds, t.y, t.c, cfg.metric, greater),
    blends: blend ? Object.entries(blend.methods).map(([m, b]) => ({ method: m, oofScore: b.oofScore, nestedScore: b.nestedScore, weights: b.weights, chosen: m === blend.method })) : [],
    bestSingle: blend?.bestSingle ?? null,
    chosenBy: blend ? `${blend.method}, chosen by ${blend.chosenBy ?? "blend.method in the config"}` : null,
    folklore: folkloreCheck(cv, greater),
    folkloreFinetuned: Object.keys(ftCv).length > 1 ? folkloreCheck(ftCv, greater) : null,
    twins,
    ablations: blend?.ablations ?? [],
    layerWeights,
    attentionExamples: examples,
    times,
  };
}
