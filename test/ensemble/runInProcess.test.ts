/**
 * `runBlend` (the body of `npm run blend`) called in this process on a small real run: the OOF of
 * two frozen heads and tf-idf trained once by their real trainers (the trainer module a worker
 * thread imports, run here instead of in a thread), then blended. Every figure it writes is checked
 * against one computed here from the OOF files it read: the scores by a pairwise AUC / a direct
 * log loss, the choice by the nested scores, the submission by the sample's ids and order.
 * test/ensemble/run.test.ts runs the same command as a child process, the way a user does.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { makeSentimentCompetition, type TempCompetition } from "../helpers/competition.js";
import { loadConfig, type BlendMethod, type Config } from "../../src/config.js";
import { runOof, type JobRunner, type OofRunOptions } from "../../src/oof/run.js";
import { FeatureSplit } from "../../src/store/features.js";
import { ModelLineup } from "../../src/registry/lineup.js";
import type { HeadTrainer } from "../../src/heads/types.js";
import { runBlend, blendTable, type BlendRun } from "../../src/ensemble/run.js";
import { blend, type BlendResult } from "../../src/ensemble/blend.js";
import { ablations } from "../../src/ensemble/ablation.js";
import { readCsv, writeCsv } from "../../src/io/csv.js";
import { shuffled } from "../../src/util/random.js";
import { UserError } from "../../src/util/errors.js";

/** Fold jobs run one after another in this process by the models' real trainers. */
const inProcess: OofRunOptions = {
  jobRunner: async (): Promise<JobRunner> => ({
    slots: 1,
    sharedMemory: true,
    run: async (jobs, onStart, onResult) => {
      for (const j of jobs) {
        onStart(j.id);
        const { train } = (await import(j.input.trainer)) as { train: HeadTrainer };
        const sources = { train: FeatureSplit.open(j.input.trainDir), test: FeatureSplit.open(j.input.testDir), shared: j.input.shared };
        onResult(j.id, await train(sources, j.input.task));
      }
    },
  }),
};

const HEADS = ["mean", "max", "tfidf"];

/** AUC as the share of (positive, negative) pairs ordered right, ties counting one half. */
function pairAuc(y: number[], p: number[]): number {
  let s = 0, pairs = 0;
  for (let i = 0; i < y.length; i++)
    for (let j = 0; j < y.length; j++)
      if (y[i] === 1 && y[j] === 0) {
        pairs++;
        s += p[i] > p[j] ? 1 : p[i] === p[j] ? 0.5 : 0;
      }
  return s / pairs;
}

function logLoss(y: number[], p: number[]): number {
  const q = p.map((v) => Math.min(1 - 1e-15, Math.max(1e-15, v)));
  return -y.reduce((s, v, i) => s + (v === 1 ? Math.log(q[i]) : Math.log(1 - q[i])), 0) / y.length;
}

