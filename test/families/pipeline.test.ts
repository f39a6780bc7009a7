/**
 * The whole job on another family's model folder, unchanged: `prepare-model` on a RoBERTa and an
 * ELECTRA checkpoint saved by transformers (with their task heads), then `oof` with frozen heads,
 * fine-tuned heads and tfidf, `blend` and `report` — every output written, the fine-tuned heads'
 * layers read from the family's own checkpoint.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { makeSentimentCompetition, type TempCompetition } from "../helpers/competition.js";
import { runPipeline } from "../helpers/run.js";
import { readCsv } from "../../src/io/csv.js";
import { FIXTURES } from "./fixtures.js";

const HEADS = ["mean", "attention", "weightedLayer", "mean-ft", "attention-ft", "tfidf"];

let comp: TempCompetition;
beforeAll(() => {
  comp = makeSentimentCompetition(60, 12);
});

describe.each(["roberta", "electra"])("%s: prepare-model, oof, blend, report", (name) => {
  it("runs end to end and writes every head's OOF and test predictions, the blend and the report", async () => {
    const model = join(comp.root, `model-${name}`);
    const prep = await runPipeline("prepare-model", ["--from", join(FIXTURES, name), "--out", model]);
    expect(prep.code).toBe(0);
    expect(prep.stderr).toMatch(/left out: /);
    const out = join(comp.root, `run-${name}`);
    // the fixtures' position tables hold 32 positions
    const args = ["--config", comp.configFile, "--out", out, "--backbone.model", model, "--backbone.maxLength", "32", "--folds.k", "2", "--heads", HEADS.join(","), "--finetune.epochs", "1", "--finetune.topLayers", "1", "--headOptions.weightedLayer.layerStart", "1"];
    const oof = await runPipeline("oof", args);
    expect(oof.stderr).not.toMatch(/internal error/);
    expect(oof.code).toBe(0);
    for (const h of HEADS) {
      expect(readCsv(join(out, "oof", `${h}.csv`)).rows).toHaveLength(60);
      expect(readCsv(join(out, "test", `${h}.csv`)).rows).toHaveLength(12);
    }
    const scores = JSON.parse(readFileSync(join(out, "scores.json"), "utf8")) as { heads: Record<string, { cv: number }> };
    for (const h of HEADS) expect(Number.isFinite(scores.heads[h].cv)).toBe(true);
    const sub = join(out, "submission.csv");
    const blend = await runPipeline("blend", [...args, "--submission", sub]);
    expect(blend.code).toBe(0);
    expect(readCsv(sub).rows).toHaveLength(12);
    const report = await runPipeline("report", args);
    expect(report.code).toBe(0);
    expect(existsSync(join(out, "report.html"))).toBe(true);
  }, 600_000);
});