describe("runBlend in process on a real run of mean, max and tfidf", () => {
  let comp: TempCompetition;
  let extOof: string, extTest: string;
  /** the OOF files as written by the run: per model the predictions, and the labels and folds */
  let oofOf: Record<string, number[]>, testOf: Record<string, number[]>, y: number[], folds: number[];
  const cfgWith = (over: Record<string, unknown> = {}): Config => loadConfig(comp.configFile, { heads: HEADS, ...over });

  beforeAll(async () => {
    comp = makeSentimentCompetition(60, 21, { heads: HEADS });
    const sample = readCsv(join(comp.dataDir, "sample_submission.csv"));
    writeCsv(join(comp.dataDir, "sample_submission.csv"), sample.header, shuffled(sample.rows, 5));
    const cfg = cfgWith();
    await runOof(cfg, inProcess);
    const train = readCsv(join(comp.dataDir, "train.csv"));
    y = train.rows.map((r) => Number(r[2]));
    oofOf = {};
    testOf = {};
    for (const h of HEADS) {
      const o = readCsv(join(cfg.out, "oof", `${h}.csv`));
      expect(o.rows.map((r) => r[0])).toEqual(train.rows.map((r) => r[0]));
      oofOf[h] = o.rows.map((r) => Number(r[2]));
      folds = o.rows.map((r) => Number(r[1]));
      // test/<head>.csv is in sample order; keyed back to test.csv order below
      const t = readCsv(join(cfg.out, "test", `${h}.csv`));
      const byId = new Map(t.rows.map((r) => [r[0], Number(r[1])]));
      testOf[h] = readCsv(join(comp.dataDir, "test.csv")).rows.map((r) => byId.get(r[0])!);
    }
    // an external model: the max head's predictions, rows shuffled, under another column order
    extOof = join(comp.root, "ext_oof.csv");
    extTest = join(comp.root, "ext_test.csv");
    const testIds = readCsv(join(comp.dataDir, "test.csv")).rows.map((r) => r[0]);
    writeCsv(extOof, ["id", "label"], shuffled(train.rows.map((r, i) => [r[0], oofOf.max[i]]), 2));
    writeCsv(extTest, ["id", "label"], shuffled(testIds.map((id, i) => [id, testOf.max[i]]), 3));
  }, 300_000);

  /** The blend input as the test rebuilds it from the written files and the config. */
  const inputOf = (cfg: Config, names: string[], ext: boolean) => {
    const pick = (m: Record<string, number[]>) => [...HEADS.map((h) => Float64Array.from(m[h])), ...(ext ? [Float64Array.from(m.max)] : [])];
    return {
      names, oof: pick(oofOf), test: pick(testOf),
      ctx: { task: cfg.task, metric: cfg.metric, c: 1, y: Float64Array.from(y), seed: cfg.folds.seed, rounds: cfg.blend.rounds, bags: cfg.blend.bags, folds: Int32Array.from(folds) },
    };
  };

  const expectSameResult = (got: BlendResult, want: BlendResult): void => {
    expect(got.method).toBe(want.method);
    expect(got.weights).toEqual(want.weights);
    expect(got.oofScore).toBeCloseTo(want.oofScore, 12);
    expect(got.nestedScore).toBeCloseTo(want.nestedScore, 12);
    expect(got.nestedFolds.length).toBe(want.nestedFolds.length);
    got.test.forEach((v, i) => expect(v).toBeCloseTo(want.test[i], 12));
  };

  /** The submission as written, each value next to the chosen blend's test prediction for that id. */
  const checkSubmission = (b: BlendRun): void => {
    const sub = readCsv(b.submission), sample = readCsv(join(comp.dataDir, "sample_submission.csv"));
    expect(sub.header).toEqual(sample.header);
    expect(sub.rows.map((r) => r[0])).toEqual(sample.rows.map((r) => r[0]));
    const testIds = readCsv(join(comp.dataDir, "test.csv")).rows.map((r) => r[0]);
    for (const r of sub.rows) expect(Number(r[1])).toBeCloseTo(b.chosen.test[testIds.indexOf(r[0])], 12);
  };

  it("auto: every auc method blended, the best nested-CV one submitted, blend.json and scores.json written", async () => {
    const cfg = cfgWith({ blend: { method: "auto" } });
    const b = await runBlend(cfg);
    const input = inputOf(cfg, HEADS, false);
    expect(b.models).toEqual(HEADS);
    const methods: BlendMethod[] = ["hillclimb", "nnls", "rank", "stack"];
    expect(Object.keys(b.results)).toEqual(methods);
    for (const m of methods) expectSameResult(b.results[m]!, await blend(m, input, ["label"]));
    const nested = methods.map((m) => b.results[m]!.nestedScore);
    const best = methods[nested.indexOf(Math.max(...nested))];
    expect(b.chosen.method).toBe(best);
    expect(b.chosenBy).toBe("auto: the best nested-CV auc of hillclimb, nnls, rank, stack");
    // the best single model by an AUC computed here
    const singles = HEADS.map((h) => pairAuc(y, oofOf[h]));
    expect(b.bestSingle.name).toBe(HEADS[singles.indexOf(Math.max(...singles))]);
    expect(b.bestSingle.cv).toBeCloseTo(Math.max(...singles), 12);
    // without the frozen heads (tfidf alone), without tfidf (the two heads)
    const abl = await ablations(best, input, ["label"], (await ModelLineup.load(cfg)).families());
    expect(abl.map((a) => a.without)).toEqual(["the frozen heads", "tfidf"]);
    expect(b.ablations).toEqual(abl);
    checkSubmission(b);
    expect(b.submission).toBe(cfg.submission);

    const text = readFileSync(join(cfg.out, "blend.json"), "utf8");
    expect(text.endsWith("}\n")).toBe(true);
    expect(readFileSync(join(cfg.out, "scores.json"), "utf8").endsWith("}\n")).toBe(true);
    const json = JSON.parse(text) as Record<string, unknown>;
    expect(json.method).toBe(best);
    expect(json.chosenBy).toBe(b.chosenBy);
    expect(json.models).toEqual(HEADS);
    expect(json.external).toEqual([]);
    expect(json.weights).toEqual(b.chosen.weights);
    expect(json.oofScore).toBe(b.chosen.oofScore);
    expect(json.nestedScore).toBe(b.chosen.nestedScore);
    expect(json.bestSingle).toEqual(b.bestSingle);
    expect(json.submission).toBe(cfg.submission);
    expect(json.ablations).toEqual(abl);
    const summary = json.methods as Record<string, Record<string, unknown>>;
    expect(Object.keys(summary)).toEqual(methods);
    for (const m of methods) {
      const r = b.results[m]!;
      expect(summary[m]).toEqual({ weights: r.weights, oofScore: r.oofScore, nestedScore: r.nestedScore, nestedFolds: r.nestedFolds, seconds: r.seconds });
    }

    const scores = JSON.parse(readFileSync(join(cfg.out, "scores.json"), "utf8")) as Record<string, Record<string, unknown>>;
    // the heads' entries that npm run oof wrote are kept
    for (const h of HEADS) expect((scores.heads[h] as { cv: number }).cv).toBeCloseTo(pairAuc(y, oofOf[h]), 12);
    expect(scores.external).toEqual({});
    expect(scores.blend).toEqual({ method: best, chosenBy: b.chosenBy, weights: b.chosen.weights, oofScore: b.chosen.oofScore, nestedScore: b.chosen.nestedScore, methods: summary });
    expect(b.oof.heads.mean!.cv).toBeCloseTo(pairAuc(y, oofOf.mean), 12);
  }, 120_000);

  it("blend.method from the config, with an external model joined by id", async () => {
    const cfg = cfgWith({ blend: { method: "nnls" } });
    const b = await runBlend(cfg, { oof: [extOof], test: [extTest] });
    const names = [...HEADS, "ext:ext_oof"];
    expect(b.models).toEqual(names);
    expect(b.chosen.method).toBe("nnls");
    expect(b.chosenBy).toBe("blend.method in the config");
    const input = inputOf(cfg, names, true);
    expectSameResult(b.chosen, await blend("nnls", input, ["label"]));
    expect(b.ablations).toEqual(await ablations("nnls", input, ["label"], (await ModelLineup.load(cfg)).families()));
    checkSubmission(b);
    const json = JSON.parse(readFileSync(join(cfg.out, "blend.json"), "utf8")) as Record<string, unknown>;
    expect(json.external).toEqual([{ name: "ext:ext_oof", oof: extOof, test: extTest }]);
    expect(json.method).toBe("nnls");
    const scores = JSON.parse(readFileSync(join(cfg.out, "scores.json"), "utf8")) as { external: Record<string, { cv: number }> };
    // the external file is the max head reshuffled: joined by id, it scores like max
    expect(scores.external).toEqual({ "ext:ext_oof": { cv: pairAuc(y, oofOf.max) } });
    expect(Object.keys(scores.external)).toEqual(["ext:ext_oof"]);
  }, 120_000);

  it("log loss: the smallest nested-CV loss is submitted; rank is refused", async () => {
    const cfg = cfgWith({ metric: "logloss", blend: { method: "auto" } });
    const b = await runBlend(cfg);
    const methods: BlendMethod[] = ["hillclimb", "nnls", "stack"];
    expect(Object.keys(b.results)).toEqual(methods);
    const nested = methods.map((m) => b.results[m]!.nestedScore);
    expect(b.chosen.method).toBe(methods[nested.indexOf(Math.min(...nested))]);
    expect(b.chosenBy).toBe("auto: the best nested-CV logloss of hillclimb, nnls, stack");
    const singles = HEADS.map((h) => logLoss(y, oofOf[h]));
    expect(b.bestSingle.name).toBe(HEADS[singles.indexOf(Math.min(...singles))]);
    expect(b.bestSingle.cv).toBeCloseTo(Math.min(...singles), 12);
    const err = await runBlend(cfgWith({ metric: "logloss", blend: { method: "rank" } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe("blend.method rank needs metric auc, not logloss");
  }, 120_000);

  it("blendTable: one row per method, the submitted one starred, the best single model and the ablations", async () => {
    const b = await runBlend(cfgWith({ blend: { method: "stack" } }));
    const lines = blendTable(b).split("\n");
    const cells = (l: string) => l.split(/ {2,}/);
    expect(cells(lines[0])).toEqual(["blend", "OOF auc (in-sample)", "nested-CV", "weights"]);
    expect(lines[1]).toMatch(/^-+ {2}-+ {2}-+ {2}-+$/);
    const methods = ["hillclimb", "nnls", "rank", "stack"] as const;
    methods.forEach((m, i) => {
      const r = b.results[m]!;
      const w = Object.entries(r.weights as Record<string, number>).filter(([, v]) => v > 0.0005).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(", ");
      expect(cells(lines[2 + i])).toEqual([m + (m === "stack" ? " *" : ""), r.oofScore.toFixed(5), r.nestedScore.toFixed(5), ...(w ? [w] : [])]);
    });
    expect(cells(lines[6])).toEqual([`best single (${b.bestSingle.name})`, b.bestSingle.cv.toFixed(5)]);
    expect(lines[7]).toBe("");
    expect(lines[8]).toBe("submitted: stack (blend.method in the config)");
    expect(lines.slice(9)).toEqual(b.ablations.map((a) => `stack without ${a.without}: ${a.oofScore.toFixed(5)} in-sample, ${a.nestedScore.toFixed(5)} nested-CV`));
    // columns are padded to their widest cell: every row starts its second cell at the same place
    const at = lines.filter((l) => l && !l.startsWith("submitted") && !l.startsWith("stack without")).map((l) => l.indexOf(cells(l)[1]));
    expect(new Set(at).size).toBe(1);
  }, 120_000);
});

describe("blendTable's weights", () => {
  it("per-target weights nest under their column; weights of 0.0005 and under are left out", () => {
    const r = (method: BlendMethod, weights: BlendResult["weights"]): BlendResult => ({ method, weights, oofScore: 0.5, nestedScore: 0.25, nestedFolds: [], oof: new Float64Array(), test: new Float64Array(), seconds: 0 });
    const chosen = r("nnls", { u: { a: 0.9995, b: 0.0005 }, v: { a: 0.25, b: 0.75 } });
    const b = {
      oof: { prepared: { cfg: { metric: "mcrmse" } } }, models: ["a", "b"], results: { nnls: chosen, hillclimb: r("hillclimb", { a: 0.0006, b: 0.9994 }) }, chosen, chosenBy: "x",
      ablations: [], submission: "s.csv", bestSingle: { name: "a", cv: 1 / 3 },
    } as unknown as BlendRun;
    const lines = blendTable(b).split("\n");
    // widths: the widest cell of each column ("best single (a)", the header's "OOF mcrmse (in-sample)", "nested-CV")
    const row = (a: string, b2: string, c: string, d: string) => `${a.padEnd(15)}  ${b2.padEnd(22)}  ${c.padEnd(9)}  ${d}`.trimEnd();
    expect(lines[0]).toBe(row("blend", "OOF mcrmse (in-sample)", "nested-CV", "weights"));
    expect(lines[2]).toBe(row("nnls *", "0.50000", "0.25000", "u: {a 1.000}, v: {a 0.250, b 0.750}"));
    expect(lines[3]).toBe(row("hillclimb", "0.50000", "0.25000", "a 0.001, b 0.999"));
    expect(lines[4]).toBe("best single (a)  0.33333");
    expect(lines[6]).toBe("submitted: nnls (x)");
    expect(lines).toHaveLength(7);
  });
});
